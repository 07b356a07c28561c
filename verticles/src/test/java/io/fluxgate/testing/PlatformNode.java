package io.fluxgate.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.config.ConfigTree;
import io.fluxgate.node.Node;
import io.fluxgate.node.NodeSettings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A whole Fluxgate node started as {@code fluxgate serve} would (free ports, embedded H2 of its own, SQL event
 * store), with REST helpers to provision users, things, channels and connections, and the events it emitted.
 */
public final class PlatformNode implements AutoCloseable {

  public static final String ADMIN = "admin@example.com";
  public static final String ADMIN_SECRET = "admin-secret-1";

  public final Node node;
  public final WebClient http;
  public final Queue<DomainEvent> events = new ConcurrentLinkedQueue<>();
  private final Map<String, Integer> ports = new HashMap<>();
  private String adminToken;

  private PlatformNode(Node node) {
    this.node = node;
    this.http = WebClient.create(node.vertx());
    Pattern api = Pattern.compile("^(\\w+) API on http://[^:]+:(\\d+)$");
    Pattern mqtt = Pattern.compile("^MQTT on tcp://[^:]+:(\\d+)(?: and ws://[^:]+:(\\d+)/mqtt)?.*$");
    for (String line : node.listening()) {
      Matcher m = api.matcher(line);
      if (m.matches()) {
        ports.put(m.group(1), Integer.parseInt(m.group(2)));
      }
      Matcher q = mqtt.matcher(line);
      if (q.matches()) {
        ports.put("mqtt", Integer.parseInt(q.group(1)));
        if (q.group(2) != null) {
          ports.put("ws", Integer.parseInt(q.group(2)));
        }
      }
    }
  }

  /** The settings of a test node: every port free, its own in-memory H2, fast bcrypt, overrides on top. */
  public static Map<String, String> env(String name, Path dataDir, String roles, Map<String, String> overrides) {
    Map<String, String> env = new HashMap<>();
    env.put("FG_ROLES", roles);
    env.put("FG_NODE_ID", name);
    env.put("FG_NODE_HOST", "127.0.0.1");
    env.put("FG_DB_URL", "jdbc:h2:mem:" + TestStores.unique(name) + ";DB_CLOSE_DELAY=-1");
    env.put("FG_DATA_DIR", dataDir.toString());
    env.put("FG_ES_PREFIX", "fluxgate");
    for (String port : List.of("FG_USERS_HTTP_PORT", "FG_THINGS_HTTP_PORT", "FG_BOOTSTRAP_HTTP_PORT",
        "FG_HTTP_ADAPTER_PORT", "FG_MQTT_PORT", "FG_MQTT_WS_PORT")) {
      env.put(port, "0");
    }
    env.put("FG_METRICS_ENABLED", "false");
    env.put("FG_USERS_ADMIN_IDENTITY", ADMIN);
    env.put("FG_USERS_ADMIN_SECRET", ADMIN_SECRET);
    env.put("FG_USERS_BCRYPT_COST", "4");
    env.putAll(overrides);
    return env;
  }

  /** The shipped Hazelcast file under {@code dir}, with a cluster name of its own so no other node ever joins it. */
  public static Path privateClusterFile(Path dir) {
    try {
      String shipped = java.nio.file.Files.readString(Path.of("..", "cluster-config", "cluster.xml"));
      Path file = dir.resolve("cluster.xml");
      java.nio.file.Files.writeString(file, shipped.replace("<cluster-name>fluxgate</cluster-name>",
          "<cluster-name>" + TestStores.unique("test-") + "</cluster-name>"));
      return file;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public static PlatformNode start(Map<String, String> env, boolean clustered) {
    Node node = Await.result(Node.start(NodeSettings.from(new ConfigTree(new JsonObject(), env)), clustered),
        Duration.ofSeconds(90));
    PlatformNode platform = new PlatformNode(node);
    Await.result(node.vertx().eventBus().<DomainEvent>consumer(Addresses.events("fluxgate.mqtt"),
        m -> platform.events.add(m.body())).completion());
    return platform;
  }

  public int port(String service) {
    Integer port = ports.get(service);
    assertThat(port).as("port of " + service + " in " + node.listening()).isNotNull();
    return port;
  }

  public String admin() {
    if (adminToken == null) {
      var response = Await.result(http.post(port("users"), "127.0.0.1", "/users/tokens/issue")
          .sendJsonObject(new JsonObject().put("identity", ADMIN).put("secret", ADMIN_SECRET)));
      assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
      adminToken = response.bodyAsJsonObject().getString("access_token");
    }
    return adminToken;
  }

  /** A thing of the administrator: {@code id} and {@code credentials.secret} (its key). */
  public JsonObject thing(String name) {
    var response = Await.result(http.post(port("things"), "127.0.0.1", "/things").bearerTokenAuthentication(admin())
        .sendJsonObject(new JsonObject().put("name", name)));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return response.bodyAsJsonObject();
  }

  public String channel(String name) {
    var response = Await.result(http.post(port("things"), "127.0.0.1", "/channels").bearerTokenAuthentication(admin())
        .sendJsonObject(new JsonObject().put("name", name)));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return response.bodyAsJsonObject().getString("id");
  }

  public void connect(String thingId, String channelId, String... actions) {
    JsonObject body = new JsonObject().put("subjects", new JsonArray().add(thingId))
        .put("objects", new JsonArray().add(channelId));
    if (actions.length > 0) {
      body.put("actions", new JsonArray(List.of(actions)));
    }
    var response = Await.result(http.post(port("things"), "127.0.0.1", "/connect").bearerTokenAuthentication(admin())
        .sendJsonObject(body));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
  }

  public void disconnect(String thingId, String channelId) {
    var response = Await.result(http.post(port("things"), "127.0.0.1", "/disconnect").bearerTokenAuthentication(admin())
        .sendJsonObject(new JsonObject().put("subjects", new JsonArray().add(thingId))
            .put("objects", new JsonArray().add(channelId))));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(204);
  }

  public List<DomainEvent> eventsOf(String operation) {
    return events.stream().filter(e -> e.operation().equals(operation)).toList();
  }

  @Override
  public void close() {
    Await.result(node.stop(), Duration.ofSeconds(60));
  }
}
