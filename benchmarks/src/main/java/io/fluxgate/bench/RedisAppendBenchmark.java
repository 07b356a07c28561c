package io.fluxgate.bench;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.EventLogVerticle;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.events.redis.RedisEventStore;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.ProtocolVersion;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Appends N events to Redis Streams through the event-bus interceptor (publish on the bus, the store's append
 * script, deliver) and, in the same run, sends the same entries as plain pipelined {@code XADD}s with
 * vertx-redis-client on one connection; prints events per second of both.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar io.fluxgate.bench.RedisAppendBenchmark
 * [events=100000] [rounds=5] [redis-url=redis://127.0.0.1:6379]}
 */
public final class RedisAppendBenchmark {

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    String url = args.length > 2 ? args[2] : "redis://127.0.0.1:6379";
    String prefix = "bench" + UUID.randomUUID().toString().substring(0, 8);

    EventStoreConfig config = InterceptorAppendBenchmark.config("redis", url, prefix, events);
    Vertx vertx = Vertx.vertx();
    EventLogVerticle log = InterceptorAppendBenchmark.startEventLog(vertx, config, prefix);
    Redis client = Redis.createClient(vertx, new RedisOptions().setConnectionString(url)
        .setPreferredProtocolVersion(ProtocolVersion.RESP2).setMaxWaitingHandlers(events * 2));
    RedisConnection raw = client.connect().toCompletionStage().toCompletableFuture().get();

    System.out.printf("events per round: %d, rounds: %d, Redis %s, %d cores, %s%n", events, rounds, url,
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));
    String perEventSha = raw.send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(PER_EVENT_SCRIPT))
        .toCompletionStage().toCompletableFuture().get().toString();
    String batchSha = raw.send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(RedisEventStore.APPEND_SCRIPT))
        .toCompletionStage().toCompletableFuture().get().toString();
    java.util.Map<String, InterceptorAppendBenchmark.RoundBody> storeScripts = new java.util.LinkedHashMap<>();
    storeScripts.put("raw EVALSHA per event", () -> rawScriptRound(vertx, raw, perEventSha, prefix, events));
    storeScripts.put("raw EVALSHA per batch", () -> rawBatchScriptRound(vertx, raw, batchSha, prefix, events));
    InterceptorAppendBenchmark.compareWithRawClient("raw pipelined XADD", events, rounds, log,
        () -> InterceptorAppendBenchmark.interceptorRound(vertx, log, prefix + ".things", events, false),
        () -> rawRound(vertx, raw, prefix + ".raw", events),
        storeScripts);
    vertx.close().toCompletionStage().toCompletableFuture().get();
    // Leave the shared server as it was: this run's keys only held benchmark traffic.
    Vertx cleaner = Vertx.vertx();
    Redis tidy = Redis.createClient(cleaner, url);
    for (String key : List.of(prefix + ".things", prefix + ".raw", prefix + ".evalsha",
        prefix + ".batches")) {
      tidy.send(Request.cmd(Command.DEL).arg(key)).toCompletionStage().toCompletableFuture().get();
    }
    String cursor = "0";
    do {
      var page = tidy.send(Request.cmd(Command.SCAN).arg(cursor).arg("MATCH").arg(prefix + ".*").arg("COUNT")
          .arg(10_000)).toCompletionStage().toCompletableFuture().get();
      cursor = page.get(0).toString();
      for (var key : page.get(1)) {
        tidy.send(Request.cmd(Command.DEL).arg(key.toString())).toCompletionStage().toCompletableFuture().get();
      }
    } while (!cursor.equals("0"));
    cleaner.close().toCompletionStage().toCompletableFuture().get();
  }

  /** The store's append script up to 2026-11-30: SET NX of the event's id, then XADD; one call per event. */
  private static final String PER_EVENT_SCRIPT = """
      if not redis.call('SET', KEYS[2], '1', 'NX') then
        return 0
      end
      redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))
      return 1
      """;

  /**
   * The same entries through {@link #PER_EVENT_SCRIPT}, one pipelined EVALSHA per event: the server-side cost of
   * de-duplicating without the interceptor, to split the gap to raw XADD into script and interceptor.
   */
  private static double rawScriptRound(Vertx vertx, RedisConnection connection, String sha, String prefix,
      int events) throws Exception {
    String stream = prefix + ".evalsha";
    Request[] requests = new Request[events];
    for (int n = 0; n < events; n++) {
      DomainEvent event = InterceptorAppendBenchmark.event(stream, n);
      requests[n] = entry(Request.cmd(Command.EVALSHA).arg(sha).arg(2).arg(stream)
          .arg(prefix + ".dedup." + event.eventId()).arg(0).arg(0), event);
    }
    return pipelined(vertx, connection, requests);
  }

  /**
   * The same entries through the store's script ({@link RedisEventStore#APPEND_SCRIPT}), {@link RedisEventStore#BATCH}
   * events to a call, pipelined: the store's work on the server without the interceptor.
   */
  private static double rawBatchScriptRound(Vertx vertx, RedisConnection connection, String sha, String prefix,
      int events) throws Exception {
    String stream = prefix + ".batches";
    List<Request> requests = new java.util.ArrayList<>();
    for (int from = 0; from < events; from += RedisEventStore.BATCH) {
      int to = Math.min(events, from + RedisEventStore.BATCH);
      List<DomainEvent> batch = new java.util.ArrayList<>();
      for (int n = from; n < to; n++) {
        batch.add(InterceptorAppendBenchmark.event(stream, n));
      }
      Request call = Request.cmd(Command.EVALSHA).arg(sha).arg(2 * batch.size());
      batch.forEach(event -> call.arg(stream).arg(prefix + ".dedup." + event.eventId()));
      call.arg(0).arg(0);
      batch.forEach(event -> entry(call.arg(8 + 2 * event.fields().size()), event));
      requests.add(call);
    }
    double calls = pipelined(vertx, connection, requests.toArray(Request[]::new));
    return calls * events / requests.size();
  }

  /** The same entries as plain XADDs (one field per top-level key), all sent before the first reply is read. */
  private static double rawRound(Vertx vertx, RedisConnection connection, String stream, int events)
      throws Exception {
    Request[] requests = new Request[events];
    for (int n = 0; n < events; n++) {
      DomainEvent event = InterceptorAppendBenchmark.event(stream, n);
      requests[n] = entry(Request.cmd(Command.XADD).arg(stream).arg("*"), event);
    }
    return pipelined(vertx, connection, requests);
  }

  /** Adds the entry's field-value pairs of {@code event} (one per top-level key) to {@code request}. */
  private static Request entry(Request request, DomainEvent event) {
    request.arg(DomainEvent.OPERATION).arg(event.operation())
        .arg(DomainEvent.OCCURRED_AT).arg(event.occurredAt())
        .arg(DomainEvent.EVENT_ID).arg(event.eventId())
        .arg(DomainEvent.INSTANCE).arg(event.instance());
    event.fields().forEach(field -> request.arg(field.getKey()).arg(String.valueOf(field.getValue())));
    return request;
  }

  /** Sends every request before the first reply is read; the rate until the last reply. */
  private static double pipelined(Vertx vertx, RedisConnection connection, Request[] requests) throws Exception {
    int events = requests.length;
    AtomicInteger answered = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(1);
    long start = System.nanoTime();
    vertx.runOnContext(v -> {
      for (Request request : requests) {
        connection.send(request).onComplete(r -> {
          if (answered.incrementAndGet() == events) {
            done.countDown();
          }
        });
      }
    });
    if (!done.await(120, TimeUnit.SECONDS)) {
      throw new IllegalStateException("raw round did not finish");
    }
    return events / ((System.nanoTime() - start) / 1e9);
  }
}
