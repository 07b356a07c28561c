package io.fluxgate.bench;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.Streams;
import io.fluxgate.config.ConfigTree;
import io.fluxgate.events.EventStore;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.events.EventStores;
import io.fluxgate.node.Fluxgate;
import io.fluxgate.sql.Database;
import io.fluxgate.sql.DatabaseConfig;
import io.fluxgate.things.Thing;
import io.fluxgate.things.ThingEvents;
import io.fluxgate.things.ThingKeys;
import io.fluxgate.things.ThingRepository;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * Fills a store with the events of T things (a create and U updates each, written by the things service's own
 * event factory) and a database with the things' final rows, then times {@code fluxgate events replay --stream
 * things --verify} over them as an operator runs it.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar io.fluxgate.bench.ReplayBenchmark sql|nats
 * [things=100000] [updates=9] [nats-url=nats://127.0.0.1:4222]}
 */
public final class ReplayBenchmark {

  private static final int CHUNK = 4_096;

  public static void main(String[] args) throws Exception {
    String type = args.length > 0 ? args[0] : "sql";
    int things = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    int updates = args.length > 2 ? Integer.parseInt(args[2]) : 9;
    String url = args.length > 3 ? args[3] : "nats://127.0.0.1:4222";
    String prefix = "replay" + UUID.randomUUID().toString().substring(0, 8);
    Path dataDir = Files.createTempDirectory("fluxgate-replay");

    Map<String, String> env = new HashMap<>();
    env.put("FG_DATA_DIR", dataDir.toString());
    env.put("FG_ES_TYPE", type);
    env.put("FG_ES_PREFIX", prefix);
    if (type.equals("nats")) {
      env.put("FG_ES_URL", url);
    }
    EventStoreConfig config = EventStoreConfig.from(new ConfigTree(new JsonObject(), env));
    Vertx vertx = Vertx.vertx();
    long events = (long) things * (1 + updates);
    try {
      Database db = await(Database.open(vertx, new DatabaseConfig("", dataDir, "", 4)));
      EventStore store = await(EventStores.open(vertx, config, db));
      long fillStart = System.nanoTime();
      fill(vertx, db, store, new Streams(prefix), things, updates);
      System.out.printf("%s: filled %,d events of %,d things in %.1f s%n", type, events, things,
          (System.nanoTime() - fillStart) / 1e9);
      await(store.close());
      await(db.close());

      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      long start = System.nanoTime();
      int status = Fluxgate.run(new String[] {"events", "replay", "--stream", "things", "--verify"}, env,
          new PrintWriter(out, true), new PrintWriter(err, true));
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("%s: replay --verify of %,d events took %.1f s (%,.0f events/s), exit %d%n", type, events,
          seconds, events / seconds, status);
      out.toString().lines().filter(line -> !line.startsWith("thing ")).forEach(line -> System.out.println("  " + line));
      if (!err.toString().isBlank()) {
        System.out.println(err);
      }
    } finally {
      if (type.equals("nats")) {
        try (var nats = io.nats.client.Nats.connect(url)) {
          nats.jetStreamManagement().purgeStream(((io.fluxgate.events.nats.NatsSettings) config.store()).stream(),
              io.nats.client.PurgeOptions.subject("events." + prefix + ".>"));
        }
      }
      await(vertx.close());
      try (var files = Files.walk(dataDir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
  }

  /** Appends each thing's events in order, CHUNK appends in flight, and inserts the things' final rows. */
  private static void fill(Vertx vertx, Database db, EventStore store, Streams streams, int things, int updates)
      throws Exception {
    ThingEvents events = new ThingEvents(streams.things(), "bench-node");
    ThingKeys keys = new ThingKeys(new byte[32]);
    ThingRepository repository = new ThingRepository(db);
    Context context = vertx.getOrCreateContext();
    List<DomainEvent> pending = new ArrayList<>(CHUNK);
    List<ThingRepository.Stored> rows = new ArrayList<>();
    String owner = UUID.randomUUID().toString();
    for (int i = 0; i < things; i++) {
      String now = Instant.now().toString();
      Thing thing = new Thing(UUID.randomUUID().toString(), "thing-" + i, "", new JsonArray().add("bench"), owner,
          new JsonObject().put("site", "s" + (i % 100)), "enabled", now, "", "", 1);
      pending.add(events.created(thing));
      for (int u = 1; u <= updates; u++) {
        thing = thing.changed("thing-" + i + "-v" + u, thing.tags(), owner, thing.metadata().copy().put("v", u),
            thing.status(), Instant.now().toString(), owner);
        pending.add(events.updated(thing));
      }
      String key = keys.generate();
      rows.add(new ThingRepository.Stored(thing, keys.hash(key), keys.seal(key)));
      if (pending.size() >= CHUNK) {
        append(context, store, pending);
        pending = new ArrayList<>(CHUNK);
      }
      if (rows.size() == 1_000) {
        List<ThingRepository.Stored> batch = rows;
        await(db.inTransaction(conn -> repository.insert(conn, batch)));
        rows = new ArrayList<>();
      }
    }
    append(context, store, pending);
    List<ThingRepository.Stored> batch = rows;
    if (!batch.isEmpty()) {
      await(db.inTransaction(conn -> repository.insert(conn, batch)));
    }
  }

  /** Appends from a Vert.x context, as the interceptor does, and waits for the store's acknowledgements. */
  private static void append(Context context, EventStore store, List<DomainEvent> events) throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      List<Future<Void>> appends = new ArrayList<>(events.size());
      events.forEach(e -> appends.add(store.append(e)));
      Future.all(appends).onComplete(r -> {
        if (r.succeeded()) {
          done.complete(null);
        } else {
          done.completeExceptionally(r.cause());
        }
      });
    });
    done.get();
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get();
  }
}
