package io.fluxgate.users;

import io.fluxgate.api.MetadataFilter;
import io.fluxgate.sql.ConcurrentChange;
import io.fluxgate.sql.Database;
import io.fluxgate.sql.Page;
import io.fluxgate.sql.Where;
import io.vertx.core.Future;
import java.util.List;
import java.util.ArrayList;
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
  private final String accountById;
  private final String byIdentity;
  private final String update;
  private final String updateSecret;
  private final String revokeTokens;

  public UserRepository(Database db) {
    this.db = db;
    this.insert = db.sql("INSERT INTO users (" + COLUMNS + ", secret) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    this.byId = db.sql("SELECT " + COLUMNS + " FROM users WHERE id = ?");
    this.accountById = db.sql("SELECT " + COLUMNS + ", token_generation FROM users WHERE id = ?");
    this.byIdentity = db.sql("SELECT " + COLUMNS + ", secret, token_generation FROM users WHERE identity = ?");
    this.update = db.sql("UPDATE users SET name = ?, identity = ?, tags = ?, owner = ?, metadata = ?, status = ?,"
        + " updated_at = ?, updated_by = ?, revision = ? WHERE id = ? AND revision = ?");
    this.updateSecret = db.sql("UPDATE users SET secret = ?, updated_at = ?, updated_by = ?, revision = ?,"
        + " token_generation = token_generation + 1 WHERE id = ? AND revision = ?");
    this.revokeTokens = db.sql("UPDATE users SET token_generation = token_generation + 1 WHERE id = ?");
  }

  /** A user, its secret hash and its current token generation, for checking credentials and issuing tokens. */
  public record WithSecret(User user, String secretHash, long tokenGeneration) {}

  /** A user with the generation its valid tokens carry: tokens of an earlier one were revoked. */
  public record Account(User user, long tokenGeneration) {}

  public Future<Void> insert(SqlConnection conn, User user, String secretHash) {
    return conn.preparedQuery(insert).execute(Tuple.from(new Object[] {
        user.id(), user.name(), user.identity(), user.tags().encode(), user.owner(), user.metadata().encode(),
        user.status(), user.role().name(), user.createdAt(), user.updatedAt(), user.updatedBy(), user.revision(),
        secretHash})).mapEmpty();
  }

  /** Writes {@code user} over the stored revision before it; fails when someone else changed it meanwhile. */
  public Future<Void> update(SqlConnection conn, User user) {
    return conn.preparedQuery(update).execute(Tuple.from(new Object[] {
        user.name(), user.identity(), user.tags().encode(), user.owner(), user.metadata().encode(), user.status(),
        user.updatedAt(), user.updatedBy(), user.revision(), user.id(), user.revision() - 1}))
        .compose(rows -> rows.rowCount() == 1 ? Future.succeededFuture()
            : Future.failedFuture(new ConcurrentChange("user " + user.id())));
  }

  /** Stores a new secret hash with the change's revision; every token issued before is revoked with it. */
  public Future<Void> updateSecret(SqlConnection conn, User user, String secretHash) {
    return conn.preparedQuery(updateSecret).execute(Tuple.of(secretHash, user.updatedAt(), user.updatedBy(),
            user.revision(), user.id(), user.revision() - 1))
        .compose(rows -> rows.rowCount() == 1 ? Future.succeededFuture()
            : Future.failedFuture(new ConcurrentChange("user " + user.id())));
  }

  /** Moves the user's token generation on, so every token issued before is refused from now on. */
  public Future<Void> revokeTokens(SqlConnection conn, String userId) {
    return conn.preparedQuery(revokeTokens).execute(Tuple.of(userId)).mapEmpty();
  }

  /** One page of users matching {@code filter}, ordered by creation, and how many match in all. */
  public Future<Page<User>> list(UserFilter filter, int offset, int limit) {
    Where where = new Where().contains("name", filter.name()).contains("identity", filter.identity())
        .equal("owner", filter.owner()).status(filter.status());
    if (!filter.memberOf().isEmpty()) {
      where.and("id IN (SELECT subject FROM user_policies WHERE object = ?)", filter.memberOf());
    }
    if (!filter.visibleTo().isEmpty()) {
      // Owned: users the caller created; shared: members of groups the caller owns.
      String shared = "id IN (SELECT p.subject FROM user_policies p JOIN user_groups g ON g.id = p.object"
          + " WHERE g.owner_id = ?)";
      switch (filter.visibility()) {
        case "owned" -> where.and("owner = ?", filter.visibleTo());
        case "shared" -> where.and(shared, filter.visibleTo());
        default -> where.and("(owner = ? OR " + shared + ")", filter.visibleTo(), filter.visibleTo());
      }
    }
    where.holdsAll("tags", filter.tags()).likeAll("metadata", filter.metadata().candidatePatterns());
    return db.page(COLUMNS, "FROM users" + where.sql(), "created_at, id", where.args(), offset, limit,
        UserRepository::user,
        filter.metadata().isEmpty() ? null : user -> filter.metadata().matches(user.metadata()));
  }

  /** What a list asks for; empty strings and lists mean "any"; {@code memberOf} a group the users hold a policy on. */
  public record UserFilter(String name, String identity, String owner, String status, java.util.List<String> tags,
      MetadataFilter metadata, String visibleTo, String visibility, String memberOf) {}


  public Future<User> findById(String id) {
    return db.inTransaction(conn -> conn.preparedQuery(byId).execute(Tuple.of(id)))
        .map(rows -> rows.size() == 0 ? null : user(rows.iterator().next()));
  }

  /** The user {@code id} with its token generation, or null; read on every authenticated call. */
  public Future<Account> findAccount(String id) {
    return db.inTransaction(conn -> conn.preparedQuery(accountById).execute(Tuple.of(id))).map(rows -> {
      if (rows.size() == 0) {
        return null;
      }
      Row row = rows.iterator().next();
      return new Account(user(row), row.getLong("token_generation"));
    });
  }

  public Future<WithSecret> findByIdentity(String identity) {
    return db.inTransaction(conn -> conn.preparedQuery(byIdentity).execute(Tuple.of(identity)))
        .map(rows -> {
          if (rows.size() == 0) {
            return null;
          }
          Row row = rows.iterator().next();
          return new WithSecret(user(row), row.getString("secret"), row.getLong("token_generation"));
        });
  }

  /** Every row, for comparing the database with state rebuilt from the events. */
  public Future<List<User>> all() {
    return db.inTransaction(conn -> conn.query("SELECT " + COLUMNS + " FROM users").execute()).map(rows -> {
      List<User> all = new ArrayList<>(rows.size());
      rows.forEach(row -> all.add(user(row)));
      return all;
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
