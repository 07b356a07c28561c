package io.fluxgate.bench;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.Codecs;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.config.ConfigTree;
import io.fluxgate.events.EventLogVerticle;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.sql.Database;
import io.fluxgate.sql.DatabaseConfig;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.PurgeOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Appends N events to NATS JetStream through the event-bus interceptor (publish on the bus, append, deliver) and,
 * in the same run, publishes the same bytes with raw jnats {@code publishAsync}; prints events per second of both.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar io.fluxgate.bench.InterceptorAppendBenchmark
 * [events=100000] [rounds=5] [nats-url=nats://127.0.0.1:4222]}
 */
public final class InterceptorAppendBenchmark {

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    String url = args.length > 2 ? args[2] : "nats://127.0.0.1:4222";
    String prefix = "bench" + UUID.randomUUID().toString().substring(0, 8);

    EventStoreConfig config = config("nats", url, prefix, events);
    Vertx vertx = Vertx.vertx();
    EventLogVerticle log = startEventLog(vertx, config, prefix);
    Connection raw = Nats.connect(url);
    JetStream js = raw.jetStream();

    System.out.printf("events per round: %d, rounds: %d, NATS %s, %d cores, %s%n", events, rounds, url,
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));
    List<Double> viaInterceptor = new ArrayList<>();
    List<Double> withConsumer = new ArrayList<>();
    List<Double> viaRaw = new ArrayList<>();
    List<Double> cpuInterceptor = new ArrayList<>();
    List<Double> cpuRaw = new ArrayList<>();
    for (int round = 0; round <= rounds; round++) {
      // -Dbench.only=interceptor or =raw runs one kind of round only (the others print as NaN): to profile one path.
      String only = System.getProperty("bench.only", "");
      Round skipped = new Round(Double.NaN, Double.NaN, Double.NaN);
      Round interceptor = only.equals("raw") ? skipped
          : measured(events, () -> interceptorRound(vertx, log, prefix + ".things", events, false));
      Round direct = only.equals("interceptor") ? skipped
          : measured(events, () -> rawRound(js, prefix + ".raw", events));
      Round delivered = !only.isEmpty() ? skipped
          : measured(events, () -> interceptorRound(vertx, log, prefix + ".users", events, true));
      if (round == 0) {
        System.out.printf("warm-up: interceptor %.0f/s, raw %.0f/s, interceptor + consumer %.0f/s%n",
            interceptor.rate(), direct.rate(), delivered.rate());
        continue;
      }
      viaInterceptor.add(interceptor.rate());
      viaRaw.add(direct.rate());
      withConsumer.add(delivered.rate());
      cpuInterceptor.add(interceptor.cpuMicrosPerEvent());
      cpuRaw.add(direct.cpuMicrosPerEvent());
      System.out.printf("round %d: interceptor %.0f/s (%.1f us CPU/event), raw publishAsync %.0f/s (%.1f us CPU/event),"
          + " ratio %.2f; interceptor + local consumer %.0f/s%s%n", round, interceptor.rate(),
          interceptor.cpuMicrosPerEvent(), direct.rate(), direct.cpuMicrosPerEvent(),
          interceptor.rate() / direct.rate(), delivered.rate(), SERVER_PID == null ? ""
              : String.format("; server CPU/event: interceptor %.1f us, raw %.1f us",
                  interceptor.serverCpuMicrosPerEvent(), direct.serverCpuMicrosPerEvent()));
    }
    double i = median(viaInterceptor);
    double r = median(viaRaw);
    System.out.printf("median: interceptor %.0f events/s (%.1f us CPU/event), raw publishAsync %.0f events/s"
        + " (%.1f us CPU/event), ratio %.2f; interceptor + local consumer %.0f events/s%n",
        i, median(cpuInterceptor), r, median(cpuRaw), i / r, median(withConsumer));
    var stats = log.stats();
    System.out.printf("interceptor counters: appended %d, failed %d, dropped %d%n",
        stats.appended(), stats.failedAppends(), stats.dropped());
    try {
      // Leave the shared stream as it was: this run's subjects only held benchmark traffic. Purging a few million
      // messages from file storage takes longer than jnats' default 2 s request timeout, whose exception used to
      // skip the closes below and leave the JVM running (Vert.x and jnats threads are not daemons).
      raw.jetStreamManagement(JetStreamOptions.builder().requestTimeout(Duration.ofMinutes(2)).build())
          .purgeStream(((io.fluxgate.events.nats.NatsSettings) config.store()).stream(),
              PurgeOptions.subject(Addresses.events(prefix) + ".>"));
    } finally {
      raw.close();
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  /** The event-log settings of a benchmark run on store {@code type} under a stream prefix of its own. */
  static EventStoreConfig config(String type, String url, String prefix, int events) {
    return EventStoreConfig.from(new ConfigTree(new JsonObject(),
        // A round is one burst: hold all of it, since this measures throughput and not the es.max_pending bound.
        Map.of("FG_ES_TYPE", type, "FG_ES_URL", url, "FG_ES_PREFIX", prefix,
            "FG_ES_MAX_PENDING", String.valueOf(Math.max(events, 20_000)))));
  }

  /** Deploys the event log (its interceptor on {@code vertx}'s bus) over an in-memory H2 of its own. */
  static EventLogVerticle startEventLog(Vertx vertx, EventStoreConfig config, String prefix) throws Exception {
    Codecs.register(vertx.eventBus());
    Database db = vertx.executeBlocking(() -> null).compose(v -> Database.open(vertx, new DatabaseConfig(
        "jdbc:h2:mem:" + prefix + ";DB_CLOSE_DELAY=-1", Path.of("target"), "", 2)))
        .toCompletionStage().toCompletableFuture().get();
    EventLogVerticle log = new EventLogVerticle(db, config);
    vertx.deployVerticle(log).toCompletionStage().toCompletableFuture().get();
    return log;
  }

  /**
   * Publishes from a context of its own, as a service would, and waits until the interceptor has had every append
   * acknowledged (and, with {@code consumer}, until a local consumer has received every event).
   */
  static double interceptorRound(Vertx vertx, EventLogVerticle log, String stream, int events,
      boolean consumer) throws Exception {
    DomainEvent[] batch = new DomainEvent[events];
    for (int n = 0; n < events; n++) {
      batch[n] = event(stream, n);
    }
    CountDownLatch delivered = new CountDownLatch(consumer ? events : 0);
    var registration = consumer
        ? vertx.eventBus().<DomainEvent>localConsumer(Addresses.events(stream), m -> delivered.countDown())
        : null;
    if (registration != null) {
      registration.completion().toCompletionStage().toCompletableFuture().get();
    }
    long appendedBefore = log.stats().appended();
    Context publisher = vertx.getOrCreateContext();
    long start = System.nanoTime();
    publisher.runOnContext(v -> publishFrom(publisher, log, batch, 0));
    long deadline = start + TimeUnit.SECONDS.toNanos(120);
    while (log.stats().appended() - appendedBefore < events || delivered.getCount() > 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("interceptor round did not finish");
      }
      Thread.sleep(1);
    }
    long elapsed = System.nanoTime() - start;
    if (registration != null) {
      registration.unregister().toCompletionStage().toCompletableFuture().get();
    }
    return events / (elapsed / 1e9);
  }

  static DomainEvent event(String stream, int n) {
    return DomainEvent.occurred(stream, "thing.view", "bench", DomainEvent.NO_REVISION,
        new JsonObject().put("id", "thing-" + n).put("name", "pump-station-17").put("status", "enabled"));
  }

  private static void publishFrom(Context context, EventLogVerticle log, DomainEvent[] batch, int from) {
    int to = Math.min(batch.length, from + 1_000);
    for (int n = from; n < to; n++) {
      log.publisher().publish(batch[n]);
    }
    if (to < batch.length) {
      context.runOnContext(v -> publishFrom(context, log, batch, to));
    }
  }

  /**
   * The same events with raw jnats: bodies encoded beforehand, the de-duplication header built per publish (as
   * any JetStream publisher that sets {@code Nats-Msg-Id} must), acknowledgements awaited.
   */
  private static double rawRound(JetStream js, String stream, int events) throws Exception {
    String subject = Addresses.events(stream);
    byte[][] bodies = new byte[events][];
    String[] ids = new String[events];
    for (int n = 0; n < events; n++) {
      DomainEvent event = event(stream, n);
      bodies[n] = event.toBytes();
      ids[n] = event.eventId();
    }
    AtomicInteger acked = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(1);
    long start = System.nanoTime();
    for (int n = 0; n < events; n++) {
      Headers headers = new Headers().put("Nats-Msg-Id", ids[n]).put("Content-Type", "application/json");
      CompletableFuture<PublishAck> ack = js.publishAsync(subject, headers, bodies[n]);
      ack.whenComplete((a, e) -> {
        if (acked.incrementAndGet() == events) {
          done.countDown();
        }
      });
    }
    if (!done.await(120, TimeUnit.SECONDS)) {
      throw new IllegalStateException("raw round did not finish");
    }
    return events / ((System.nanoTime() - start) / 1e9);
  }

  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

  /**
   * A round's rate, the CPU time this process spent per event in it and, with {@code -Dbench.serverPid=PID} (a
   * server on this machine, such as nats-server), the CPU time that process spent per event (NaN without it).
   */
  record Round(double rate, double cpuMicrosPerEvent, double serverCpuMicrosPerEvent) {}

  private static final String SERVER_PID = System.getProperty("bench.serverPid");

  /** The CPU time (user + system) of process {@link #SERVER_PID} in microseconds, from /proc; -1 without one. */
  static long serverCpuMicros() {
    if (SERVER_PID == null) {
      return -1;
    }
    try {
      String stat = java.nio.file.Files.readString(Path.of("/proc", SERVER_PID, "stat"));
      // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
      return ticks * 1_000_000L / 100; // USER_HZ is 100 on Linux
    } catch (java.io.IOException | RuntimeException e) {
      return -1;
    }
  }

  interface RoundBody {
    double run() throws Exception;
  }

  static Round measured(int events, RoundBody body) throws Exception {
    long server = serverCpuMicros();
    long cpu = OS.getProcessCpuTime();
    double rate = body.run();
    double cpuPerEvent = (OS.getProcessCpuTime() - cpu) / 1_000.0 / events;
    return new Round(rate, cpuPerEvent, server < 0 ? Double.NaN : (serverCpuMicros() - server) / (double) events);
  }

  static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  /**
   * One warm-up round, then {@code rounds} rounds of the interceptor on a store against that store's raw client
   * ({@code raw}, named {@code rawName} in the output), alternating in the same JVM: prints each round, the medians
   * and the interceptor's counters.
   */
  static void compareWithRawClient(String rawName, int events, int rounds, EventLogVerticle log, RoundBody viaLog,
      RoundBody raw) throws Exception {
    compareWithRawClient(rawName, events, rounds, log, viaLog, raw, Map.of());
  }

  /**
   * As above, with {@code also} (name, round) run after the raw round each time: the store's own commands sent raw,
   * to tell which part of a gap is the store's work on the server and which the interceptor's.
   */
  static void compareWithRawClient(String rawName, int events, int rounds, EventLogVerticle log, RoundBody viaLog,
      RoundBody raw, Map<String, RoundBody> also) throws Exception {
    List<Double> viaInterceptor = new ArrayList<>();
    List<Double> viaRaw = new ArrayList<>();
    List<Double> cpuInterceptor = new ArrayList<>();
    List<Double> cpuRaw = new ArrayList<>();
    Map<String, List<Double>> alsoRates = new java.util.LinkedHashMap<>();
    Map<String, List<Double>> alsoCpu = new java.util.LinkedHashMap<>();
    also.keySet().forEach(name -> {
      alsoRates.put(name, new ArrayList<>());
      alsoCpu.put(name, new ArrayList<>());
    });
    // -Dbench.only=interceptor or =raw runs one kind of round only (the other prints as NaN): to profile one path.
    String only = System.getProperty("bench.only", "");
    Round skipped = new Round(Double.NaN, Double.NaN, Double.NaN);
    for (int round = 0; round <= rounds; round++) {
      Round interceptor = only.equals("raw") ? skipped : measured(events, viaLog);
      Round direct = only.equals("interceptor") ? skipped : measured(events, raw);
      StringBuilder extra = new StringBuilder();
      for (var entry : also.entrySet()) {
        Round other = measured(events, entry.getValue());
        alsoRates.get(entry.getKey()).add(other.rate());
        alsoCpu.get(entry.getKey()).add(other.cpuMicrosPerEvent());
        extra.append(String.format("; %s %.0f/s (%.1f us CPU/event)", entry.getKey(), other.rate(),
            other.cpuMicrosPerEvent()));
      }
      if (round == 0) {
        System.out.printf("warm-up: interceptor %.0f/s, raw %.0f/s%s%n", interceptor.rate(), direct.rate(), extra);
        alsoRates.values().forEach(List::clear);
        alsoCpu.values().forEach(List::clear);
        continue;
      }
      viaInterceptor.add(interceptor.rate());
      viaRaw.add(direct.rate());
      cpuInterceptor.add(interceptor.cpuMicrosPerEvent());
      cpuRaw.add(direct.cpuMicrosPerEvent());
      System.out.printf("round %d: interceptor %.0f/s (%.1f us CPU/event), %s %.0f/s (%.1f us CPU/event),"
          + " ratio %.2f%s%n", round, interceptor.rate(), interceptor.cpuMicrosPerEvent(), rawName, direct.rate(),
          direct.cpuMicrosPerEvent(), interceptor.rate() / direct.rate(), extra);
    }
    double i = median(viaInterceptor);
    double r = median(viaRaw);
    System.out.printf("median: interceptor %.0f events/s (%.1f us CPU/event), %s %.0f events/s"
        + " (%.1f us CPU/event), ratio %.2f%n", i, median(cpuInterceptor), rawName, r, median(cpuRaw), i / r);
    for (String name : alsoRates.keySet()) {
      double a = median(alsoRates.get(name));
      System.out.printf("median: %s %.0f events/s (%.1f us CPU/event), interceptor / it %.2f, it / %s %.2f%n", name,
          a, median(alsoCpu.get(name)), i / a, rawName, a / r);
    }
    var stats = log.stats();
    System.out.printf("interceptor counters: appended %d, failed %d, dropped %d%n",
        stats.appended(), stats.failedAppends(), stats.dropped());
  }
}
