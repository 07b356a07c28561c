package io.fluxgate.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.sql.DatabaseConfig;
import io.fluxgate.testing.NodeProcess;
import io.fluxgate.testing.PlatformNode;
import io.fluxgate.testing.PrivateNatsServer;
import io.fluxgate.testing.TestStores;
import io.nats.client.Nats;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node killed with {@code kill -9} in the middle of REST writes loses none it acknowledged: after a restart every
 * write answered 2xx has its row (or, for a delete, no row) and exactly one event in the store.
 */
class KillNineDurabilityTest {

  private static final int WRITERS = 8;
  private static final Duration LOAD = Duration.ofSeconds(3);

  @TempDir
  Path dataDir;

  /**
   * What the load acknowledged: things created (201) and things removed (204); and the removes sent at all, since
   * one cut off by the kill may have committed without its answer.
   */
  private record Acknowledged(Set<String> created, Set<String> removed, Set<String> removeSent) {}

  @Test
  void everyAcknowledgedWriteSurvivesKillNineOnTheEmbeddedDefault() throws Exception {
    Map<String, String> env = NodeProcess.env(dataDir, fastRelay());
    Acknowledged acked = loadAndKill(env);

    restartUntilTheOutboxIsDrained(env);

    String url = "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("fluxgate")
        + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE";
    try (Connection db = DriverManager.getConnection(url, "sa", TestStores.embeddedPassword(dataDir))) {
      assertEventsOnce(eventsInSqlLog(db), acked, assertRows(db, acked));
    }
  }

  @Test
  void everyAcknowledgedWriteSurvivesKillNineOnPostgresAndNatsRestartedAfterTheDeduplicationWindow()
      throws Exception {
    DatabaseConfig pg = TestStores.postgres();
    try (PrivateNatsServer nats = new PrivateNatsServer().start()) {
      Map<String, String> overrides = fastRelay();
      overrides.put("FG_DB_URL", pg.url());
      overrides.put("FG_DB_SCHEMA", pg.schema());
      overrides.put("FG_ES_TYPE", "nats");
      overrides.put("FG_ES_URL", nats.url());
      overrides.put("FG_ES_NATS_DUPLICATE_WINDOW", "1s");
      Map<String, String> env = NodeProcess.env(dataDir, overrides);
      Acknowledged acked = loadAndKill(env);

      // Longer than the server's own de-duplication window: only the relay's look-up keeps duplicates out now.
      Thread.sleep(2_500);
      restartUntilTheOutboxIsDrained(env);

      Set<String> rows;
      try (Connection db = TestStores.jdbc(pg)) {
        rows = assertRows(db, acked);
      }
      assertEventsOnce(eventsInNats(nats.url()), acked, rows);
    } finally {
      TestStores.dropSchema(pg);
    }
  }

  private static Map<String, String> fastRelay() {
    Map<String, String> env = new HashMap<>();
    env.put("FG_ES_RELAY_INTERVAL", "200ms");
    env.put("FG_ES_RELAY_DELAY", "300ms");
    env.put("FG_ES_READ_EVENTS", "false");
    return env;
  }

  /** Drives creates and removes from several writers and kills the node while they run. */
  private static Acknowledged loadAndKill(Map<String, String> env) throws Exception {
    Set<String> created = ConcurrentHashMap.newKeySet();
    Set<String> removed = ConcurrentHashMap.newKeySet();
    Set<String> removeSent = ConcurrentHashMap.newKeySet();
    try (NodeProcess node = NodeProcess.serve(env)) {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      String token = token(http, node.port("users"));
      String things = "http://127.0.0.1:" + node.port("things") + "/things";
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger sequence = new AtomicInteger();
      ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
      for (int w = 0; w < WRITERS; w++) {
        writers.submit(() -> {
          List<String> mine = new ArrayList<>();
          while (running.get()) {
            try {
              int n = sequence.incrementAndGet();
              if (n % 4 == 0 && !mine.isEmpty()) {
                String id = mine.remove(0);
                removeSent.add(id);
                var response = http.send(HttpRequest.newBuilder(URI.create(things + "/" + id))
                    .header("Authorization", "Bearer " + token).DELETE().build(),
                    HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 204) {
                  removed.add(id);
                }
              } else {
                var response = http.send(HttpRequest.newBuilder(URI.create(things))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"crash-" + n + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 201) {
                  String id = new JsonObject(response.body()).getString("id");
                  created.add(id);
                  mine.add(id);
                }
              }
            } catch (Exception e) {
              // The node died under this request: it was not acknowledged.
            }
          }
          return null;
        });
      }
      Thread.sleep(LOAD.toMillis());
      node.kill();
      running.set(false);
      writers.shutdown();
      assertThat(writers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(created).as("writes acknowledged before the kill").hasSizeGreaterThan(50);
    return new Acknowledged(created, removed, removeSent);
  }

  private static String token(HttpClient http, int usersPort) throws Exception {
    var response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + usersPort + "/users/tokens/issue"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("identity", PlatformNode.ADMIN)
            .put("secret", PlatformNode.ADMIN_SECRET).encode())).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return new JsonObject(response.body()).getString("access_token");
  }

