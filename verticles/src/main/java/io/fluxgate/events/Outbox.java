package io.fluxgate.events;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.EncodedEvent;
import io.fluxgate.sql.Database;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

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
  private final String leasedElsewhere;
  private final Map<Integer, String> selectDue = new ConcurrentHashMap<>();
  private final Map<Integer, String> unleasedUpTo = new ConcurrentHashMap<>();
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
    this.leasedElsewhere = db.sql("SELECT stream, MIN(seq) AS first FROM event_outbox"
        + " WHERE claimed_until >= ? AND claimed_by NOT LIKE ? GROUP BY stream");
    this.claim = db.sql("UPDATE event_outbox SET claimed_by = ?, claimed_until = ?, last_attempt_at = ? WHERE seq = ?");
    // The attempt is over, so is the claimant's lease: the row is taken again in its place, before newer rows.
    this.recordFailure = db.sql("UPDATE event_outbox SET attempts = attempts + ?, last_error = ?,"
        + " claimed_until = CASE WHEN claimed_by LIKE ? THEN NULL ELSE claimed_until END WHERE event_id = ?");
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

  /**
   * What one claim saw: the rows taken, oldest first; the streams whose rows it could not all see, because another
   * relay holds one or another transaction had one locked; and, for the streams asked about whatever their age, how
   * many rows no relay held.
   */
  record Claim(List<Claimed> taken, Set<String> incomplete, Map<String, Long> unleased) {}

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
   * Claims for {@code lease} nanoseconds the rows no relay holds that were written before {@code createdBeforeNanos}
   * or belong to a stream of {@code anyAge}, oldest first, as far as {@code take} accepts them, and stamps them as
   * attempted now. {@code claimant} names this relay: its batches are {@code claimant/<n>}. A row behind a row of its
   * stream that another relay holds is never taken, so two relays do not publish one stream out of order.
   */
  Future<Claim> claim(String claimant, long createdBeforeNanos, long leaseNanos, int limit, Set<String> anyAge,
      String batch, Predicate<Claimed> take) {
    long now = DomainEvent.nowNanos();
    List<String> streams = List.copyOf(anyAge);
    return db.inTransaction(conn -> conn.preparedQuery(leasedElsewhere).execute(Tuple.of(now, claimant + "/%"))
        .compose(leased -> {
          Map<String, Long> firstLeased = new HashMap<>();
          leased.forEach(row -> firstLeased.put(row.getString("stream"), row.getLong("first")));
          Tuple params = Tuple.tuple().addLong(createdBeforeNanos);
          streams.forEach(params::addString);
          params.addLong(now).addInteger(limit);
          return conn.preparedQuery(selectDue(streams.size())).execute(params)
              .compose(rows -> hidden(conn, streams, rows, now)
                  .map(counts -> new Read(rows, firstLeased, counts.gaps(), counts.unleased())));
        })
        .compose(read -> {
          List<Claimed> taken = new ArrayList<>(read.rows().size());
          List<Tuple> updates = new ArrayList<>(read.rows().size());
          for (Row row : read.rows()) {
            String stream = row.getString("stream");
            Long first = read.firstLeased().get(stream);
            if (read.gaps().contains(stream) || (first != null && row.getLong("seq") > first)) {
              continue;
            }
            Long last = row.getLong("last_attempt_at");
            String body = row.getString("body");
            Claimed claimed = new Claimed(DomainEvent.fromJson(stream, new JsonObject(body)),
                body.getBytes(StandardCharsets.UTF_8), row.getLong("created_at"),
                last == null ? row.getLong("created_at") : last);
            if (take.test(claimed)) {
              taken.add(claimed);
              updates.add(Tuple.of(batch, now + leaseNanos, now, row.getLong("seq")));
            }
          }
          Set<String> incomplete = new java.util.HashSet<>(read.firstLeased().keySet());
          incomplete.addAll(read.gaps());
          Claim result = new Claim(taken, incomplete, read.unleased());
          return updates.isEmpty() ? Future.succeededFuture(result)
              : conn.preparedQuery(claim).executeBatch(updates).map(result);
        }));
  }

  /**
   * What the select returned, the first row of each stream another relay holds, the streams with hidden rows, and
   * how many rows of each stream of {@code anyAge} no relay holds.
   */
  private record Read(RowSet<Row> rows, Map<String, Long> firstLeased, Set<String> gaps, Map<String, Long> unleased) {}

  private record Counts(Set<String> gaps, Map<String, Long> unleased) {}

  /**
   * The streams of {@code anyAge} with a row the select did not return although it comes before the last row
   * returned (anywhere, when it returned none): a row locked by another transaction, which SKIP LOCKED passed over.
   * Nothing of such a stream is taken, or a newer row would go before it. Also counts each stream's rows that no
   * relay holds, so the relay knows when it has seen them all.
   */
  private Future<Counts> hidden(SqlConnection conn, List<String> anyAge, RowSet<Row> rows, long now) {
    if (anyAge.isEmpty()) {
      return Future.succeededFuture(new Counts(Set.of(), Map.of()));
    }
    // Up to the last row returned: a row committed after the select, with a later seq, is no gap.
    long bound = rows.size() == 0 ? Long.MAX_VALUE : 0;
    Map<String, Integer> seen = new HashMap<>();
    for (Row row : rows) {
      seen.merge(row.getString("stream"), 1, Integer::sum);
      bound = Math.max(bound, row.getLong("seq"));
    }
    Tuple params = Tuple.tuple().addLong(bound);
    anyAge.forEach(params::addString);
    params.addLong(now);
    return conn.preparedQuery(unleasedUpTo(anyAge.size())).execute(params).map(counts -> {
      Set<String> gaps = new java.util.HashSet<>();
      Map<String, Long> unleased = new HashMap<>();
      counts.forEach(count -> {
        String stream = count.getString("stream");
        unleased.put(stream, count.getLong("n"));
        if (count.getLong("upto") > seen.getOrDefault(stream, 0)) {
          gaps.add(stream);
        }
      });
      return new Counts(gaps, unleased);
    });
  }

  private String unleasedUpTo(int streams) {
    return unleasedUpTo.computeIfAbsent(streams, n -> db.sql("SELECT stream, COUNT(*) AS n,"
        + " SUM(CASE WHEN seq <= ? THEN 1 ELSE 0 END) AS upto FROM event_outbox"
        + " WHERE stream IN (" + "?, ".repeat(n - 1) + "?)"
        + " AND (claimed_until IS NULL OR claimed_until < ?) GROUP BY stream"));
  }

  private String selectDue(int anyAge) {
    return selectDue.computeIfAbsent(anyAge, n -> {
      StringBuilder due = new StringBuilder("created_at < ?");
      if (n > 0) {
        due.append(" OR stream IN (").append("?, ".repeat(n - 1)).append("?)");
      }
      // SKIP LOCKED: a row another node's relay is claiming right now is simply not this relay's to take.
      return db.sql("SELECT seq, event_id, stream, body, created_at, last_attempt_at, attempts FROM event_outbox"
          + " WHERE (" + due + ") AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY seq LIMIT ?"
          + " FOR UPDATE SKIP LOCKED");
    });
  }

  /** The streams that have rows in the outbox. */
  Future<List<String>> streams() {
    return db.inTransaction(conn -> conn.query("SELECT DISTINCT stream FROM event_outbox").execute())
        .map(rows -> {
          List<String> streams = new ArrayList<>();
          rows.forEach(row -> streams.add(row.getString("stream")));
          return streams;
        });
  }

  /**
   * The store refused these events; {@code counted} says for each whether its refusal counts towards the dead
   * letter. The leases of {@code claimant}'s batches on them end.
   */
  Future<Void> recordFailures(String claimant, List<String> eventIds, List<String> errors, List<Boolean> counted) {
    List<Tuple> rows = new ArrayList<>(eventIds.size());
    for (int i = 0; i < eventIds.size(); i++) {
      String error = errors.get(i);
      rows.add(Tuple.of(counted.get(i) ? 1 : 0,
          error.length() > MAX_ERROR_LENGTH ? error.substring(0, MAX_ERROR_LENGTH) : error, claimant + "/%",
          eventIds.get(i)));
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
