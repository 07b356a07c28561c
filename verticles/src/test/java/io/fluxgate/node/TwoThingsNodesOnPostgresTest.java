package io.fluxgate.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.ThingAccess;
import io.fluxgate.sql.DatabaseConfig;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.PlatformNode;
import io.fluxgate.testing.TestStores;
import io.fluxgate.things.ThingKeys;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two clustered nodes running the things service on one PostgreSQL database: after a burst of concurrent changes
 * through node A's REST API, node B's access index (asked over the bus as the MQTT adapter asks) answers exactly what
 * the database says, for every thing and channel pair and every key ever issued.
 */
@Timeout(240)
class TwoThingsNodesOnPostgresTest {

  private static final Duration SETTLE = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  private record Database(Map<String, String[]> things, Map<String, String> channels,
      Map<String, List<String>> connections) {}

  @Test
  void nodeBsAuthorizationAnswersMatchTheDatabaseAfterABurstThroughNodeA() throws Exception {
    Path clusterFile = PlatformNode.privateClusterFile(dir);
    byte[] serverKey = new byte[32];
    new SecureRandom().nextBytes(serverKey);
    String schema = TestStores.unique("t_");
    DatabaseConfig db = new DatabaseConfig(TestStores.PG_URL, Path.of("target"), schema, 1);
    Map<String, String> shared = Map.of("FG_DB_URL", TestStores.PG_URL, "FG_DB_SCHEMA", schema,
        "FG_CLUSTER_CONFIG", clusterFile.toString(),
        "FG_THINGS_KEY", Base64.getEncoder().encodeToString(serverKey),
        "FG_ES_RELAY_INTERVAL", "100ms", "FG_ES_RELAY_DELAY", "500ms");

    PlatformNode a = PlatformNode.start(PlatformNode.env("node-a", dir.resolve("a"), "users,things", shared), true);
    PlatformNode b = null;
    try {
      b = PlatformNode.start(PlatformNode.env("node-b", dir.resolve("b"), "things", shared), true);
      PlatformNode nodeB = b;
      Map<String, Set<String>> keys = new ConcurrentHashMap<>();
      Queue<String> thingIds = new ConcurrentLinkedQueue<>();
      Queue<String> channelIds = new ConcurrentLinkedQueue<>();

      // The consumer of node B travels through Hazelcast: see one thing reach it before the burst begins.
      JsonObject warmUp = a.thing("warm-up");
      remember(warmUp, thingIds, keys);
      Await.until("node B to know the first thing", SETTLE, () -> authenticate(nodeB, warmUp.getString("id"),
          warmUp.getJsonObject("credentials").getString("secret")));

      List<String> existing = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        JsonObject thing = a.thing("old-" + i);
        remember(thing, thingIds, keys);
        existing.add(thing.getString("id"));
      }
      List<String> channels = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        channels.add(a.channel("ch-" + i));
      }
      channelIds.addAll(channels);
      for (int i = 0; i < existing.size(); i++) {
        a.connect(existing.get(i), channels.get(i % channels.size()));
      }

