package io.fluxgate.events.sql;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.Delivery;
import io.fluxgate.events.EventStore;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.sql.Database;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The embedded event store: table {@code events} of the state database (H2 or PostgreSQL), with a global sequence,
 * de-duplicated by {@code event_id}, cursors of durable consumers in {@code event_cursors}. Appends are written by
 * one writer in batches, each batch in one transaction, so the sequence follows the order of the appends.
 */
public final class SqlEventStore implements EventStore {

  static final int BATCH = 256;
  private static final int READ_BATCH = 2000;
  /** Serialises appends of all nodes on PostgreSQL, so a reader never sees sequence gaps fill in later. */
  private static final String APPEND_LOCK = "SELECT pg_advisory_xact_lock(7471)";
  /** The start of an append's transaction on PostgreSQL, lock included, in one simple query. */
  private static final String BEGIN_AND_LOCK = "BEGIN; " + APPEND_LOCK;

  private final Vertx vertx;
  private final Database db;
  private final EventStoreConfig config;
  private final String insert;
  private final ArrayDeque<PendingAppend> pending = new ArrayDeque<>();
  private final Map<String, Set<StreamReader>> readers = new ConcurrentHashMap<>();
  private final Set<StreamReader> running = ConcurrentHashMap.newKeySet();
  private boolean writing;

  public SqlEventStore(Vertx vertx, Database db, EventStoreConfig config) {
    this.vertx = vertx;
    this.db = db;
    this.config = config;
    // "Insert unless present" by the unique event_id, in one index probe per row; H2's PostgreSQL mode takes
    // ON CONFLICT DO NOTHING only without a conflict target, and event_id is the only key an insert can repeat.
    this.insert = db.sql("INSERT INTO events (event_id, stream, operation, occurred_at, body) VALUES (?, ?, ?, ?, ?)"
        + " ON CONFLICT DO NOTHING");
  }

  /** One append waiting for its batch, with the context its caller must hear back on. */
  private record PendingAppend(DomainEvent event, byte[] body, Promise<Void> done, Context context) {}

  @Override
  public Future<Void> append(DomainEvent event, byte[] body) {
    Promise<Void> done = Promise.promise();
    Context context = vertx.getOrCreateContext();
    synchronized (pending) {
      pending.add(new PendingAppend(event, body, done, context));
      if (writing) {
        return done.future();
      }
      writing = true;
    }
    writeNextBatch();
    return done.future();
  }

  private void writeNextBatch() {
    List<PendingAppend> batch = new ArrayList<>(Math.min(BATCH, pending.size()));
    synchronized (pending) {
      while (batch.size() < BATCH && !pending.isEmpty()) {
        batch.add(pending.poll());
      }
      if (batch.isEmpty()) {
        writing = false;
        return;
      }
    }
    List<Tuple> rows = new ArrayList<>(batch.size());
    for (PendingAppend append : batch) {
      DomainEvent e = append.event();
      rows.add(Tuple.of(e.eventId(), e.stream(), e.operation(), e.occurredAt(),
          new String(append.body(), StandardCharsets.UTF_8)));
    }
    (db.isPostgres() ? writePipelined(rows) : db.inTransaction(conn -> conn.preparedQuery(insert).executeBatch(rows)))
        .onComplete(result -> {
          // The next batch goes to the database first, so it is written while this one's callers hear back.
          writeNextBatch();
          complete(batch, result);
          if (result.succeeded()) {
            batch.stream().map(a -> a.event().stream()).distinct().forEach(this::wake);
          }
        });
  }

  /**
   * One batch on PostgreSQL as one flight of messages: {@code BEGIN} with the append lock (one simple query), the
   * batched insert and {@code COMMIT} are sent together, and the database answers them in one go, where the
   * transaction API waits for each answer before sending the next statement (four round trips per batch, each
   * waking the database's process and this event loop). Nothing is weakened: PostgreSQL runs the three in order on
   * the connection; should the lock or the insert fail, the transaction is aborted and the {@code COMMIT} rolls it
   * back (PostgreSQL answers it with {@code ROLLBACK}, no error), so the batch fails as a whole, as before, and the
   * next batch is sent only after this one has been answered. The connection goes back to the pool once all three
   * have been answered, outside any transaction (a connection that broke is dropped by the pool).
   */
  private Future<Void> writePipelined(List<Tuple> rows) {
    return db.pool().getConnection().compose(conn -> {
      Future<?> begun = conn.query(BEGIN_AND_LOCK).execute();
      Future<?> inserted = conn.preparedQuery(insert).executeBatch(rows);
      Future<?> committed = conn.query("COMMIT").execute();
      // join, not all: the connection goes back to the pool only once every statement has been answered.
      return Future.join(begun, inserted, committed)
          .<Void>mapEmpty()
          .eventually(() -> conn.close());
    });
  }

