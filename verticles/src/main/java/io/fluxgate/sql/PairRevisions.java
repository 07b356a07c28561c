package io.fluxgate.sql;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.HashMap;
import java.util.Map;

/**
 * The last revision of pairs that were removed (a thing's connection to a channel, a user's policy on a group), kept
 * so that the pair, created again, continues its revision count instead of starting over at 1.
 */
public final class PairRevisions {

  /** The relation of thing-channel connections. */
  public static final String CONNECTION = "connection";
  /** The relation of user-group policies. */
  public static final String POLICY = "policy";

  private final String relation;
  private final String ofSubject;
  private final String delete;
  private final String insert;
  private final String forgetSubject;
  private final String forgetObject;

  public PairRevisions(Database db, String relation) {
    this.relation = relation;
    this.ofSubject = db.sql("SELECT object, revision FROM pair_revisions WHERE relation = ? AND subject = ?");
    this.delete = db.sql("DELETE FROM pair_revisions WHERE relation = ? AND subject = ? AND object = ?");
    this.insert = db.sql("INSERT INTO pair_revisions (relation, subject, object, revision) VALUES (?, ?, ?, ?)");
    this.forgetSubject = db.sql("DELETE FROM pair_revisions WHERE relation = ? AND subject = ?");
    this.forgetObject = db.sql("DELETE FROM pair_revisions WHERE relation = ? AND object = ?");
  }

  /** The last revision of each removed pair of {@code subject}, by object. */
  public Future<Map<String, Long>> ofSubject(SqlConnection conn, String subject) {
    return conn.preparedQuery(ofSubject).execute(Tuple.of(relation, subject)).map(rows -> {
      Map<String, Long> last = new HashMap<>();
      rows.forEach(row -> last.put(row.getString("object"), row.getLong("revision")));
      return last;
    });
  }

  /** The revision a new pair starts at: one after its last, or 1. */
  public Future<Long> next(SqlConnection conn, String subject, String object) {
    return ofSubject(conn, subject).map(last -> last.getOrDefault(object, 0L) + 1);
  }

  /** Keeps {@code revision} (the removal's) as the pair's last. */
  public Future<Void> retire(SqlConnection conn, String subject, String object, long revision) {
    // Delete then insert: the same statements on H2 and PostgreSQL, and the caller's transaction makes it one step.
    return conn.preparedQuery(delete).execute(Tuple.of(relation, subject, object))
        .compose(v -> conn.preparedQuery(insert).execute(Tuple.of(relation, subject, object, revision)))
        .mapEmpty();
  }

  /** Forgets every pair of a removed subject: ids are never reused, so its pairs cannot come back. */
  public Future<Void> forgetSubject(SqlConnection conn, String subject) {
    return conn.preparedQuery(forgetSubject).execute(Tuple.of(relation, subject)).mapEmpty();
  }

  /** Forgets every pair of a removed object. */
  public Future<Void> forgetObject(SqlConnection conn, String object) {
    return conn.preparedQuery(forgetObject).execute(Tuple.of(relation, object)).mapEmpty();
  }
}
