package io.fluxgate.events.sql;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.EventStore.StartFrom;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one stream of the SQL store in sequence order, one batch at a time, for a durable consumer (its cursor
 * kept in {@code event_cursors}, moved after each handled batch, read by one instance of the consumer name at a time
 * under a lease on the cursor) or for a tail (cursor in memory only). It polls,
 * and is woken at once by appends made on this node.
 */
final class StreamReader {

  private static final Logger LOG = LoggerFactory.getLogger(StreamReader.class);
  /** How long a durable consumer's lease on its cursor lasts unless renewed (renewed once half spent). */
  private static final long LEASE_MS = 10_000;

  private final SqlEventStore store;
  private final String stream;
  private final String consumer;
  private final StartFrom from;
  private final Function<DomainEvent, Future<Void>> deliver;
  private final String selectBatch;
  private final String selectCursor;
  private final String insertCursor;
  private final String updateCursor;
  private final String claimLease;
  private final String releaseLease;
  /** This instance, as the cursor's {@code owner} while it holds the lease. */
  private final String owner = java.util.UUID.randomUUID().toString();
  /** Whether this instance holds the lease (else it stands by while another instance reads). */
  private boolean active;
  /** Until when this instance's lease runs, as it last wrote it. */
  private long leaseUntil;
  private final String selectLast;
  private Context context;
  private long position;
  private long timer = -1;
  private boolean started;
  private boolean reading;
  private boolean stopped;
  private final Promise<Void> idle = Promise.promise();

  StreamReader(SqlEventStore store, String stream, String consumer, StartFrom from,
      Function<DomainEvent, Future<Void>> deliver) {
    this.store = store;
    this.stream = stream;
    this.consumer = consumer;
    this.from = from;
    this.deliver = deliver;
    var db = store.db();
    // "stream, seq" is the index's order: H2 then stops after the batch instead of sorting every later row.
    this.selectBatch = db.sql("SELECT seq, body FROM events WHERE stream = ? AND seq > ? ORDER BY stream, seq LIMIT "
        + SqlEventStore.BATCH);
    this.selectCursor = db.sql("SELECT position FROM event_cursors WHERE stream = ? AND consumer = ?");
    this.insertCursor = db.sql("INSERT INTO event_cursors (stream, consumer, position) SELECT ?, ?, CAST(? AS BIGINT)"
        + " WHERE NOT EXISTS (SELECT 1 FROM event_cursors WHERE stream = ? AND consumer = ?)");
    this.updateCursor = db.sql("UPDATE event_cursors SET position = ? WHERE stream = ? AND consumer = ? AND owner = ?");
    this.claimLease = db.sql("UPDATE event_cursors SET owner = ?, lease_until = ? WHERE stream = ? AND consumer = ?"
        + " AND (owner IS NULL OR owner = ? OR lease_until < ?)");
    this.releaseLease = db.sql("UPDATE event_cursors SET owner = NULL, lease_until = 0"
        + " WHERE stream = ? AND consumer = ? AND owner = ?");
    this.selectLast = db.sql("SELECT COALESCE(MAX(seq), 0) AS last FROM events WHERE stream = ?");
  }

  String stream() {
    return stream;
  }

  private boolean durable() {
    return consumer != null;
  }

  Future<Void> start() {
    context = store.context();
    Promise<Void> ready = Promise.promise();
    context.runOnContext(v -> initialPosition().onSuccess(p -> {
      position = p;
      started = true;
      ready.complete();
      read();
    }).onFailure(ready::fail));
    return ready.future();
  }

  private Future<Long> initialPosition() {
    var db = store.db();
    return db.inTransaction(conn -> {
      Future<Long> last = from == StartFrom.BEGINNING
          ? Future.succeededFuture(0L)
          : conn.preparedQuery(selectLast).execute(Tuple.of(stream)).map(rows -> rows.iterator().next().getLong("last"));
      if (!durable()) {
        return last;
      }
      return conn.preparedQuery(selectCursor).execute(Tuple.of(stream, consumer)).compose(rows -> {
        if (rows.size() > 0) {
          return Future.succeededFuture(rows.iterator().next().getLong("position"));
        }
        return last.compose(p -> conn.preparedQuery(insertCursor).execute(Tuple.of(stream, consumer, p, stream, consumer))
            .compose(r -> conn.preparedQuery(selectCursor).execute(Tuple.of(stream, consumer)))
            .map(r -> r.iterator().next().getLong("position")));
      });
    });
  }