  /** Starts the node on the same data, waits until its relay has emptied the outbox, and stops it cleanly. */
  private static void restartUntilTheOutboxIsDrained(Map<String, String> env) throws Exception {
    try (NodeProcess node = NodeProcess.serve(env)) {
      String start = node.awaitLine("the outbox report", Duration.ofSeconds(30), line -> line.contains("outbox: "));
      if (!start.contains("outbox: 0 events")) {
        node.awaitLine("the outbox drained", Duration.ofSeconds(60), line -> line.contains("outbox drained"));
      }
      node.stop();
    }
  }

  /** Rows: every acknowledged create is there unless a remove of it was sent; no acknowledged remove came back. */
  private static Set<String> assertRows(Connection db, Acknowledged acked) throws Exception {
    Set<String> rows = new java.util.HashSet<>();
    try (var st = db.createStatement(); var rs = st.executeQuery("SELECT id FROM things")) {
      while (rs.next()) {
        rows.add(rs.getString(1));
      }
    }
    Set<String> kept = new java.util.HashSet<>(acked.created());
    kept.removeAll(acked.removeSent());
    assertThat(rows).as("every acknowledged create has its row").containsAll(kept);
    assertThat(rows).as("no acknowledged remove came back").doesNotContainAnyElementsOf(acked.removed());
    return rows;
  }

  /**
   * Each acknowledged write has exactly one event, a remove cut off by the kill has one exactly when its row is gone,
   * and no event id is stored twice.
   */
  private static void assertEventsOnce(List<JsonObject> events, Acknowledged acked, Set<String> rows) {
    Map<String, Integer> creates = new HashMap<>();
    Map<String, Integer> removes = new HashMap<>();
    List<String> ids = new ArrayList<>();
    for (JsonObject event : events) {
      ids.add(event.getString("event_id"));
      String operation = event.getString("operation");
      if ("thing.create".equals(operation)) {
        creates.merge(event.getString("id"), 1, Integer::sum);
      } else if ("thing.remove".equals(operation)) {
        removes.merge(event.getString("id"), 1, Integer::sum);
      }
    }
    assertThat(ids).as("no event stored twice").doesNotHaveDuplicates();
    for (String id : acked.created()) {
      assertThat(creates.get(id)).as("thing.create events of acknowledged thing " + id).isEqualTo(1);
    }
    for (String id : acked.removed()) {
      assertThat(removes.get(id)).as("thing.remove events of acknowledged remove " + id).isEqualTo(1);
    }
    for (String id : acked.removeSent()) {
      // A remove cut off by the kill either committed (row gone, one event) or did not (row there, no event).
      assertThat(removes.getOrDefault(id, 0)).as("thing.remove events of sent remove " + id)
          .isEqualTo(rows.contains(id) ? 0 : 1);
    }
  }

  private static List<JsonObject> eventsInSqlLog(Connection db) throws Exception {
    List<JsonObject> events = new ArrayList<>();
    try (var st = db.createStatement();
        var rs = st.executeQuery("SELECT body FROM events WHERE stream = 'fluxgate.things' ORDER BY seq")) {
      while (rs.next()) {
        events.add(new JsonObject(rs.getString(1)));
      }
    }
    return events;
  }

  private static List<JsonObject> eventsInNats(String url) throws Exception {
    List<JsonObject> events = new ArrayList<>();
    try (var nats = Nats.connect(url)) {
      var ordered = nats.getStreamContext("events").createOrderedConsumer(new OrderedConsumerConfiguration()
          .filterSubject("events.fluxgate.things").deliverPolicy(DeliverPolicy.All));
      try (var messages = ordered.iterate()) {
        while (true) {
          var message = messages.nextMessage(Duration.ofSeconds(10));
          assertThat(message).as("message " + (events.size() + 1) + " of the things stream").isNotNull();
          events.add(new JsonObject(new String(message.getData(), java.nio.charset.StandardCharsets.UTF_8)));
          if (message.metaData().pendingCount() == 0) {
            break;
          }
        }
      }
    }
    return events;
  }
}
