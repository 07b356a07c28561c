package io.fluxgate.users;

import io.fluxgate.sql.Database;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

/** SQL of the users table. The secret hash goes in on insert and comes out only for a credential check. */
public final class UserRepository {

  private static final String COLUMNS =
      "id, name, identity, tags, owner, metadata, status, role, created_at, updated_at, updated_by, revision";

  private final Database db;
  private final String insert;
  private final String byId;
  private final String byIdentity;

  public UserRepository(Database db) {
    this.db = db;
    this.insert = db.sql("INSERT INTO users (" + COLUMNS + ", secret) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    this.byId = db.sql("SELECT " + COLUMNS + " FROM users WHERE id = ?");
    this.byIdentity = db.sql("SELECT " + COLUMNS + ", secret FROM users WHERE identity = ?");
  }

  /** A user and its secret hash, for checking credentials. */
  public record WithSecret(User user, String secretHash) {}

  public Future<Void> insert(SqlConnection conn, User user, String secretHash) {
    return conn.preparedQuery(insert).execute(Tuple.from(new Object[] {
        user.id(), user.name(), user.identity(), user.tags().encode(), user.owner(), user.metadata().encode(),
        user.status(), user.role().name(), user.createdAt(), user.updatedAt(), user.updatedBy(), user.revision(),
        secretHash})).mapEmpty();
  }

  public Future<User> findById(String id) {
    return db.inTransaction(conn -> conn.preparedQuery(byId).execute(Tuple.of(id)))
        .map(rows -> rows.size() == 0 ? null : user(rows.iterator().next()));
  }

  public Future<WithSecret> findByIdentity(String identity) {
    return db.inTransaction(conn -> conn.preparedQuery(byIdentity).execute(Tuple.of(identity)))
        .map(rows -> {
          if (rows.size() == 0) {
            return null;
          }
          Row row = rows.iterator().next();
          return new WithSecret(user(row), row.getString("secret"));
        });
  }

  private static User user(Row row) {
    return new User(
        row.getString("id"),
        row.getString("name"),
        row.getString("identity"),
        new JsonArray(row.getString("tags")),
        row.getString("owner"),
        new JsonObject(row.getString("metadata")),
        row.getString("status"),
        User.Role.valueOf(row.getString("role")),
        row.getString("created_at"),
        row.getString("updated_at"),
        row.getString("updated_by"),
        row.getLong("revision"));
  }
}
