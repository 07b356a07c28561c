package io.fluxgate.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.PlatformNode;
import io.fluxgate.testing.TestStores;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A Fluxgate node for the bootstrap tests, on the state database and event store a {@link Backend} names, with REST
 * helpers for the bootstrap API and every event of the bootstrap and things streams it saw.
 */
final class BootstrapPlatform implements AutoCloseable {

  /** Where a test's node keeps its state and events. */
  record Backend(String name, Map<String, String> env) {

    /** Embedded H2 in memory; nodes given the same backend share it (they run in this JVM). */
    static Backend h2() {
      return new Backend("h2", Map.of("FG_DB_URL", sharedH2(), "FG_ES_PREFIX", TestStores.unique("t")));
    }

    /** PostgreSQL with a private schema; nodes given the same backend share it. */
    static Backend postgres() {
      return new Backend("postgres", Map.of("FG_DB_URL", TestStores.PG_URL, "FG_DB_SCHEMA", TestStores.unique("t_"),
          "FG_ES_PREFIX", TestStores.unique("t")));
    }

    /** Redis Streams for the events, on H2. */
    static Backend redis() {
      return new Backend("redis", Map.of("FG_ES_TYPE", "redis", "FG_ES_URL", TestStores.REDIS_URL,
          "FG_DB_URL", sharedH2(), "FG_ES_PREFIX", TestStores.unique("t")));
    }

    /** NATS JetStream for the events, on H2. */
    static Backend nats() {
      return new Backend("nats", Map.of("FG_ES_TYPE", "nats", "FG_ES_URL", TestStores.NATS_URL,
          "FG_DB_URL", sharedH2(), "FG_ES_PREFIX", TestStores.unique("t")));
    }

    private static String sharedH2() {
      return "jdbc:h2:mem:" + TestStores.unique("bootstrap") + ";DB_CLOSE_DELAY=-1";
    }

    String prefix() {
      return env.get("FG_ES_PREFIX");
    }

    /** Drops what the backend left on the shared servers: the PostgreSQL schema, the NATS subjects. */
    void cleanUp() {
      if (env.containsKey("FG_DB_SCHEMA")) {
        TestStores.dropSchema(new io.fluxgate.sql.DatabaseConfig(TestStores.PG_URL, Path.of("target"),
            env.get("FG_DB_SCHEMA"), 1));
      }
      if ("redis".equals(env.get("FG_ES_TYPE"))) {
        TestStores.purgeRedis(TestStores.events("redis", TestStores.REDIS_URL, Map.of("FG_ES_PREFIX", prefix())));
      }
      if ("nats".equals(env.get("FG_ES_TYPE"))) {
        TestStores.purgeNats(TestStores.events("nats", TestStores.NATS_URL, Map.of("FG_ES_PREFIX", prefix())));
      }
    }
  }

  final PlatformNode platform;
  final Backend backend;
  final Queue<DomainEvent> events = new ConcurrentLinkedQueue<>();

  private BootstrapPlatform(PlatformNode platform, Backend backend) {
    this.platform = platform;
    this.backend = backend;
  }

  /** A node with {@code roles}; {@code extra} environment on top of the backend's and fast retries. */
  static BootstrapPlatform start(String name, Path dataDir, String roles, Backend backend, Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(backend.env());
    env.put("FG_ES_MAX_ATTEMPTS", "4");
    env.put("FG_ES_RETRY_BACKOFF", "20ms");
    env.put("FG_ES_POLL_INTERVAL", "50ms");
    env.put("FG_ES_RELAY_INTERVAL", "100ms");
    env.putAll(extra);
    PlatformNode platform = PlatformNode.start(PlatformNode.env(name, dataDir, roles, env), false);
    BootstrapPlatform node = new BootstrapPlatform(platform, backend);
    for (String stream : List.of("bootstrap", "things")) {
      Await.result(platform.node.vertx().eventBus().<DomainEvent>consumer(
          Addresses.events(backend.prefix() + "." + stream), m -> node.events.add(m.body())).completion());
    }
    return node;
  }

  int port() {
    return platform.port("bootstrap");
  }

  String admin() {
    return platform.admin();
  }

