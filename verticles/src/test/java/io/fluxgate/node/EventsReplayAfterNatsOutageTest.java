package io.fluxgate.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.PlatformNode;
import io.fluxgate.testing.PrivateNatsServer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fluxgate events replay --verify} on NATS JetStream after an outage: the events of the outage reach the log
 * after newer ones, and the folds still rebuild exactly the database; a row changed behind the service's back is
 * still found.
 */
@Timeout(180)
class EventsReplayAfterNatsOutageTest {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dataDir;

  private PlatformNode node;
  private final Queue<DomainEvent> delivered = new ConcurrentLinkedQueue<>();

  private JsonObject send(HttpRequest<Buffer> request, JsonObject body, int status) {
    request.bearerTokenAuthentication(node.admin());
    var response = Await.result(body == null ? request.send() : request.sendJsonObject(body));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    String text = response.bodyAsString();
    return text != null && text.startsWith("{") ? response.bodyAsJsonObject() : null;
  }

  private JsonObject things(String method, String path, JsonObject body, int status) {
    int port = node.port("things");
    HttpRequest<Buffer> request = switch (method) {
      case "POST" -> node.http.post(port, "127.0.0.1", path);
      case "PATCH" -> node.http.patch(port, "127.0.0.1", path);
      case "PUT" -> node.http.put(port, "127.0.0.1", path);
      case "GET" -> node.http.get(port, "127.0.0.1", path);
      default -> node.http.delete(port, "127.0.0.1", path);
    };
    return send(request, body, status);
  }

  private long outbox() {
    return Await.result(node.node.eventLog().outbox().size());
  }

  private record Run(int status, String out) {}

  private static Run replay(Map<String, String> env) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Fluxgate.run(new String[] {"events", "replay", "--stream", "all", "--verify"}, env,
        new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(status, out + err.toString());
  }

  /** Entities whose events the things stream holds out of revision order. */
  private List<String> reordered() {
    Map<String, Long> last = new HashMap<>();
    List<String> reordered = new ArrayList<>();
    Await.result(node.node.eventLog().store().readToEnd("fluxgate.things", event -> {
      if (event.revision() == DomainEvent.NO_REVISION) {
        return;
      }
      JsonObject f = event.fields();
      String entity = f.containsKey("thing_id") ? f.getString("thing_id") + "/" + f.getString("channel_id")
          : event.operation().split("\\.")[0] + " " + f.getString("id");
      Long before = last.put(entity, event.revision());
      if (before != null && before > event.revision()) {
        reordered.add(entity + " " + event.operation() + " revision " + event.revision() + " after " + before);
      }
    }));
    return reordered;
  }

  @Test
  void replayOnNatsVerifiesAfterAnOutageThatKeptEachEntitysOrderAndFindsARowChangedBehindTheService()
      throws Exception {
    try (PrivateNatsServer nats = new PrivateNatsServer().start()) {
      // One event held at a time: during the outage every later outbox event is left to the relay, and the relay
      // waits 5 s for a row; what is written right after the outage must still be stored behind them. (Before the
      // interceptor held a stream behind its rows, it was stored first.)
      Map<String, String> env = PlatformNode.env("replay-nats", dataDir, "users,things", Map.of(
          "FG_ES_TYPE", "nats", "FG_ES_URL", nats.url(), "FG_ES_APPEND_TIMEOUT", "1s", "FG_ES_MAX_PENDING", "1",
          "FG_ES_RELAY_INTERVAL", "200ms", "FG_ES_RELAY_DELAY", "5s"));
      node = PlatformNode.start(env, false);
      try {
        Await.result(node.node.vertx().eventBus().<DomainEvent>consumer(Addresses.events("fluxgate.things"),
            m -> delivered.add(m.body())).completion());
        String t1 = node.thing("t1").getString("id");
        String t2 = node.thing("t2").getString("id");
        String t3 = node.thing("t3").getString("id");
        String c1 = node.channel("c1");
        String c2 = node.channel("c2");
        things("PATCH", "/things/" + t1, new JsonObject().put("name", "pump")
            .put("metadata", new JsonObject()), 200);
        node.connect(t1, c1);
        node.connect(t2, c1);
        node.connect(t1, c2, "m_read");
        Await.until("the first events stored", WAIT, () -> outbox() == 0);

        nats.stop();
        // The first event of the outage is held (and reaches the store on reconnect); the rest wait for the relay.
        things("PATCH", "/things/" + t1, new JsonObject().put("name", "pump during the outage")
            .put("metadata", new JsonObject().put("depth", 12.5)), 200);
        things("PUT", "/channels/" + c2, new JsonObject().put("name", "c2 during the outage")
            .put("metadata", new JsonObject().put("zone", 4)), 200);
        node.connect(t3, c2);
        node.disconnect(t1, c1);
        things("POST", "/things/" + t2 + "/disable", null, 200);
        things("DELETE", "/things/" + t2, null, 204);
        assertThat(outbox()).as("the outage's events wait in the outbox").isPositive();

        nats.start();
        // A read's event is appended directly: once one is delivered, the store is reachable again.
        delivered.clear();
        Await.until("the store reachable again", WAIT, () -> {
          things("GET", "/things/" + t3, null, 200);
          return delivered.stream().anyMatch(e -> e.operation().equals("thing.view"));
        });
        things("PATCH", "/things/" + t1, new JsonObject().put("name", "pump after the outage")
            .put("metadata", new JsonObject().put("depth", 13)), 200);
        node.connect(t1, c1, "m_read");
        things("POST", "/channels/" + c1 + "/disable", null, 200);
        things("DELETE", "/channels/" + c2, null, 204);
        node.thing("t4");

        Await.until("the outbox drained", WAIT, () -> outbox() == 0);
        Await.until("nothing in flight", WAIT, () -> node.node.eventLog().stats().inFlight() == 0);
        assertThat(reordered()).as("each entity's events stored in revision order across the outage").isEmpty();

        Run clean = replay(env);
        assertThat(clean.status()).as(clean.out()).isZero();
        assertThat(clean.out()).contains("verified", "3 things", "1 channels", "1 connections");

        try (Connection c = DriverManager.getConnection(env.get("FG_DB_URL") + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE",
            "sa", "")) {
          assertThat(c.createStatement().executeUpdate("UPDATE things SET name = 'tampered' WHERE id = '" + t1 + "'"))
              .isEqualTo(1);
        }
        Run tampered = replay(env);
        assertThat(tampered.status()).as(tampered.out()).isEqualTo(1);
        assertThat(tampered.out()).contains("thing " + t1 + " name: log 'pump after the outage', database 'tampered'");
      } finally {
        node.close();
      }
    }
  }
}
