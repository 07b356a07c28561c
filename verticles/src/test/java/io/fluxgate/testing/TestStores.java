package io.fluxgate.testing;

import io.fluxgate.config.ConfigTree;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.sql.DatabaseConfig;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The real services the tests run against (PostgreSQL, NATS JetStream, Redis, RabbitMQ on loopback, overridable
 * with {@code FG_TEST_PG_URL}, {@code FG_TEST_NATS_URL}, {@code FG_TEST_REDIS_URL} and {@code FG_TEST_RABBITMQ_URL}),
 * with a private schema or stream prefix per test so tests never see each other's data.
 */
public final class TestStores {

  public static final String PG_URL =
      System.getenv().getOrDefault("FG_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test");
  public static final String NATS_URL = System.getenv().getOrDefault("FG_TEST_NATS_URL", "nats://127.0.0.1:4222");
  public static final String REDIS_URL =
      System.getenv().getOrDefault("FG_TEST_REDIS_URL", "redis://127.0.0.1:6379");
  public static final String RABBITMQ_URL =
      System.getenv().getOrDefault("FG_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2f");

  private TestStores() {}

  public static String unique(String prefix) {
    return prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  public static DatabaseConfig h2() {
    return new DatabaseConfig("jdbc:h2:mem:" + unique("t") + ";DB_CLOSE_DELAY=-1", Path.of("target"), "", 4);
  }

  public static DatabaseConfig postgres() {
    return new DatabaseConfig(PG_URL, Path.of("target"), unique("t_"), 8);
  }

  /** A plain JDBC connection to the test database, for probes that must not need an event loop. */
  public static java.sql.Connection jdbc(DatabaseConfig config) throws java.sql.SQLException {
    if (!config.isPostgres()) {
      return DriverManager.getConnection(
          config.url() + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH", "sa", "");
    }
    var options = io.vertx.pgclient.PgConnectOptions.fromUri(config.url());
    String url = "jdbc:postgresql://" + options.getHost() + ":" + options.getPort() + "/" + options.getDatabase()
        + (config.schema().isEmpty() ? "" : "?currentSchema=" + config.schema());
    return DriverManager.getConnection(url, options.getUser(), options.getPassword());
  }

  /** The generated password of the embedded H2 under {@code dataDir}. */
  public static String embeddedPassword(Path dataDir) {
    try {
      return java.nio.file.Files.readString(dataDir.resolve(io.fluxgate.sql.DatabaseConfig.H2_PASSWORD_FILE)).trim();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Drops the private schema of a PostgreSQL test database. */
  public static void dropSchema(DatabaseConfig config) {
    if (!config.isPostgres() || config.schema().isEmpty()) {
      return;
    }
    try (var conn = jdbc(new DatabaseConfig(config.url(), config.dataDir(), "", 1));
        var st = conn.createStatement()) {
      st.execute("DROP SCHEMA IF EXISTS " + config.schema() + " CASCADE");
    } catch (Exception e) {
      throw new IllegalStateException("cannot drop test schema " + config.schema(), e);
    }
  }

  /** Removes a test's subjects and durable consumers from the NATS stream, so the shared server does not grow. */
  public static void purgeNats(EventStoreConfig config) {
    try (var nats = io.nats.client.Nats.connect(config.url())) {
      var jsm = nats.jetStreamManagement();
      jsm.purgeStream(((io.fluxgate.events.nats.NatsSettings) config.store()).stream(),
          io.nats.client.PurgeOptions.subject("events." + config.prefix() + ".>"));
      for (String consumer : jsm.getConsumerNames(((io.fluxgate.events.nats.NatsSettings) config.store()).stream())) {
        if (consumer.startsWith("events_" + config.prefix() + "_")) {
          jsm.deleteConsumer(((io.fluxgate.events.nats.NatsSettings) config.store()).stream(), consumer);
        }
      }
    } catch (Exception e) {
      // A private server may be gone already; the shared one is best-effort tidied.
    }
  }

  /** Deletes a test's keys ({@code <prefix>.*}: streams, dead letters, de-duplication keys) from Redis. */
  public static void purgeRedis(EventStoreConfig config) {
    try (var redis = new RedisProbe(((io.fluxgate.events.redis.RedisSettings) config.store()).url())) {
      redis.deleteKeys(config.prefix());
    } catch (Exception e) {
      // A private server may be gone already; the shared one is best-effort tidied.
    }
  }

  /** Deletes a test's stream queues ({@code events.<prefix>.*}, dead letters too) from RabbitMQ. */
  public static void purgeRabbit(EventStoreConfig config) {
    try (RabbitProbe rabbit = new RabbitProbe(((io.fluxgate.events.rabbitmq.RabbitSettings) config.store()).url())) {
      rabbit.deleteStreams(config.prefix());
    } catch (Exception e) {
      // A private server may be gone already; the shared one is best-effort tidied.
    }
  }

  /** Event-log settings fast enough for tests: short back-off, relay and poll intervals, a private prefix. */
  public static EventStoreConfig events(String type, String url) {
    return events(type, url, Map.of());
  }

  /** As {@link #events(String, String)}, with {@code overrides} ({@code FG_ES_*} variables) on top. */
  public static EventStoreConfig events(String type, String url, Map<String, String> overrides) {
    Map<String, String> env = new HashMap<>();
    env.put("FG_ES_TYPE", type);
    env.put("FG_ES_URL", url);
    env.put("FG_ES_PREFIX", unique("t"));
    env.put("FG_ES_MAX_ATTEMPTS", "3");
    env.put("FG_ES_RETRY_BACKOFF", "20ms");
    env.put("FG_ES_APPEND_TIMEOUT", "1s");
    env.put("FG_ES_RELAY_INTERVAL", "100ms");
    env.put("FG_ES_RELAY_DELAY", "300ms");
    env.put("FG_ES_POLL_INTERVAL", "50ms");
    env.putAll(overrides);
    return EventStoreConfig.from(new ConfigTree(new JsonObject(), env));
  }

  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