  /** Called from any thread when this node appended to the stream. */
  void wake() {
    Context ctx = context;
    if (ctx != null) {
      ctx.runOnContext(v -> {
        if (started && !reading && !stopped) {
          store.vertx().cancelTimer(timer);
          read();
        }
      });
    }
  }

  private void read() {
    if (stopped) {
      idle.tryComplete();
      return;
    }
    reading = true;
    Future<Integer> batch = durable() ? lease().compose(held -> held ? readBatch() : Future.succeededFuture(0))
        : readBatch();
    batch.onComplete(result -> {
          reading = false;
          if (result.failed()) {
            LOG.warn("reading stream {} for {} failed, retrying: {}", stream, describe(), result.cause().toString());
          }
          if (stopped) {
            idle.tryComplete();
          } else if (result.succeeded() && result.result() == SqlEventStore.BATCH) {
            read();
          } else {
            timer = store.vertx().setTimer(store.config().pollInterval().toMillis(), id -> read());
          }
        });
  }

  private Future<Integer> readBatch() {
    return store.db().inTransaction(conn -> conn.preparedQuery(selectBatch).execute(Tuple.of(stream, position)))
        .compose(this::handleBatch);
  }

  /**
   * Takes or renews this instance's lease on the cursor, so one instance of a consumer name reads at a time; on
   * taking it over, starts from the cursor as the previous holder left it.
   */
  private Future<Boolean> lease() {
    long now = System.currentTimeMillis();
    long length = Math.max(LEASE_MS, store.config().pollInterval().toMillis() * 4);
    if (active && now < leaseUntil - length / 2) {
      // Renewed once half spent, not at every poll: an idle consumer writes its cursor row every few seconds.
      return Future.succeededFuture(true);
    }
    long until = now + length;
    return store.db().inTransaction(conn -> conn.preparedQuery(claimLease)
            .execute(Tuple.of(owner, until, stream, consumer, owner, now)))
        .compose(rows -> {
          if (rows.rowCount() == 0) {
            active = false;
            return Future.succeededFuture(false);
          }
          leaseUntil = until;
          if (active) {
            return Future.succeededFuture(true);
          }
          return store.db().inTransaction(conn -> conn.preparedQuery(selectCursor).execute(Tuple.of(stream, consumer)))
              .map(cursor -> {
                position = cursor.iterator().next().getLong("position");
                active = true;
                return true;
              });
        });
  }

  private Future<Integer> handleBatch(RowSet<Row> rows) {
    Future<Void> chain = Future.succeededFuture();
    long last = position;
    for (Row row : rows) {
      long seq = row.getLong("seq");
      DomainEvent event = DomainEvent.fromJson(stream, new io.vertx.core.json.JsonObject(row.getString("body")));
      // The lease is checked (and renewed if half spent) before each event, so a long batch cannot outlive it
      // while another instance takes the cursor over and reads the same events in parallel.
      chain = chain.compose(v -> stopped ? Future.failedFuture("stopped") : holdLease())
          .compose(v -> deliver.apply(event))
          .onSuccess(v -> position = seq);
      last = seq;
    }
    int count = rows.size();
    if (count == 0 || !durable()) {
      return chain.map(count);
    }
    long end = last;
    return chain.compose(v -> store.db().inTransaction(conn ->
            conn.preparedQuery(updateCursor).execute(Tuple.of(end, stream, consumer, owner))))
        .map(count);
  }

  private Future<Void> holdLease() {
    if (!durable()) {
      return Future.succeededFuture();
    }
    return lease().compose(held -> held ? Future.<Void>succeededFuture()
        : Future.failedFuture("another instance of the consumer took its cursor over"));
  }

  private String describe() {
    return durable() ? "consumer " + consumer : "tail";
  }

  Future<Void> stop() {
    if (context == null) {
      return Future.succeededFuture();
    }
    context.runOnContext(v -> {
      stopped = true;
      store.vertx().cancelTimer(timer);
      if (!reading) {
        idle.tryComplete();
      } else {
        // A handler that never answers must not hold the node's shutdown: its batch comes again at the next start.
        store.vertx().setTimer(io.fluxgate.events.Delivery.STOP_GRACE.toMillis(), id -> idle.tryComplete());
      }
    });
    // Released at once, so another instance takes the cursor over without waiting for the lease to run out.
    return idle.future().compose(v -> !durable() || !active ? Future.<Void>succeededFuture()
        : store.db().inTransaction(conn -> conn.preparedQuery(releaseLease).execute(Tuple.of(stream, consumer, owner)))
            .<Void>mapEmpty().recover(e -> Future.succeededFuture()));
  }
}