  /**
   * Completes each append on the context that made it: the batch runs on whichever context started it, so the
   * others' appends are completed by one task per context and batch, not one per append.
   */
  private static void complete(List<PendingAppend> batch, AsyncResult<?> result) {
    Context here = Vertx.currentContext();
    Map<Context, List<PendingAppend>> elsewhere = null;
    for (PendingAppend append : batch) {
      if (append.context() == here) {
        settle(append, result);
      } else {
        if (elsewhere == null) {
          elsewhere = new IdentityHashMap<>();
        }
        elsewhere.computeIfAbsent(append.context(), c -> new ArrayList<>()).add(append);
      }
    }
    if (elsewhere != null) {
      elsewhere.forEach((context, appends) -> context.runOnContext(v -> appends.forEach(a -> settle(a, result))));
    }
  }

  private static void settle(PendingAppend append, AsyncResult<?> result) {
    if (result.succeeded()) {
      append.done().complete();
    } else {
      append.done().fail(result.cause());
    }
  }

  private void wake(String stream) {
    Set<StreamReader> waiting = readers.get(stream);
    if (waiting != null) {
      waiting.forEach(StreamReader::wake);
    }
  }

  @Override
  public Future<Subscription> subscribe(String stream, String consumer, StartFrom from, EventHandler handler) {
    Delivery delivery = new Delivery(vertx, config, consumer, handler, this::append);
    return start(new StreamReader(this, stream, consumer, from, delivery::deliver));
  }

  @Override
  public Future<Subscription> tail(String stream, StartFrom from, Handler<DomainEvent> handler) {
    return start(new StreamReader(this, stream, null, from, event -> {
      handler.handle(event);
      return Future.succeededFuture();
    }));
  }

  @Override
  public Future<Long> readToEnd(String stream, Handler<DomainEvent> handler) {
    String last = db.sql("SELECT COALESCE(MAX(seq), 0) AS last FROM events WHERE stream = ?");
    return db.inTransaction(conn -> conn.preparedQuery(last).execute(Tuple.of(stream)))
        .compose(rows -> readRange(stream, 0, rows.iterator().next().getLong("last"), handler, 0));
  }

  private Future<Long> readRange(String stream, long after, long end, Handler<DomainEvent> handler, long count) {
    if (after >= end) {
      return Future.succeededFuture(count);
    }
    // "stream, seq" is the index's order: H2 then stops after the batch instead of sorting every later row.
    String batch = db.sql("SELECT seq, body FROM events WHERE stream = ? AND seq > ? AND seq <= ? ORDER BY stream, seq"
        + " LIMIT "
        + READ_BATCH);
    return db.inTransaction(conn -> conn.preparedQuery(batch).execute(Tuple.of(stream, after, end))).compose(rows -> {
      long position = end;
      long read = count;
      for (var row : rows) {
        position = row.getLong("seq");
        handler.handle(DomainEvent.fromJson(stream, new io.vertx.core.json.JsonObject(row.getString("body"))));
        read++;
      }
      return rows.size() < READ_BATCH ? Future.succeededFuture(read) : readRange(stream, position, end, handler, read);
    });
  }

  private Future<Subscription> start(StreamReader reader) {
    readers.computeIfAbsent(reader.stream(), s -> ConcurrentHashMap.newKeySet()).add(reader);
    running.add(reader);
    return reader.start().map(v -> (Subscription) () -> {
      readers.getOrDefault(reader.stream(), Set.of()).remove(reader);
      running.remove(reader);
      return reader.stop();
    });
  }

  @Override
  public Future<Void> close() {
    List<Future<Void>> stops = new ArrayList<>();
    for (StreamReader reader : List.copyOf(running)) {
      stops.add(reader.stop());
    }
    running.clear();
    readers.clear();
    return Future.join(stops).mapEmpty();
  }

  Database db() {
    return db;
  }

  EventStoreConfig config() {
    return config;
  }

  Vertx vertx() {
    return vertx;
  }

  Context context() {
    return vertx.getOrCreateContext();
  }
}
