package io.fluxgate.users;

import io.fluxgate.sql.Database;
import io.fluxgate.sql.ConcurrentChange;
import io.fluxgate.sql.Page;
import io.fluxgate.sql.PairRevisions;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/** SQL of the user policies table. */
public final class PolicyRepository {

  private static final String COLUMNS =
      "subject, object, actions, owner_id, created_at, updated_at, updated_by, revision";

  private final Database db;
  private final String insert;
  private final String update;
  private final String delete;
  private final String find;
  private final PairRevisions revisions;

  public PolicyRepository(Database db) {
    this.db = db;
    this.revisions = new PairRevisions(db, PairRevisions.POLICY);
    this.insert = db.sql("INSERT INTO user_policies (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    this.update = db.sql("UPDATE user_policies SET actions = ?, updated_at = ?, updated_by = ?, revision = ?"
        + " WHERE subject = ? AND object = ? AND revision = ?");
    this.delete = db.sql("DELETE FROM user_policies WHERE subject = ? AND object = ?");
    this.find = db.sql("SELECT " + COLUMNS + " FROM user_policies WHERE subject = ? AND object = ?");
  }

  public Future<Void> insert(SqlConnection conn, Policy p) {
    return conn.preparedQuery(insert).execute(Tuple.from(new Object[] {p.subject(), p.object(),
        new JsonArray(p.actions()).encode(), p.ownerId(), p.createdAt(), p.updatedAt(), p.updatedBy(),
        p.revision()})).mapEmpty();
  }

  /** The revision a new policy of the pair starts at: one after the last of a deleted one, or 1. */
  public Future<Long> nextRevision(SqlConnection conn, String subject, String object) {
    return revisions.next(conn, subject, object);
  }

  /** Writes {@code p} over the stored revision before it; fails when someone else changed it meanwhile. */
  public Future<Void> update(SqlConnection conn, Policy p) {
    return conn.preparedQuery(update).execute(Tuple.from(new Object[] {new JsonArray(p.actions()).encode(),
            p.updatedAt(), p.updatedBy(), p.revision(), p.subject(), p.object(), p.revision() - 1}))
        .compose(rows -> rows.rowCount() == 1 ? Future.succeededFuture()
            : Future.failedFuture(new ConcurrentChange("policy " + p.subject() + "/" + p.object())));
  }

  /** Removes {@code p}, keeping the revision of its removal for a policy of the same pair later. */
  public Future<Void> delete(SqlConnection conn, Policy p) {
    return conn.preparedQuery(delete).execute(Tuple.of(p.subject(), p.object()))
        .compose(rows -> rows.rowCount() == 1 ? revisions.retire(conn, p.subject(), p.object(), p.revision() + 1)
            : Future.failedFuture(new ConcurrentChange("policy " + p.subject() + "/" + p.object())));
  }

  public Future<Policy> find(String subject, String object) {
    return db.inTransaction(conn -> find(conn, subject, object));
  }

  /** The policy of a pair, read on {@code conn} (inside a transaction), or null. */
  public Future<Policy> find(SqlConnection conn, String subject, String object) {
    return conn.preparedQuery(find).execute(Tuple.of(subject, object))
        .map(rows -> rows.size() == 0 ? null : policy(rows.iterator().next()));
  }

  /** Policies matching the filters (empty = any) and holding every one of {@code actions}, by subject then object. */
  public Future<Page<Policy>> list(String ownerId, String subject, String object, List<String> actions, int offset,
      int limit) {
    StringBuilder where = new StringBuilder("FROM user_policies WHERE 1 = 1");
    List<Object> args = new ArrayList<>();
    for (String[] filter : new String[][] {{"owner_id", ownerId}, {"subject", subject}, {"object", object}}) {
      if (!filter[1].isEmpty()) {
        where.append(" AND ").append(filter[0]).append(" = ?");
        args.add(filter[1]);
      }
    }
    for (String action : actions) {
      where.append(" AND actions LIKE ? ESCAPE '!'");
      args.add(io.fluxgate.sql.Database.containingJsonString(action, ""));
    }
    return db.page(COLUMNS, where.toString(), "subject, object", args, offset, limit, PolicyRepository::policy, null);
  }

  /** Every row, for comparing the database with state rebuilt from the events. */
  public Future<List<Policy>> all() {
    return db.inTransaction(conn -> conn.query("SELECT " + COLUMNS + " FROM user_policies").execute()).map(rows -> {
      List<Policy> all = new ArrayList<>(rows.size());
      rows.forEach(row -> all.add(policy(row)));
      return all;
    });
  }

  private static Policy policy(Row row) {
    List<String> actions = new ArrayList<>();
    new JsonArray(row.getString("actions")).forEach(a -> actions.add((String) a));
    return new Policy(row.getString("subject"), row.getString("object"), actions, row.getString("owner_id"),
        row.getString("created_at"), row.getString("updated_at"), row.getString("updated_by"), row.getLong("revision"));
  }
}
