package io.fluxgate.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.testing.Await;
import io.fluxgate.testing.PlatformNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fluxgate events replay --verify} on the embedded defaults (H2, SQL event store): a mixed workload through
 * the REST API rebuilds to exactly the database, and a lost event or a row changed behind the service's back fails.
 */
@Timeout(120)
class EventsReplayCommandTest {

  @TempDir
  Path dataDir;

  Map<String, String> env;
  PlatformNode node;
  String jdbcUrl;

  @BeforeEach
  void start() {
    env = PlatformNode.env("replay", dataDir, "users,things", Map.of());
    jdbcUrl = env.get("FG_DB_URL") + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE";
    node = PlatformNode.start(env, false);
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private JsonObject send(HttpRequest<Buffer> request, Object body, int status) {
    request.bearerTokenAuthentication(node.admin());
    var response = Await.result(body == null ? request.send() : body instanceof JsonObject object
        ? request.sendJsonObject(object) : request.sendJson(body));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    String text = response.bodyAsString();
    return text != null && text.startsWith("{") ? response.bodyAsJsonObject() : null;
  }

  private void workload() {
    int users = node.port("users");
    int things = node.port("things");
    var http = node.http;
    String alice = send(http.post(users, "127.0.0.1", "/users"), new JsonObject().put("name", "alice")
        .put("credentials", new JsonObject().put("identity", "alice@example.com").put("secret", "alice-secret")), 201)
        .getString("id");
    send(http.patch(users, "127.0.0.1", "/users/" + alice), new JsonObject().put("name", "alice b")
        .put("metadata", new JsonObject().put("team", "ops")), 200);
    send(http.patch(users, "127.0.0.1", "/users/" + alice + "/tags"), new JsonObject()
        .put("tags", new JsonArray().add("night")), 200);
    send(http.post(users, "127.0.0.1", "/users/" + alice + "/disable"), null, 200);
    String plant = send(http.post(users, "127.0.0.1", "/groups"), new JsonObject().put("name", "plant"), 201)
        .getString("id");
    send(http.post(users, "127.0.0.1", "/groups"), new JsonObject().put("name", "line").put("parent_id", plant), 201);
    JsonObject grant = new JsonObject().put("subject", alice).put("object", plant)
        .put("actions", new JsonArray().add("g_list"));
    send(http.post(users, "127.0.0.1", "/policies"), grant, 201);
    send(http.put(users, "127.0.0.1", "/policies"), grant.copy().put("actions", new JsonArray().add("g_update")), 200);

    String t1 = node.thing("t1").getString("id");
    String t2 = node.thing("t2").getString("id");
    String c1 = node.channel("c1");
    String c2 = node.channel("c2");
    send(http.patch(things, "127.0.0.1", "/things/" + t1), new JsonObject().put("name", "pump")
        .put("metadata", new JsonObject().put("depth", 12.5)), 200);
    send(http.patch(things, "127.0.0.1", "/things/" + t1 + "/secret"), new JsonObject().put("secret",
        "a-new-key-of-t1"), 200);
    send(http.post(things, "127.0.0.1", "/things/" + t2 + "/disable"), null, 200);
    send(http.put(things, "127.0.0.1", "/channels/" + c1), new JsonObject().put("name", "c1 renamed")
        .put("description", "north").put("metadata", new JsonObject().put("zone", 4)), 200);
    node.connect(t1, c1);
    node.connect(t1, c2);
    node.connect(t2, c2, "m_read");
    send(http.put(things, "127.0.0.1", "/policies"), new JsonObject().put("subject", t1).put("object", c1)
        .put("actions", new JsonArray().add("m_write")), 200);
    node.disconnect(t1, c1);
    node.connect(t1, c1, "m_read");
    send(http.delete(things, "127.0.0.1", "/things/" + t2), null, 204);
    send(http.delete(things, "127.0.0.1", "/channels/" + c2), null, 204);
    node.thing("t3");
  }

  private void awaitOutboxEmpty() {
    Await.until("every event in the store", Duration.ofSeconds(20), () -> count("event_outbox") == 0);
  }

  private long count(String table) {
    try (Connection c = DriverManager.getConnection(jdbcUrl, "sa", "");
        ResultSet rows = c.createStatement().executeQuery("SELECT COUNT(*) FROM " + table)) {
      rows.next();
      return rows.getLong(1);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void execute(String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(jdbcUrl, "sa", "")) {
      assertThat(c.createStatement().executeUpdate(sql)).as(sql).isPositive();
    }
  }

  private record Run(int status, String out) {}

  private Run replay() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Fluxgate.run(new String[] {"events", "replay", "--stream", "all", "--verify"}, env,
        new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(status, out + err.toString());
  }

  @Test
  void aMixedWorkloadRebuildsToExactlyTheDatabase() {
    workload();
    awaitOutboxEmpty();
    Run run = replay();
    assertThat(run.out()).contains("verified");
    assertThat(run.status()).as(run.out()).isZero();
    assertThat(run.out()).contains("2 users", "2 groups", "1 policies", "2 things", "1 channels", "1 connections");
  }

  @Test
  void aDeletedEventIsFoundAndNamed() throws Exception {
    workload();
    awaitOutboxEmpty();
    execute("DELETE FROM events WHERE operation = 'thing.update'");
    Run run = replay();
    assertThat(run.status()).as(run.out()).isEqualTo(1);
    assertThat(run.out()).contains("thing ", " name: log 't1', database 'pump'");
  }

  @Test
  void aRowChangedBehindTheServicesBackIsFoundAndNamed() throws Exception {
    workload();
    awaitOutboxEmpty();
    execute("UPDATE channels SET name = 'tampered' WHERE name = 'c1 renamed'");
    Run run = replay();
    assertThat(run.status()).as(run.out()).isEqualTo(1);
    assertThat(run.out()).contains("channel ", " name: log 'c1 renamed', database 'tampered'");
  }
}