  /** Creates a user with the administrator's token and answers the user's access token. */
  String user(String name) {
    String identity = name + "-" + TestStores.unique("") + "@example.com";
    var created = Await.result(platform.http.post(platform.port("users"), "127.0.0.1", "/users")
        .bearerTokenAuthentication(admin()).sendJsonObject(new JsonObject().put("name", name)
            .put("credentials", new JsonObject().put("identity", identity).put("secret", name + "-secret"))));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    var token = Await.result(platform.http.post(platform.port("users"), "127.0.0.1", "/users/tokens/issue")
        .sendJsonObject(new JsonObject().put("identity", identity).put("secret", name + "-secret")));
    assertThat(token.statusCode()).as(token.bodyAsString()).isEqualTo(200);
    return token.bodyAsJsonObject().getString("access_token");
  }

  /** A channel of the user of {@code token}. */
  String channel(String token, String name, JsonObject metadata) {
    var response = send(platform.http.post(platform.port("things"), "127.0.0.1", "/channels"), token,
        new JsonObject().put("name", name).put("metadata", metadata));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return response.bodyAsJsonObject().getString("id");
  }

  /** A thing of the user of {@code token}, with its key. */
  JsonObject thing(String token, String name) {
    var response = send(platform.http.post(platform.port("things"), "127.0.0.1", "/things"), token,
        new JsonObject().put("name", name));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return response.bodyAsJsonObject();
  }

  /** A request to the things API. */
  HttpResponse<Buffer> things(String method, String path, String token, Object body) {
    return send(platform.http.request(io.vertx.core.http.HttpMethod.valueOf(method), platform.port("things"),
        "127.0.0.1", path), token, body);
  }

  /** A request to the bootstrap API. */
  HttpResponse<Buffer> bootstrap(String method, String path, String token, Object body) {
    return send(platform.http.request(io.vertx.core.http.HttpMethod.valueOf(method), port(), "127.0.0.1", path),
        token, body);
  }

  static HttpResponse<Buffer> send(HttpRequest<Buffer> request, String token, Object body) {
    if (token != null) {
      request.bearerTokenAuthentication(token);
    }
    return Await.result(body == null ? request.send()
        : body instanceof JsonObject object ? request.sendJsonObject(object)
        : body instanceof JsonArray array ? request.sendJson(array)
        : request.putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(body.toString())));
  }

  /** A config of the user of {@code token} for {@code externalId}, created through the API. */
  JsonObject config(String token, JsonObject request) {
    var response = bootstrap("POST", "/things/configs", token, request);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return response.bodyAsJsonObject();
  }

  /** What a device gets from GET /things/bootstrap/{externalId} with {@code key}. */
  HttpResponse<Buffer> deviceBootstrap(String externalId, String key) {
    var request = platform.http.get(port(), "127.0.0.1", "/things/bootstrap/" + externalId);
    if (key != null) {
      request.putHeader("Authorization", "Thing " + key);
    }
    return Await.result(request.send());
  }

  List<DomainEvent> eventsOf(String operation) {
    return events.stream().filter(e -> e.operation().equals(operation)).toList();
  }

  DomainEvent awaitEvent(String operation, java.util.function.Predicate<DomainEvent> which) {
    Await.until(operation, Duration.ofSeconds(20), () -> eventsOf(operation).stream().anyMatch(which));
    return eventsOf(operation).stream().filter(which).findFirst().orElseThrow();
  }

  /** Rows of {@code sql} in this node's database, the first column of each, as text. */
  List<String> query(String sql, Object... args) {
    var rows = Await.result(platform.node.database().inTransaction(conn -> conn
        .preparedQuery(platform.node.database().sql(sql)).execute(io.vertx.sqlclient.Tuple.from(args))));
    List<String> values = new java.util.ArrayList<>();
    rows.forEach(row -> values.add(String.valueOf(row.getValue(0))));
    return values;
  }

  /** The whole database as text (H2's SCRIPT, or pg_dump of the private schema), to look for secrets in clear. */
  String databaseDump() {
    String schema = backend.env().get("FG_DB_SCHEMA");
    if (schema == null) {
      StringBuilder dump = new StringBuilder();
      Await.result(platform.node.database().inTransaction(conn -> conn.query("SCRIPT").execute()))
          .forEach(row -> dump.append(row.getString(0)).append('\n'));
      return dump.toString();
    }
    try {
      Process dump = new ProcessBuilder("pg_dump", "-h", "127.0.0.1", "-U", "postgres", "-n", schema, "test")
          .redirectErrorStream(true).start();
      String text = new String(dump.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (dump.waitFor() != 0) {
        throw new IllegalStateException("pg_dump failed: " + text);
      }
      return text;
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    platform.close();
  }
}