      long seed = System.nanoTime();
      Random random = new Random(seed);
      List<Future<?>> burst = new ArrayList<>();
      Queue<String> refusals = new ConcurrentLinkedQueue<>();
      // New things, each created and then connected, disabled, enabled or disconnected while everything else runs.
      for (int i = 0; i < 10; i++) {
        String c1 = channels.get(random.nextInt(channels.size()));
        String c2 = channels.get(random.nextInt(channels.size()));
        int path = random.nextInt(4);
        burst.add(send(a, a.http.post(a.port("things"), "127.0.0.1", "/things"),
            new JsonObject().put("name", "new-" + i), refusals).compose(created -> {
              remember(created, thingIds, keys);
              String id = created.getString("id");
              Future<?> chain = connect(a, id, c1, actionsFor(path), refusals)
                  .compose(x -> connect(a, id, c2, List.of("m_read"), refusals));
              if (path == 1) {
                chain = chain.compose(x -> post(a, "/things/" + id + "/disable", refusals));
              } else if (path == 2) {
                chain = chain.compose(x -> post(a, "/things/" + id + "/disable", refusals))
                    .compose(x -> post(a, "/things/" + id + "/enable", refusals));
              } else if (path == 3) {
                chain = chain.compose(x -> disconnect(a, id, c1, refusals));
              }
              return chain;
            }));
      }
      for (int i = 0; i < existing.size(); i++) {
        String id = existing.get(i);
        String channel = channels.get(random.nextInt(channels.size()));
        switch (i % 6) {
          case 0 -> burst.add(post(a, "/things/" + id + "/disable", refusals));
          case 1 -> burst.add(post(a, "/things/" + id + "/disable", refusals)
              .compose(x -> post(a, "/things/" + id + "/enable", refusals)));
          case 2 -> burst.add(send(a, a.http.delete(a.port("things"), "127.0.0.1", "/things/" + id), null,
              refusals));
          case 3 -> burst.add(disconnect(a, id, channels.get(i % channels.size()), refusals)
              .compose(x -> connect(a, id, channel, List.of("m_write"), refusals)));
          case 4 -> {
            String rotated = "rotated-key-" + i + "-" + seed;
            keys.get(id).add(rotated);
            burst.add(send(a, a.http.patch(a.port("things"), "127.0.0.1", "/things/" + id + "/secret"),
                new JsonObject().put("secret", rotated), refusals));
          }
          default -> burst.add(connect(a, id, channel, List.of("m_read", "m_write"), refusals));
        }
      }
      burst.add(post(a, "/channels/" + channels.get(0) + "/disable", refusals));
      burst.add(post(a, "/channels/" + channels.get(1) + "/disable", refusals)
          .compose(x -> post(a, "/channels/" + channels.get(1) + "/enable", refusals)));
      burst.add(send(a, a.http.delete(a.port("things"), "127.0.0.1", "/channels/" + channels.get(2)), null,
          refusals));
      Await.result(Future.join(burst), Duration.ofSeconds(60));
      assertThat(refusals).as("no request of the burst (seed " + seed + ") failed on the server").isEmpty();

