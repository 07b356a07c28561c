package io.fluxgate.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.testing.Await;
import io.fluxgate.testing.PlatformNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
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
 * the REST API (users, things and bootstrap, with bootstrap's reactions to the things stream) rebuilds to exactly the
 * database, and a lost event or a row changed behind the service's back fails.
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
    env = PlatformNode.env("replay", dataDir, "users,things,bootstrap", Map.of());
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

  /** Bootstrap has handled every things event, and every event is in the store. */
  private void awaitOutboxEmpty() {
    Await.until("bootstrap's cursor at the end of the things stream", Duration.ofSeconds(20), () -> count(
        "SELECT COUNT(*) FROM event_cursors WHERE stream = 'fluxgate.things' AND consumer = 'bootstrap'"
            + " AND position = (SELECT MAX(seq) FROM events WHERE stream = 'fluxgate.things')") == 1);
    Await.until("every event in the store", Duration.ofSeconds(20),
        () -> count("SELECT COUNT(*) FROM event_outbox") == 0);
  }

  private long count(String sql) {
    try (Connection c = DriverManager.getConnection(jdbcUrl, "sa", "");
        ResultSet rows = c.createStatement().executeQuery(sql)) {
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

  /**
   * Configs through the bootstrap API (create, update, certificates, connections, state, remove) and the things
   * changes bootstrap reacts to (a connect and a disconnect of an active config's thing, a channel renamed and one
   * removed, a thing removed); answers the thing of the config that stays active.
   */
  private String bootstrapWorkload() {
    int bootstrap = node.port("bootstrap");
    int things = node.port("things");
    var http = node.http;
    String c3 = node.channel("c3");
    String c4 = node.channel("c4");
    String c5 = node.channel("c5");
    String c6 = node.channel("c6");
    String active = send(http.post(bootstrap, "127.0.0.1", "/things/configs"), newConfig("dev-a", c3, c4), 201)
        .getString("thing_id");
    send(http.put(bootstrap, "127.0.0.1", "/things/configs/" + active), new JsonObject().put("name", "pump a")
        .put("content", "{\"interval\":5}"), 200);
    SelfSignedCertificate cert = SelfSignedCertificate.create("device.example.com");
    send(http.patch(bootstrap, "127.0.0.1", "/things/configs/certs/" + active), new JsonObject()
        .put("client_cert", read(cert.certificatePath())).put("client_key", read(cert.privateKeyPath()))
        .put("ca_cert", read(cert.certificatePath())), 200);
    send(http.put(bootstrap, "127.0.0.1", "/things/configs/connections/" + active), new JsonObject()
        .put("channels", new JsonArray().add(c4).add(c5)), 200);
    send(http.put(bootstrap, "127.0.0.1", "/things/state/" + active), new JsonObject().put("state", 1), 204);
    node.connect(active, c3);
    node.disconnect(active, c4);
    send(http.put(things, "127.0.0.1", "/channels/" + c5), new JsonObject().put("name", "c5 renamed")
        .put("metadata", new JsonObject().put("zone", "north")), 200);

    String inactive = send(http.post(bootstrap, "127.0.0.1", "/things/configs"), newConfig("dev-b", c3, c6), 201)
        .getString("thing_id");
    send(http.delete(things, "127.0.0.1", "/channels/" + c6), null, 204);
    String thingGone = send(http.post(bootstrap, "127.0.0.1", "/things/configs"), newConfig("dev-c", c3), 201)
        .getString("thing_id");
    send(http.delete(things, "127.0.0.1", "/things/" + thingGone), null, 204);
    String configGone = send(http.post(bootstrap, "127.0.0.1", "/things/configs"), newConfig("dev-d"), 201)
        .getString("thing_id");
    send(http.delete(bootstrap, "127.0.0.1", "/things/configs/" + configGone), null, 204);
    send(http.put(bootstrap, "127.0.0.1", "/things/state/" + inactive), new JsonObject().put("state", 1), 204);
    send(http.put(bootstrap, "127.0.0.1", "/things/state/" + inactive), new JsonObject().put("state", 0), 204);
    return active;
  }

  private static JsonObject newConfig(String externalId, String... channels) {
    return new JsonObject().put("external_id", externalId).put("external_key", "key-of-" + externalId)
        .put("name", externalId).put("content", "{}").put("channels", new JsonArray(java.util.List.of(channels)));
  }

  private static String read(String path) {
    try {
      return java.nio.file.Files.readString(Path.of(path));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private record Run(int status, String out) {}

  private Run replay() {
    return replay("all");
  }

  private Run replay(String stream) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Fluxgate.run(new String[] {"events", "replay", "--stream", stream, "--verify"}, env,
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
  void aBootstrapWorkloadWithItsReactionsRebuildsToExactlyTheDatabase() {
    String active = bootstrapWorkload();
    awaitOutboxEmpty();
    String reactions = "operation IN ('thing.connect_handler', 'thing.disconnect_handler', 'channel.update_handler',"
        + " 'channel.remove_handler', 'config.remove_handler')";
    assertThat(count("SELECT COUNT(DISTINCT operation) FROM events WHERE " + reactions))
        .as("every kind of reaction happened").isEqualTo(5);
    assertThat(count("SELECT COUNT(*) FROM events WHERE " + reactions + " AND body NOT LIKE '%\"revision\":%'"))
        .as("reactions without a revision").isZero();
    Run run = replay("bootstrap");
    assertThat(run.out()).contains("verified");
    assertThat(run.status()).as(run.out()).isZero();
    assertThat(run.out()).contains("2 bootstrap configs");
    assertThat(count("SELECT revision FROM bootstrap_configs WHERE thing_id = '" + active + "'"))
        .as("create, update, certs, connections, state, a connect and a disconnect").isEqualTo(7);
    Run all = replay("all");
    assertThat(all.status()).as(all.out()).isZero();
  }

  @Test
  void aBootstrapRowChangedBehindTheServicesBackIsFoundAndNamed() throws Exception {
    String active = bootstrapWorkload();
    awaitOutboxEmpty();
    execute("UPDATE bootstrap_configs SET content = 'tampered', state = 0 WHERE thing_id = '" + active + "'");
    execute("DELETE FROM bootstrap_config_channels WHERE thing_id = '" + active + "' AND position = ("
        + "SELECT MIN(position) FROM bootstrap_config_channels WHERE thing_id = '" + active + "')");
    execute("UPDATE bootstrap_channels SET name = 'tampered' WHERE name = 'c5 renamed'");
    Run run = replay("bootstrap");
    assertThat(run.status()).as(run.out()).isEqualTo(1);
    assertThat(run.out()).contains("bootstrap config " + active + " content: log '{\"interval\":5}', database"
        + " 'tampered'", "bootstrap config " + active + " state: log 1, database 0",
        "bootstrap config " + active + " channels: log [", "bootstrap channel ",
        " name: log 'c5 renamed', database 'tampered'", "4 difference(s)");
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
