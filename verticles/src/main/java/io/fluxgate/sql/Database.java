package io.fluxgate.sql;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.jdbcclient.JDBCConnectOptions;
import io.vertx.jdbcclient.JDBCPool;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import io.vertx.sqlclient.SqlConnection;
import io.fluxgate.config.DataDirectory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state database behind one {@link Pool}: PostgreSQL through the reactive client or H2 through JDBC.
 * Repositories write SQL with {@code ?} placeholders and pass it through {@link #sql(String)} once, at
 * construction; every write goes through {@link #inTransaction} (see the JDBC pool note in docs/operations.md).
 */
public final class Database {

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);
  /** H2's error code for a wrong user name or password. */
  private static final int WRONG_USER_OR_PASSWORD = 28000;

  static {
    // The embedded H2's AUTO_SERVER port (for the event tools of another process) answers on loopback only.
    if (System.getProperty("h2.bindAddress") == null) {
      System.setProperty("h2.bindAddress", "127.0.0.1");
    }
  }

  private final Vertx vertx;
  private final DatabaseConfig config;
  private final Pool pool;

  private Database(Vertx vertx, DatabaseConfig config, Pool pool) {
    this.vertx = vertx;
    this.config = config;
    this.pool = pool;
  }

  /** Opens the pool and runs the schema migrations; the future fails with the database's own message. */
  public static Future<Database> open(Vertx vertx, DatabaseConfig config) {
    return vertx.executeBlocking(() -> {
          migrate(config);
          return null;
        }, false)
        .map(v -> new Database(vertx, config, createPool(vertx, config)));
  }

  private static Pool createPool(Vertx vertx, DatabaseConfig config) {
    PoolOptions poolOptions = new PoolOptions().setMaxSize(config.poolSize()).setName("fluxgate-db").setShared(true);
    if (config.isPostgres()) {
      PgConnectOptions connect = PgConnectOptions.fromUri(config.url());
      if (!config.schema().isEmpty()) {
        connect.addProperty("search_path", config.schema());
      }
      connect.setCachePreparedStatements(true).setPipeliningLimit(256);
      return PgBuilder.pool().with(poolOptions).connectingTo(connect).using(vertx).build();
    }
    JDBCConnectOptions connect = new JDBCConnectOptions().setJdbcUrl(h2Url(config)).setUser("sa")
        .setPassword(config.h2Password());
    return JDBCPool.pool(vertx, connect, poolOptions);
  }

  private static String h2Url(DatabaseConfig config) {
    String url = config.h2JdbcUrl();
    return config.schema().isEmpty() ? url : url + ";INIT=CREATE SCHEMA IF NOT EXISTS " + config.schema()
        + "\\;SET SCHEMA " + config.schema();
  }

  private static void migrate(DatabaseConfig config) throws Exception {
    String jdbcUrl;
    String user;
    String password;
    if (config.isPostgres()) {
      PgConnectOptions connect = PgConnectOptions.fromUri(config.url());
      jdbcUrl = "jdbc:postgresql://" + connect.getHost() + ":" + connect.getPort() + "/" + connect.getDatabase();
      user = connect.getUser();
      password = connect.getPassword();
    } else {
      if (config.isEmbedded()) {
        DataDirectory.create(config.dataDir());
      }
      jdbcUrl = h2Url(config);
      user = "sa";
      password = config.h2Password();
      if (config.isEmbedded()) {
        protectEmbedded(jdbcUrl, password);
      }
    }
    var flyway = Flyway.configure()
        .dataSource(jdbcUrl, user, password)
        .locations("classpath:db/migration")
        .loggers("slf4j");
    if (!config.schema().isEmpty()) {
      flyway.schemas(config.schema()).defaultSchema(config.schema()).createSchemas(true);
    }
    var result = flyway.load().migrate();
    LOG.info("database {} at schema version {} ({} migrations applied)",
        config.describe(), result.targetSchemaVersion, result.migrationsExecuted);
  }

  /**
   * Gives an embedded database made before it had one (user {@code sa}, empty password) the generated password: its
   * AUTO_SERVER port is reachable by other processes of the machine.
   */
  private static void protectEmbedded(String jdbcUrl, String password) throws SQLException {
    try (Connection ignored = DriverManager.getConnection(jdbcUrl, "sa", password)) {
      return;
    } catch (SQLException e) {
      if (e.getErrorCode() != WRONG_USER_OR_PASSWORD) {
        throw e;
      }
    }
    try (Connection old = DriverManager.getConnection(jdbcUrl, "sa", "");
        Statement statement = old.createStatement()) {
      // The password is base64: no quote can end the literal.
      statement.execute("ALTER USER SA SET PASSWORD '" + password + "'");
      LOG.info("the embedded database now has the password kept in {}", DatabaseConfig.H2_PASSWORD_FILE);
    }
  }

  /** Rewrites {@code ?} placeholders to {@code $n} for PostgreSQL; H2 takes them as they are. */
  public String sql(String statement) {
    if (!config.isPostgres()) {
      return statement;
    }
    StringBuilder out = new StringBuilder(statement.length() + 8);
    int n = 0;
    boolean quoted = false;
    for (int i = 0; i < statement.length(); i++) {
      char c = statement.charAt(i);
      if (c == '\'') {
        quoted = !quoted;
      }
      if (c == '?' && !quoted) {
        out.append('$').append(++n);
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * One page of {@code SELECT <select> <from> ORDER BY <orderBy>} with its total count. With {@code keep}, rows
   * are also filtered in Java (for conditions SQL cannot state portably), so the page is cut after filtering.
   */
  public <T> Future<Page<T>> page(String select, String from, String orderBy, List<Object> args, int offset,
      int limit, Function<Row, T> mapper, Predicate<T> keep) {
    if (keep != null) {
      String all = sql("SELECT " + select + " " + from + " ORDER BY " + orderBy);
      return inTransaction(conn -> conn.preparedQuery(all).execute(Tuple.from(args))).map(rows -> {
        List<T> matching = new ArrayList<>();
        rows.forEach(row -> {
          T item = mapper.apply(row);
          if (keep.test(item)) {
            matching.add(item);
          }
        });
        int first = Math.min(offset, matching.size());
        return new Page<>(new ArrayList<>(matching.subList(first, Math.min(matching.size(), first + limit))),
            matching.size());
      });
    }
    String count = sql("SELECT COUNT(*) AS n " + from);
    String page = sql("SELECT " + select + " " + from + " ORDER BY " + orderBy + " LIMIT ? OFFSET ?");
    List<Object> pageArgs = new ArrayList<>(args);
    pageArgs.add(limit);
    pageArgs.add(offset);
    return inTransaction(conn -> conn.preparedQuery(count).execute(Tuple.from(args))
        .compose(total -> conn.preparedQuery(page).execute(Tuple.from(pageArgs)).map(rows -> {
          List<T> items = new ArrayList<>();
          rows.forEach(row -> items.add(mapper.apply(row)));
          return new Page<>(items, total.iterator().next().getLong("n"));
        })));
  }

  /** {@code text} matched literally in a LIKE pattern written with {@code ESCAPE '!'}: its wildcards lose meaning. */
  public static String likeLiteral(String text) {
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_");
  }

  /**
   * A LIKE pattern ({@code ESCAPE '!'}) for compact JSON text that contains {@code text} as a JSON string followed by
   * {@code after}: a tag in a stored array ({@code ""}), a key in a stored object ({@code ":"}).
   */
  public static String containingJsonString(String text, String after) {
    String quoted = new io.vertx.core.json.JsonArray().add(text).encode();
    return "%" + likeLiteral(quoted.substring(1, quoted.length() - 1)) + after + "%";
  }

  /** Runs {@code work} in one transaction: committed if its future succeeds, rolled back otherwise. */
  public <T> Future<T> inTransaction(Function<SqlConnection, Future<T>> work) {
    return pool.withTransaction(work);
  }

  public Pool pool() {
    return pool;
  }

  public boolean isPostgres() {
    return config.isPostgres();
  }

  public DatabaseConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  public Future<Void> close() {
    return pool.close();
  }
}
