package io.fluxgate.bench;

import io.fluxgate.codecs.Codecs;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.EventLogVerticle;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.sql.Database;
import io.fluxgate.sql.DatabaseConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Appends N events to the SQL store through the event-bus interceptor (publish on the bus, the store's batched
 * insert-unless-present, deliver) and, in the same run, inserts the same rows with plain batched INSERTs on the
 * same pool, one transaction of {@value #BATCH} rows after another; prints events per second of both.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar io.fluxgate.bench.SqlAppendBenchmark
 * [events=100000] [rounds=5] [db-url=jdbc:h2:mem:...]}; a {@code postgresql://} URL runs it on PostgreSQL in a
 * schema of its own, dropped at the end.
 */
public final class SqlAppendBenchmark {

  private static final int BATCH = 256;

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    String prefix = "bench" + UUID.randomUUID().toString().substring(0, 8);
    String url = args.length > 2 ? args[2] : "jdbc:h2:mem:" + prefix + ";DB_CLOSE_DELAY=-1";
    boolean postgres = url.startsWith("postgres");
    DatabaseConfig dbConfig = new DatabaseConfig(url, Path.of("target"), postgres ? prefix : "", 4);

    EventStoreConfig config = InterceptorAppendBenchmark.config("sql", "", prefix, events);
    Vertx vertx = Vertx.vertx();
    Codecs.register(vertx.eventBus());
    Database db = vertx.executeBlocking(() -> null).compose(v -> Database.open(vertx, dbConfig))
        .toCompletionStage().toCompletableFuture().get();
    EventLogVerticle log = new EventLogVerticle(db, config);
    vertx.deployVerticle(log).toCompletionStage().toCompletableFuture().get();

    System.out.printf("events per round: %d, rounds: %d, %s, %d cores, %s%n", events, rounds,
        postgres ? "PostgreSQL " + url : "H2 in memory", Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.vm.version"));
    // -Dbench.storeStatements=true adds a round of the store's own transaction sent raw (append lock on PostgreSQL,
    // INSERT ... ON CONFLICT DO NOTHING): which part of a gap is the database's and which the interceptor's.
    java.util.Map<String, InterceptorAppendBenchmark.RoundBody> also = Boolean.getBoolean("bench.storeStatements")
        ? java.util.Map.of("store statements raw", () -> storeStatementsRound(db, prefix + ".store", events))
        : java.util.Map.of();
    InterceptorAppendBenchmark.compareWithRawClient("raw batched INSERT", events, rounds, log,
        () -> InterceptorAppendBenchmark.interceptorRound(vertx, log, prefix + ".things", events, false),
        () -> rawRound(db, prefix + ".raw", events), also);
    vertx.undeploy(vertx.deploymentIDs().iterator().next()).toCompletionStage().toCompletableFuture().get();
    if (postgres) {
      // Leave the shared server as it was: the schema only held benchmark rows.
      db.inTransaction(conn -> conn.query("DROP SCHEMA " + prefix + " CASCADE").execute())
          .toCompletionStage().toCompletableFuture().get();
    }
    db.close().toCompletionStage().toCompletableFuture().get();
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  /** The same rows as plain INSERTs, {@value #BATCH} to a transaction, each after the last committed. */
  private static double rawRound(Database db, String stream, int events) throws Exception {
    return insertRound(db, stream, events, "", false);
  }

  /** As {@link #rawRound}, with the store's statements: the append lock on PostgreSQL and ON CONFLICT DO NOTHING. */
  private static double storeStatementsRound(Database db, String stream, int events) throws Exception {
    return insertRound(db, stream, events, " ON CONFLICT DO NOTHING", db.isPostgres());
  }

  private static double insertRound(Database db, String stream, int events, String onConflict, boolean lock)
      throws Exception {
    List<Tuple> rows = new ArrayList<>(events);
    for (int n = 0; n < events; n++) {
      DomainEvent event = InterceptorAppendBenchmark.event(stream, n);
      rows.add(Tuple.of(event.eventId(), event.stream(), event.operation(), event.occurredAt(),
          new String(event.toBytes(), StandardCharsets.UTF_8)));
    }
    String insert = db.sql("INSERT INTO events (event_id, stream, operation, occurred_at, body) VALUES (?, ?, ?, ?, ?)"
        + onConflict);
    long start = System.nanoTime();
    Promise<Void> done = Promise.promise();
    db.vertx().runOnContext(v -> insertFrom(db, insert, lock, rows, 0).onComplete(done));
    done.future().toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    return events / ((System.nanoTime() - start) / 1e9);
  }

  private static Future<Void> insertFrom(Database db, String insert, boolean lock, List<Tuple> rows, int from) {
    if (from >= rows.size()) {
      return Future.succeededFuture();
    }
    List<Tuple> batch = rows.subList(from, Math.min(rows.size(), from + BATCH));
    return db.inTransaction(conn -> (lock ? conn.query("SELECT pg_advisory_xact_lock(7471)").execute().mapEmpty()
            : Future.succeededFuture()).compose(v -> conn.preparedQuery(insert).executeBatch(batch)))
        .compose(r -> insertFrom(db, insert, lock, rows, from + BATCH));
  }
}
