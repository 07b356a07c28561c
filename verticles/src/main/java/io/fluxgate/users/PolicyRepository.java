package io.fluxgate.users;

import io.fluxgate.sql.Database;
import io.fluxgate.sql.Page;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/** SQL of the user policies table. */
public final class PolicyRepository {

  private static final String COLUMNS = "subject, object, actions, owner_id, created_at, updated_at, updated_by";

  private final Database db;
  private final String insert;
  private final String update;
  private final String delete;
  private final String find;

  public PolicyRepository(Database db) {
    this.db = db;
    this.insert = db.sql("INSERT INTO user_policies (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)");
    this.update = db.sql("UPDATE user_policies SET actions = ?, updated_at = ?, updated_by = ?"
        + " WHERE subject = ? AND object = ?");
    this.delete = db.sql("DELETE FROM user_policies WHERE subject = ? AND object = ?");
    this.find = db.sql("SELECT " + COLUMNS + " FROM user_policies WHERE subject = ? AND object = ?");
  }

  public Future<Void> insert(SqlConnection conn, Policy p) {
    return conn.preparedQuery(insert).execute(Tuple.of(p.subject(), p.object(), new JsonArray(p.actions()).encode(),
        p.ownerId(), p.createdAt(), p.updatedAt(), p.updatedBy())).mapEmpty();
  }

  /** Whether a row was there to update. */
  public Future<Boolean> update(SqlConnection conn, Policy p) {
    return conn.preparedQuery(update).execute(Tuple.of(new JsonArray(p.actions()).encode(), p.updatedAt(),
        p.updatedBy(), p.subject(), p.object())).map(rows -> rows.rowCount() == 1);
  }

  /** Whether a row was there to delete. */
  public Future<Boolean> delete(SqlConnection conn, String subject, String object) {
    return conn.preparedQuery(delete).execute(Tuple.of(subject, object)).map(rows -> rows.rowCount() == 1);
  }

  public Future<Policy> find(String subject, String object) {
    return db.inTransaction(conn -> conn.preparedQuery(find).execute(Tuple.of(subject, object)))
        .map(rows -> rows.size() == 0 ? null : policy(rows.iterator().next()));
  }

  /** Policies matching the filters (empty = any), by subject then object. */
  public Future<Page<Policy>> list(String ownerId, String subject, String object, int offset, int limit) {
    StringBuilder where = new StringBuilder("FROM user_policies WHERE 1 = 1");
    List<Object> args = new ArrayList<>();
    for (String[] filter : new String[][] {{"owner_id", ownerId}, {"subject", subject}, {"object", object}}) {
      if (!filter[1].isEmpty()) {
        where.append(" AND ").append(filter[0]).append(" = ?");
        args.add(filter[1]);
      }
    }
    return db.page(COLUMNS, where.toString(), "subject, object", args, offset, limit, PolicyRepository::policy, null);
  }

  private static Policy policy(Row row) {
    List<String> actions = new ArrayList<>();
    new JsonArray(row.getString("actions")).forEach(a -> actions.add((String) a));
    return new Policy(row.getString("subject"), row.getString("object"), actions, row.getString("owner_id"),
        row.getString("created_at"), row.getString("updated_at"), row.getString("updated_by"));
  }
}