      Database truth = read(db);
      ThingKeys hashes = new ThingKeys(serverKey);
      AtomicReference<List<String>> differences = new AtomicReference<>(List.of());
      try {
        Await.until("node B's answers to match the database", SETTLE, () -> {
          differences.set(differences(nodeB, truth, hashes, thingIds, channelIds, keys));
          return differences.get().isEmpty();
        });
      } catch (AssertionError timedOut) {
        throw new AssertionError("node B still differs from the database after " + SETTLE + " (seed " + seed + "):\n"
            + String.join("\n", differences.get()), timedOut);
      }
      // Every event of the burst is in the store and delivered: a late or duplicate one must change nothing.
      Await.until("node A's outbox drained", SETTLE,
          () -> Await.result(a.node.eventLog().outbox().size()) == 0 && a.node.eventLog().stats().inFlight() == 0);
      assertThat(differences(nodeB, truth, hashes, thingIds, channelIds, keys)).isEmpty();
      assertThat(truth.connections()).as("the burst left connections to check").isNotEmpty();
      assertThat(truth.things().values().stream().filter(t -> t[0].equals("disabled")))
          .as("and disabled things").isNotEmpty();
    } finally {
      if (b != null) {
        b.close();
      }
      a.close();
      TestStores.dropSchema(db);
    }
  }

  /** Write only on some paths, read and write on others, so both actions are checked. */
  private static List<String> actionsFor(int path) {
    return path % 2 == 0 ? List.of("m_write") : List.of("m_read", "m_write");
  }

  private static void remember(JsonObject thing, Queue<String> ids, Map<String, Set<String>> keys) {
    String id = thing.getString("id");
    ids.add(id);
    keys.computeIfAbsent(id, x -> ConcurrentHashMap.newKeySet()).add(thing.getJsonObject("credentials")
        .getString("secret"));
  }

  /** Sends a request as the administrator; a refusal (4xx, as when a thing was deleted meanwhile) is fine, 5xx not. */
  private static Future<JsonObject> send(PlatformNode node, HttpRequest<Buffer> request, JsonObject body,
      Queue<String> failures) {
    request.bearerTokenAuthentication(node.admin());
    Future<HttpResponse<Buffer>> sent = body == null ? request.send() : request.sendJsonObject(body);
    return sent.map(response -> {
      if (response.statusCode() >= 500) {
        failures.add(response.statusCode() + " " + response.bodyAsString());
      }
      String text = response.bodyAsString();
      return response.statusCode() < 300 && text != null && text.startsWith("{") ? response.bodyAsJsonObject()
          : new JsonObject();
    });
  }

  private static Future<JsonObject> post(PlatformNode node, String path, Queue<String> failures) {
    return send(node, node.http.post(node.port("things"), "127.0.0.1", path), null, failures);
  }

  private static Future<JsonObject> connect(PlatformNode node, String thing, String channel, List<String> actions,
      Queue<String> failures) {
    return send(node, node.http.post(node.port("things"), "127.0.0.1", "/connect"), new JsonObject()
        .put("subjects", new JsonArray().add(thing)).put("objects", new JsonArray().add(channel))
        .put("actions", new JsonArray(actions)), failures);
  }

  private static Future<JsonObject> disconnect(PlatformNode node, String thing, String channel,
      Queue<String> failures) {
    return send(node, node.http.post(node.port("things"), "127.0.0.1", "/disconnect"), new JsonObject()
        .put("subjects", new JsonArray().add(thing)).put("objects", new JsonArray().add(channel)), failures);
  }

  /** Things (status, key hash), channels (status) and connections (actions) as the database holds them. */
  private static Database read(DatabaseConfig config) throws Exception {
    Map<String, String[]> things = new HashMap<>();
    Map<String, String> channels = new HashMap<>();
    Map<String, List<String>> connections = new HashMap<>();
    try (Connection conn = TestStores.jdbc(config)) {
      try (ResultSet rows = conn.createStatement().executeQuery("SELECT id, status, key_hash FROM things")) {
        while (rows.next()) {
          things.put(rows.getString(1), new String[] {rows.getString(2), rows.getString(3)});
        }
      }
      try (ResultSet rows = conn.createStatement().executeQuery("SELECT id, status FROM channels")) {
        while (rows.next()) {
          channels.put(rows.getString(1), rows.getString(2));
        }
      }
      try (ResultSet rows = conn.createStatement().executeQuery("SELECT thing_id, channel_id, actions FROM connections")) {
        while (rows.next()) {
          List<String> actions = new ArrayList<>();
          new JsonArray(rows.getString(3)).forEach(action -> actions.add((String) action));
          connections.put(rows.getString(1) + "/" + rows.getString(2), actions);
        }
      }
    }
    return new Database(things, channels, connections);
  }

  /** Every answer of node B that is not what the database says, one readable line each. */
  private static List<String> differences(PlatformNode b, Database truth, ThingKeys hashes, Queue<String> thingIds,
      Queue<String> channelIds, Map<String, Set<String>> keys) {
    Map<String, Boolean> expected = new TreeMap<>();
    for (String thing : thingIds) {
      String[] row = truth.things().get(thing);
      boolean thingUsable = row != null && row[0].equals("enabled");
      for (String key : keys.get(thing)) {
        expected.put("authenticate " + thing + " with " + key,
            thingUsable && hashes.matches(key, row[1]));
      }
      for (String channel : channelIds) {
        boolean channelUsable = "enabled".equals(truth.channels().get(channel));
        List<String> actions = truth.connections().getOrDefault(thing + "/" + channel, List.of());
        expected.put("authorize " + thing + " to publish on " + channel,
            thingUsable && channelUsable && actions.contains("m_write"));
        expected.put("authorize " + thing + " to subscribe to " + channel,
            thingUsable && channelUsable && actions.contains("m_read"));
      }
    }
    Map<String, Future<Boolean>> asked = new HashMap<>();
    // Local only: the answer of node B's own index, not whichever node the clustered bus would pick.
    DeliveryOptions local = new DeliveryOptions().setLocalOnly(true);
    var bus = b.node.vertx().eventBus();
    for (String question : expected.keySet()) {
      String[] words = question.split(" ");
      asked.put(question, words[0].equals("authenticate")
          ? bus.<Boolean>request(Addresses.THINGS_AUTHENTICATE,
              new JsonObject().put("thing_id", words[1]).put("key", words[3]), local).map(m -> m.body())
          : bus.<Boolean>request(Addresses.THINGS_AUTHORIZE, new ThingAccess(words[1], words[words.length - 1],
              words[3].equals("publish") ? ThingAccess.Action.PUBLISH : ThingAccess.Action.SUBSCRIBE), local)
              .map(m -> m.body()));
    }
    List<String> differences = new ArrayList<>();
    expected.forEach((question, answer) -> {
      boolean got = Await.result(asked.get(question));
      if (got != answer) {
        differences.add(question + ": node B says " + got + ", the database " + answer);
      }
    });
    return differences;
  }

  private static boolean authenticate(PlatformNode node, String thingId, String key) {
    return Await.result(node.node.vertx().eventBus().<Boolean>request(Addresses.THINGS_AUTHENTICATE,
        new JsonObject().put("thing_id", thingId).put("key", key), new DeliveryOptions().setLocalOnly(true))).body();
  }
}
