package io.fluxgate.events;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.EncodedEvent;
import io.fluxgate.sql.Database;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The outbox table: events written in their command's transaction and kept until the store has them, with the
 * relay's attempts, leases and the dead-letter table of rows the store kept refusing.
 */
public final class Outbox {

  /** Events larger than this are refused before commit when nothing else is configured: under NATS's 1 MiB. */
  public static final int DEFAULT_MAX_EVENT_BYTES = 1_000_000;
  private static final int MAX_ERROR_LENGTH = 1000;

  private final Database db;
  private final int maxEventBytes;
  private final String insert;
  private final String delete;
  private final String selectDue;
  private final String claim;
  private final String recordFailure;
  private final String selectBuried;
  private final String bury;
  private final String deleteBuried;
  private final String selectDead;
  private final String requeueOne;
  private final String requeueAll;
  private final String deleteDeadOne;
  private final String deleteDeadAll;

  public Outbox(Database db) {
    this(db, DEFAULT_MAX_EVENT_BYTES);
  }

  public Outbox(Database db, int maxEventBytes) {
    this.db = db;
    this.maxEventBytes = maxEventBytes;
    this.insert = db.sql("INSERT INTO event_outbox (event_id, stream, body, created_at) VALUES (?, ?, ?, ?)");
    this.delete = db.sql("DELETE FROM event_outbox WHERE event_id = ?");
    // SKIP LOCKED: a row another node's relay is claiming right now is simply not this relay's to take.
    this.selectDue = db.sql("SELECT seq, event_id, stream, body, created_at, last_attempt_at, attempts FROM event_outbox"
        + " WHERE created_at < ? AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY seq LIMIT ?"
        + " FOR UPDATE SKIP LOCKED");
    this.claim = db.sql("UPDATE event_outbox SET claimed_by = ?, claimed_until = ?, last_attempt_at = ? WHERE seq = ?");
    this.recordFailure = db.sql(
        "UPDATE event_outbox SET attempts = attempts + ?, last_error = ? WHERE event_id = ?");
    // The refusal that reached the bound has been recorded, so the row's last attempt is over whatever its lease.
    String buriable = " FROM event_outbox WHERE attempts >= ?";
    this.selectBuried = db.sql("SELECT event_id, stream, attempts, last_error" + buriable + " ORDER BY seq LIMIT 1000");
    this.bury = db.sql("INSERT INTO event_outbox_dead (event_id, stream, body, created_at, attempts, last_error, dead_at)"
        + " SELECT event_id, stream, body, created_at, attempts, last_error, CAST(? AS BIGINT)" + buriable
        + " AND event_id = ?");
    this.deleteBuried = db.sql("DELETE FROM event_outbox WHERE event_id = ?");
    this.selectDead = db.sql("SELECT event_id, stream, body, created_at, attempts, last_error, dead_at"
        + " FROM event_outbox_dead ORDER BY seq LIMIT ?");
    String requeue = "INSERT INTO event_outbox (event_id, stream, body, created_at)"
        + " SELECT event_id, stream, body, created_at FROM event_outbox_dead";
    this.requeueOne = db.sql(requeue + " WHERE event_id = ?");
    this.requeueAll = requeue;
    this.deleteDeadOne = db.sql("DELETE FROM event_outbox_dead WHERE event_id = ?");
    this.deleteDeadAll = "DELETE FROM event_outbox_dead";
  }

  /** An event that is larger than {@code es.max_event_bytes}: refused before its command commits. */
  public static final class EventTooLarge extends RuntimeException {
    public EventTooLarge(DomainEvent event, int bytes, int limit) {
      super("the " + event.operation() + " event would be " + bytes + " bytes, above the limit of " + limit
          + " bytes (es.max_event_bytes); send less metadata", null, false, false);
    }
  }

  /** A row the relay has claimed to re-publish; {@code body} is the row's bytes, what the store must receive. */
  record Claimed(DomainEvent event, byte[] body, long createdAt, long lastAttemptAt) {}

  /** A row moved to the dead-letter table. */
  public record DeadRow(String eventId, String stream, String operation, long createdAt, int attempts,
      String lastError, long deadAt) {}

  /** What the outbox holds, for metrics and operators. */
  public record Stats(long rows, long oldestCreatedAt, long deadRows) {}

