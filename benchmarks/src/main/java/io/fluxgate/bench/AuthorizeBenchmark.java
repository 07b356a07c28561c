package io.fluxgate.bench;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.Codecs;
import io.fluxgate.codecs.Streams;
import io.fluxgate.codecs.ThingAccess;
import io.fluxgate.config.ConfigTree;
import io.fluxgate.events.EventLogVerticle;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.sql.Database;
import io.fluxgate.sql.DatabaseConfig;
import io.fluxgate.things.Channel;
import io.fluxgate.things.ChannelRepository;
import io.fluxgate.things.Connection;
import io.fluxgate.things.ConnectionRepository;
import io.fluxgate.things.Thing;
import io.fluxgate.things.ThingKeys;
import io.fluxgate.things.ThingRepository;
import io.fluxgate.things.ThingsConfig;
import io.fluxgate.things.ThingsVerticle;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The adapters' hot question, {@code fluxgate.things.authorize}, over the local event bus: a things service with
 * 10 000 things and 1 000 channels (each thing connected to two channels) answers a stream of requests kept
 * {@code window} deep from another event loop; prints answers per second and latency percentiles per round.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar io.fluxgate.bench.AuthorizeBenchmark
 * [requests=1000000] [rounds=5] [window=64]}
 */
public final class AuthorizeBenchmark {

  private static final int THINGS = 10_000;
  private static final int CHANNELS = 1_000;

  public static void main(String[] args) throws Exception {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int window = args.length > 2 ? Integer.parseInt(args[2]) : 64;
    String name = "authz" + UUID.randomUUID().toString().substring(0, 8);
    Path dataDir = Files.createTempDirectory("fluxgate-bench");

    Vertx vertx = Vertx.vertx();
    Codecs.register(vertx.eventBus());
    Database db = await(Database.open(vertx, new DatabaseConfig("jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1",
        dataDir, "", 4)));
    EventStoreConfig events = EventStoreConfig.from(new ConfigTree(new JsonObject(),
        Map.of("FG_ES_TYPE", "sql", "FG_ES_PREFIX", name)));
    EventLogVerticle log = new EventLogVerticle(db, events);
    await(vertx.deployVerticle(log));
    ThingsConfig config = ThingsConfig.from(new ConfigTree(new JsonObject(), Map.of()), dataDir);
    String[] thingIds = new String[THINGS];
    String[] channelIds = new String[CHANNELS];
    populate(db, new ThingKeys(config.serverKey()), thingIds, channelIds);
    await(vertx.deployVerticle(new ThingsVerticle(config, db, log.publisher(), new Streams(name), "bench",
        "127.0.0.1", 0, false, io.fluxgate.api.ServiceRequests.DEFAULT_TIMEOUT)));

    // The questions: half publish on a connected channel (allowed), a quarter subscribe there, a quarter elsewhere.
    ThingAccess[] questions = new ThingAccess[65_536];
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int i = 0; i < questions.length; i++) {
      int t = random.nextInt(THINGS);
      int pick = random.nextInt(4);
      String channel = pick == 3 ? channelIds[random.nextInt(CHANNELS)] : channelIds[t % CHANNELS];
      questions[i] = new ThingAccess(thingIds[t], channel,
          pick == 1 ? ThingAccess.Action.SUBSCRIBE : ThingAccess.Action.PUBLISH);
    }
    System.out.printf("authorize over the local bus: %d things, %d channels, %d requests per round, window %d, "
        + "%d cores, %s%n", THINGS, CHANNELS, requests, window, Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.vm.version"));
    Context caller = vertx.getOrCreateContext();
    for (int round = 1; round <= rounds; round++) {
      Result result = run(caller, vertx.eventBus(), questions, requests, window);
      long[] latencies = result.latencies;
      Arrays.sort(latencies);
      System.out.printf("round %d: %,.0f answers/s, allowed %d, p50 %.1f us, p99 %.1f us, p99.9 %.1f us%n", round,
          requests / (result.nanos / 1e9), result.allowed, latencies[latencies.length / 2] / 1e3,
          latencies[(int) (latencies.length * 0.99)] / 1e3, latencies[(int) (latencies.length * 0.999)] / 1e3);
    }
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  private record Result(long nanos, long allowed, long[] latencies) {}

  /** Sends {@code total} requests from {@code context}, keeping {@code window} outstanding. */
  private static Result run(Context context, EventBus bus, ThingAccess[] questions, int total, int window)
      throws Exception {
    CompletableFuture<Result> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      long[] latencies = new long[total];
      long[] state = new long[3]; // sent, answered, allowed
      long start = System.nanoTime();
      Runnable[] sendOne = new Runnable[1];
      sendOne[0] = () -> {
        int n = (int) state[0]++;
        long sentAt = System.nanoTime();
        bus.<Boolean>request(Addresses.THINGS_AUTHORIZE, questions[n & (questions.length - 1)]).onComplete(reply -> {
          latencies[n] = System.nanoTime() - sentAt;
          if (reply.succeeded() && reply.result().body()) {
            state[2]++;
          }
          if (++state[1] == total) {
            done.complete(new Result(System.nanoTime() - start, state[2], latencies));
          } else if (state[0] < total) {
            sendOne[0].run();
          }
        });
      };
      for (int i = 0; i < Math.min(window, total); i++) {
        sendOne[0].run();
      }
    });
    return done.get();
  }

  private static void populate(Database db, ThingKeys keys, String[] thingIds, String[] channelIds) {
    String now = Instant.now().toString();
    String owner = UUID.randomUUID().toString();
    List<Channel> channels = new ArrayList<>();
    for (int i = 0; i < CHANNELS; i++) {
      channelIds[i] = UUID.randomUUID().toString();
      channels.add(new Channel(channelIds[i], "c" + i, "", owner, "", new JsonObject(), "enabled", channelIds[i], 1,
          now, "", "", 1));
    }
    List<ThingRepository.Stored> things = new ArrayList<>();
    List<Connection> connections = new ArrayList<>();
    for (int i = 0; i < THINGS; i++) {
      thingIds[i] = UUID.randomUUID().toString();
      String key = keys.generate();
      things.add(new ThingRepository.Stored(new Thing(thingIds[i], "t" + i, "", new JsonArray(), owner,
          new JsonObject(), "enabled", now, "", "", 1), keys.hash(key), keys.seal(key)));
      connections.add(new Connection(thingIds[i], channelIds[i % CHANNELS], Connection.ALL, owner, now, "", "", 1));
      connections.add(new Connection(thingIds[i], channelIds[(i * 7 + 1) % CHANNELS], List.of(Connection.READ), owner,
          now, "", "", 1));
    }
    await(db.inTransaction(conn -> new ChannelRepository(db).insert(conn, channels)
        .compose(v -> new ThingRepository(db).insert(conn, things))
        .compose(v -> new ConnectionRepository(db).insert(conn, connections))));
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