  /**
   * Writes {@code events} on {@code conn}, inside the caller's transaction, and completes with each event beside the
   * bytes of its row, which are what the store must receive; fails with {@link EventTooLarge} (and so rolls the
   * command back) when one of them is above the size every store accepts.
   */
  public Future<List<EncodedEvent>> record(SqlConnection conn, List<DomainEvent> events) {
    if (events.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    long now = DomainEvent.nowNanos();
    List<Tuple> rows = new ArrayList<>(events.size());
    List<EncodedEvent> recorded = new ArrayList<>(events.size());
    for (DomainEvent e : events) {
      byte[] body = e.toBytes();
      if (body.length > maxEventBytes) {
        return Future.failedFuture(new EventTooLarge(e, body.length, maxEventBytes));
      }
      rows.add(Tuple.of(e.eventId(), e.stream(), new String(body, StandardCharsets.UTF_8), now));
      recorded.add(new EncodedEvent(e, body));
    }
    return conn.preparedQuery(insert).executeBatch(rows).map(recorded);
  }

  /** Removes the rows of events the store has acknowledged. */
  public Future<Void> clear(List<String> eventIds) {
    List<Tuple> rows = new ArrayList<>(eventIds.size());
    eventIds.forEach(id -> rows.add(Tuple.of(id)));
    return db.inTransaction(conn -> conn.preparedQuery(delete).executeBatch(rows)).mapEmpty();
  }

  /**
   * Claims for {@code lease} nanoseconds the oldest rows written before {@code createdBeforeNanos} that no relay
   * holds, oldest first, and stamps them as attempted now.
   */
  Future<List<Claimed>> claim(String claimant, long createdBeforeNanos, long leaseNanos, int limit) {
    long now = DomainEvent.nowNanos();
    return db.inTransaction(conn -> conn.preparedQuery(selectDue).execute(Tuple.of(createdBeforeNanos, now, limit))
        .compose(rows -> {
          List<Claimed> claimed = new ArrayList<>(rows.size());
          List<Tuple> updates = new ArrayList<>(rows.size());
          for (Row row : rows) {
            Long last = row.getLong("last_attempt_at");
            String body = row.getString("body");
            claimed.add(new Claimed(DomainEvent.fromJson(row.getString("stream"), new JsonObject(body)),
                body.getBytes(StandardCharsets.UTF_8), row.getLong("created_at"),
                last == null ? row.getLong("created_at") : last));
            updates.add(Tuple.of(claimant, now + leaseNanos, now, row.getLong("seq")));
          }
          return updates.isEmpty() ? Future.succeededFuture(claimed)
              : conn.preparedQuery(claim).executeBatch(updates).map(claimed);
        }));
  }

  /** The store refused these events; {@code counted} says whether the refusal counts towards the dead letter. */
  Future<Void> recordFailures(List<String> eventIds, List<String> errors, boolean counted) {
    List<Tuple> rows = new ArrayList<>(eventIds.size());
    for (int i = 0; i < eventIds.size(); i++) {
      String error = errors.get(i);
      rows.add(Tuple.of(counted ? 1 : 0,
          error.length() > MAX_ERROR_LENGTH ? error.substring(0, MAX_ERROR_LENGTH) : error, eventIds.get(i)));
    }
    return db.inTransaction(conn -> conn.preparedQuery(recordFailure).executeBatch(rows)).mapEmpty();
  }

  /** Moves rows the store refused {@code maxAttempts} times to the dead-letter table. */
  Future<List<DeadRow>> buryExhausted(int maxAttempts) {
    long now = DomainEvent.nowNanos();
    return db.inTransaction(conn -> conn.preparedQuery(selectBuried).execute(Tuple.of(maxAttempts))
        .compose(rows -> {
          List<DeadRow> dead = new ArrayList<>(rows.size());
          List<Tuple> moves = new ArrayList<>(rows.size());
          List<Tuple> deletes = new ArrayList<>(rows.size());
          for (Row row : rows) {
            dead.add(new DeadRow(row.getString("event_id"), row.getString("stream"), null, 0,
                row.getInteger("attempts"), row.getString("last_error"), now));
            moves.add(Tuple.of(now, maxAttempts, row.getString("event_id")));
            deletes.add(Tuple.of(row.getString("event_id")));
          }
          if (dead.isEmpty()) {
            return Future.succeededFuture(dead);
          }
          return conn.preparedQuery(bury).executeBatch(moves)
              .compose(v -> conn.preparedQuery(deleteBuried).executeBatch(deletes))
              .map(dead);
        }));
  }

  /** The dead-letter table, oldest first. */
  public Future<List<DeadRow>> dead(int limit) {
    return db.inTransaction(conn -> conn.preparedQuery(selectDead).execute(Tuple.of(limit))).map(rows -> {
      List<DeadRow> dead = new ArrayList<>(rows.size());
      for (Row row : rows) {
        String operation = new JsonObject(row.getString("body")).getString(DomainEvent.OPERATION);
        dead.add(new DeadRow(row.getString("event_id"), row.getString("stream"), operation, row.getLong("created_at"),
            row.getInteger("attempts"), row.getString("last_error"), row.getLong("dead_at")));
      }
      return dead;
    });
  }

  /**
   * Puts dead rows back into the outbox with a fresh attempt count ({@code eventId} null: all of them); the relay
   * takes them at its next round. Completes with how many rows moved.
   */
  public Future<Integer> requeue(String eventId) {
    return db.inTransaction(conn -> (eventId == null
            ? conn.query(requeueAll).execute()
            : conn.preparedQuery(requeueOne).execute(Tuple.of(eventId)))
        .compose(moved -> (eventId == null
                ? conn.query(deleteDeadAll).execute()
                : conn.preparedQuery(deleteDeadOne).execute(Tuple.of(eventId)))
            .map(v -> moved.rowCount())));
  }

  /** How many events wait for the store. */
  public Future<Long> size() {
    return stats().map(Stats::rows);
  }

  /** Rows waiting, the oldest one's creation time (0 when none) and dead rows. */
  public Future<Stats> stats() {
    return db.inTransaction(conn -> conn.query(
            "SELECT (SELECT COUNT(*) FROM event_outbox) AS n, (SELECT MIN(created_at) FROM event_outbox) AS oldest,"
                + " (SELECT COUNT(*) FROM event_outbox_dead) AS dead").execute())
        .map(rows -> {
          Row row = rows.iterator().next();
          Long oldest = row.getLong("oldest");
          return new Stats(row.getLong("n"), oldest == null ? 0 : oldest, row.getLong("dead"));
        });
  }
}
