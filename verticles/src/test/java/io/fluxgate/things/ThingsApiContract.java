package io.fluxgate.things;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.ThingAccess;
import io.fluxgate.codecs.UserRequest;
import io.fluxgate.config.ConfigTree;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.EventLogFixture;
import io.fluxgate.testing.StoreBackend;
import io.fluxgate.users.SmtpConfig;
import io.fluxgate.users.UsersConfig;
import io.fluxgate.users.UsersVerticle;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The things API over real HTTP against a real database (a subclass picks H2 or PostgreSQL), with the users
 * service beside it on the bus: things, channels, connections, ownership, the bus access questions, and the
 * things-stream event of every call.
 */
abstract class ThingsApiContract {

  static final String ADMIN = "admin@example.com";
  static final String ADMIN_SECRET = "admin-secret-1";

  @TempDir
  Path dataDir;

  EventLogFixture fx;
  WebClient http;
  int port;
  int usersPort;
  final Queue<DomainEvent> events = new ConcurrentLinkedQueue<>();
  /** Every thing key a test saw: none may ever show up in an event. */
  final Queue<String> keysSeen = new ConcurrentLinkedQueue<>();

  abstract StoreBackend backend();

  /** The database's full dump as text, to look for keys in clear. */
  abstract String databaseDump();

  @BeforeEach
  void start() {
    fx = EventLogFixture.start(backend().database(), backend().events());
    Await.result(fx.vertx.eventBus().<DomainEvent>consumer(Addresses.events(fx.streams().things()),
        m -> events.add(m.body())).completion());
    UsersConfig users = UsersConfig.from(new ConfigTree(new JsonObject(), Map.of("FG_USERS_ADMIN_IDENTITY", ADMIN,
        "FG_USERS_ADMIN_SECRET", ADMIN_SECRET, "FG_USERS_BCRYPT_COST", "4")), dataDir);
    UsersVerticle usersVerticle = new UsersVerticle(users, new SmtpConfig("127.0.0.1", 1, "", "", "f@example.com",
        "disabled"), fx.db, fx.log.publisher(), fx.streams(), "test-node", "127.0.0.1", 0, true);
    Await.result(fx.vertx.deployVerticle(usersVerticle));
    usersPort = usersVerticle.actualPort();
    deployThings();
    http = WebClient.create(fx.vertx);
  }

  ThingsVerticle deployThings() {
    ThingsVerticle things = deployThings("test-node");
    port = things.actualPort();
    return things;
  }

  /** A things verticle with its own access index, standing for the things service of node {@code instance}. */
  ThingsVerticle deployThings(String instance) {
    ThingsVerticle things = new ThingsVerticle(ThingsConfig.from(new ConfigTree(new JsonObject(), Map.of()), dataDir),
        fx.db, fx.log.publisher(), fx.streams(), instance, "127.0.0.1", 0, true,
        io.fluxgate.api.ServiceRequests.DEFAULT_TIMEOUT);
    Await.result(fx.vertx.deployVerticle(things));
    return things;
  }

  @AfterEach
  void stop() throws InterruptedException {
    try {
      Thread.sleep(200);
      for (DomainEvent event : events) {
        String json = event.toJson().encode();
        for (String key : keysSeen) {
          assertThat(json).as(event.operation() + " carries a thing key").doesNotContain(key);
        }
      }
    } finally {
      if (fx != null) {
        fx.close();
      }
    }
  }

  // ---- helpers ----

  String token(String identity, String secret) {
    var response = Await.result(http.post(usersPort, "127.0.0.1", "/users/tokens/issue")
        .sendJsonObject(new JsonObject().put("identity", identity).put("secret", secret)));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject().getString("access_token");
  }

  /** Registers a user and answers its access token. */
  String user(String name) {
    String identity = name + "@example.com";
    var response = Await.result(http.post(usersPort, "127.0.0.1", "/users").sendJsonObject(new JsonObject()
        .put("name", name).put("credentials", new JsonObject().put("identity", identity).put("secret", name + "-secret"))));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return token(identity, name + "-secret");
  }

  HttpResponse<Buffer> send(HttpRequest<Buffer> request, String token, Object body) {
    if (token != null) {
      request.bearerTokenAuthentication(token);
    }
    HttpResponse<Buffer> response = Await.result(body == null ? request.send()
        : body instanceof JsonObject object ? request.sendJsonObject(object)
        : body instanceof JsonArray array ? request.sendJson(array)
        : request.putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(body.toString())));
    String text = response.bodyAsString();
    if (text != null && text.startsWith("{")) {
      collectKeys(response.bodyAsJsonObject());
    }
    return response;
  }

  private void collectKeys(JsonObject json) {
    if (json.getValue("credentials") instanceof JsonObject creds && creds.getValue("secret") instanceof String key
        && !key.isEmpty()) {
      keysSeen.add(key);
    }
    for (String field : List.of("things")) {
      if (json.getValue(field) instanceof JsonArray array) {
        array.forEach(each -> collectKeys((JsonObject) each));
      }
    }
  }

  HttpResponse<Buffer> post(String path, String token, Object body) {
    return send(http.post(port, "127.0.0.1", path), token, body);
  }

  HttpResponse<Buffer> get(String path, String token) {
    return send(http.get(port, "127.0.0.1", path), token, null);
  }

  HttpResponse<Buffer> patch(String path, String token, JsonObject body) {
    return send(http.patch(port, "127.0.0.1", path), token, body);
  }

  HttpResponse<Buffer> put(String path, String token, JsonObject body) {
    return send(http.put(port, "127.0.0.1", path), token, body);
  }

  HttpResponse<Buffer> delete(String path, String token) {
    return send(http.delete(port, "127.0.0.1", path), token, null);
  }

  /** Creates a thing and answers the API's body (with its key). */
  JsonObject thing(String token, String name) {
    var response = post("/things", token, new JsonObject().put("name", name));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return response.bodyAsJsonObject();
  }

  String channel(String token, String name) {
    var response = post("/channels", token, new JsonObject().put("name", name));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return response.bodyAsJsonObject().getString("id");
  }

  HttpResponse<Buffer> connect(String token, List<String> things, List<String> channels, String... actions) {
    JsonObject body = new JsonObject().put("subjects", new JsonArray(things)).put("objects", new JsonArray(channels));
    if (actions.length > 0) {
      body.put("actions", new JsonArray(List.of(actions)));
    }
    return post("/connect", token, body);
  }

  /**
   * The events of {@code operation} seen on the bus, first copies only: a row the relay takes while the interceptor
   * still holds it is published twice (at least once, de-duplicated by event_id as any consumer does).
   */
  List<DomainEvent> eventsOf(String operation) {
    java.util.Set<String> ids = new java.util.HashSet<>();
    return events.stream().filter(e -> e.operation().equals(operation) && ids.add(e.eventId())).toList();
  }

  DomainEvent awaitEvent(String operation, int count) {
    Await.until(count + " " + operation, Duration.ofSeconds(20), () -> eventsOf(operation).size() >= count);
    return eventsOf(operation).get(count - 1);
  }

  boolean authorize(String thingId, String channelId, ThingAccess.Action action) {
    return Await.result(fx.vertx.eventBus().<Boolean>request(Addresses.THINGS_AUTHORIZE,
        new ThingAccess(thingId, channelId, action))).body();
  }

  boolean authenticate(String thingId, String key) {
    return Await.result(fx.vertx.eventBus().<Boolean>request(Addresses.THINGS_AUTHENTICATE,
        new JsonObject().put("thing_id", thingId).put("key", key))).body();
  }

  long count(String table) {
    return Await.result(fx.db.inTransaction(conn -> conn.query("SELECT COUNT(*) AS n FROM " + table).execute()))
        .iterator().next().getLong("n");
  }

  // ---- things ----

  @Test
  void createsAThingWithAGeneratedKeyAndEmitsThingCreateWithoutIt() {
    String alice = user("alice");
    var response = post("/things", alice, new JsonObject().put("name", "meter-1")
        .put("tags", new JsonArray().add("power")).put("metadata", new JsonObject().put("site", "north")));

    assertThat(response.statusCode()).isEqualTo(201);
    JsonObject body = response.bodyAsJsonObject();
    assertThat(response.getHeader("Location")).isEqualTo("/things/" + body.getString("id"));
    String key = body.getJsonObject("credentials").getString("secret");
    assertThat(key).hasSizeGreaterThanOrEqualTo(32);
    assertThat(body.getString("status")).isEqualTo("enabled");
    assertThat(body.getString("owner")).isNotBlank();

    DomainEvent created = awaitEvent("thing.create", 1);
    assertThat(created.revision()).isEqualTo(1);
    assertThat(created.fields().getString("id")).isEqualTo(body.getString("id"));
    assertThat(created.fields().getString("name")).isEqualTo("meter-1");
    assertThat(created.fields().getJsonArray("tags")).containsExactly("power");
    assertThat(created.fields().getJsonObject("metadata").getString("site")).isEqualTo("north");
    assertThat(created.fields().getString("created_at")).isNotBlank();
    assertThat(created.toJson().encode()).doesNotContain(key);

    var viewed = get("/things/" + body.getString("id"), alice);
    assertThat(viewed.statusCode()).isEqualTo(200);
    assertThat(viewed.bodyAsJsonObject().getJsonObject("credentials").getString("secret")).isEqualTo(key);
    assertThat(awaitEvent("thing.view", 1).fields().getString("id")).isEqualTo(body.getString("id"));
  }

  @Test
  void refusesBadRequestsPreciselyAndWritesNothing() {
    String alice = user("alice");
    assertThat(post("/things", null, new JsonObject()).statusCode()).isEqualTo(401);
    assertThat(post("/things", "forged.token.here", new JsonObject()).statusCode()).isEqualTo(401);
    var malformed = post("/things", alice, "{\"name\": ");
    assertThat(malformed.statusCode()).isEqualTo(400);
    assertThat(malformed.bodyAsJsonObject().getString("error")).isEqualTo("malformed entity specification");
    assertThat(Await.result(http.post(port, "127.0.0.1", "/things").bearerTokenAuthentication(alice)
        .putHeader("Content-Type", "text/plain").sendBuffer(Buffer.buffer("{}"))).statusCode()).isEqualTo(415);
    assertThat(post("/things", alice, new JsonObject().put("name", 7)).statusCode()).isEqualTo(400);
    assertThat(post("/things", alice, new JsonObject().put("metadata", "x")).statusCode()).isEqualTo(400);
    assertThat(post("/things", alice, new JsonObject().put("credentials", new JsonObject().put("secret", "short")))
        .statusCode()).isEqualTo(400);
    assertThat(post("/things/bulk", alice, new JsonObject()).statusCode()).isEqualTo(400);
    assertThat(post("/things/bulk", alice, new JsonArray().add(new JsonObject()).add("x")).statusCode())
        .isEqualTo(400);
    assertThat(get("/things?limit=101", alice).statusCode()).isEqualTo(400);
    assertThat(get("/things?metadata=nope", alice).statusCode()).isEqualTo(400);
    assertThat(get("/things/" + java.util.UUID.randomUUID(), alice).statusCode()).isEqualTo(404);
    assertThat(count("things")).isZero();
    assertThat(eventsOf("thing.create")).isEmpty();
  }

  @Test
  void rejectsADuplicateKeyOrIdentityWith409AndCreatesNothing() {
    String alice = user("alice");
    JsonObject withKey = new JsonObject().put("name", "a")
        .put("credentials", new JsonObject().put("identity", "dev-1").put("secret", "the-same-key-123"));
    keysSeen.add("the-same-key-123");
    assertThat(post("/things", alice, withKey).statusCode()).isEqualTo(201);
    var sameKey = post("/things", alice, new JsonObject().put("credentials",
        new JsonObject().put("secret", "the-same-key-123")));
    assertThat(sameKey.statusCode()).isEqualTo(409);
    assertThat(sameKey.bodyAsJsonObject().getString("error")).isEqualTo("entity already exists");
    assertThat(post("/things", alice, new JsonObject().put("credentials", new JsonObject().put("identity", "dev-1")))
        .statusCode()).isEqualTo(409);
    var bulk = post("/things/bulk", alice, new JsonArray().add(new JsonObject().put("name", "fresh"))
        .add(new JsonObject().put("credentials", new JsonObject().put("secret", "the-same-key-123"))));
    assertThat(bulk.statusCode()).isEqualTo(409);
    assertThat(count("things")).isEqualTo(1);
    awaitEvent("thing.create", 1);
    assertThat(eventsOf("thing.create")).hasSize(1);
  }

  @Test
  void createsAThousandThingsInOneBulkCallWithOneEventEach() {
    String alice = user("alice");
    JsonArray requests = new JsonArray();
    for (int i = 0; i < 1000; i++) {
      requests.add(new JsonObject().put("name", "sensor-" + i));
    }
    var response = post("/things/bulk", alice, requests);

    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    JsonArray created = response.bodyAsJsonObject().getJsonArray("things");
    assertThat(created).hasSize(1000);
    assertThat(created.stream().map(t -> ((JsonObject) t).getJsonObject("credentials").getString("secret"))
        .distinct().count()).isEqualTo(1000);
    assertThat(count("things")).isEqualTo(1000);
    awaitEvent("thing.create", 1000);
    assertThat(eventsOf("thing.create").stream().map(e -> e.fields().getString("id")).distinct().count())
        .isEqualTo(1000);
    var page = get("/things?limit=100&offset=900", alice).bodyAsJsonObject();
    assertThat(page.getLong("total")).isEqualTo(1000);
    assertThat(page.getJsonArray("things")).hasSize(100);
    // Lists hide keys, as the spec's ThingWithEmptySecret shows.
    assertThat(page.getJsonArray("things").getJsonObject(0).getJsonObject("credentials").getString("secret"))
        .isEmpty();
    assertThat(awaitEvent("thing.list", 1).fields().getLong("total")).isEqualTo(1000);
  }

  @Test
  void listsFiltersAndChangesThingsWithTheirEvents() {
    String alice = user("alice");
    JsonObject meter = thing(alice, "meter");
    String id = meter.getString("id");
    String key = meter.getJsonObject("credentials").getString("secret");
    post("/things", alice, new JsonObject().put("name", "valve").put("tags", new JsonArray().add("water"))
        .put("metadata", new JsonObject().put("site", "south")));

    assertThat(get("/things?name=met", alice).bodyAsJsonObject().getLong("total")).isEqualTo(1);
    assertThat(get("/things?tags=water", alice).bodyAsJsonObject().getLong("total")).isEqualTo(1);
    assertThat(get("/things?metadata=%7B%22site%22%3A%22south%22%7D", alice).bodyAsJsonObject().getLong("total"))
        .isEqualTo(1);

    var updated = patch("/things/" + id, alice, new JsonObject().put("name", "meter-2")
        .put("metadata", new JsonObject().put("floor", 3)));
    assertThat(updated.statusCode()).isEqualTo(200);
    assertThat(updated.bodyAsJsonObject().getString("name")).isEqualTo("meter-2");
    DomainEvent update = awaitEvent("thing.update", 1);
    assertThat(update.revision()).isEqualTo(2);
    assertThat(update.fields().getString("updated_by")).isNotBlank();
    assertThat(update.fields().getJsonObject("metadata").getInteger("floor")).isEqualTo(3);

    assertThat(patch("/things/" + id + "/tags", alice, new JsonObject().put("tags", new JsonArray().add("a")))
        .statusCode()).isEqualTo(200);
    assertThat(awaitEvent("thing.update_tags", 1).fields().getJsonArray("tags")).containsExactly("a");
    assertThat(patch("/things/" + id + "/tags", alice, new JsonObject().put("tags", "a")).statusCode())
        .isEqualTo(400);

    var rekeyed = patch("/things/" + id + "/secret", alice, new JsonObject().put("secret", "a-brand-new-key-1"));
    keysSeen.add("a-brand-new-key-1");
    assertThat(rekeyed.statusCode()).isEqualTo(200);
    DomainEvent secret = awaitEvent("thing.update_secret", 1);
    assertThat(secret.fields().fieldNames()).containsExactlyInAnyOrder("id", "updated_at", "updated_by");
    assertThat(authenticate(id, key)).isFalse();
    assertThat(authenticate(id, "a-brand-new-key-1")).isTrue();

    var disabled = post("/things/" + id + "/disable", alice, null);
    assertThat(disabled.statusCode()).isEqualTo(200);
    assertThat(disabled.bodyAsJsonObject().getString("status")).isEqualTo("disabled");
    assertThat(awaitEvent("thing.change_status", 1).fields().getString("status")).isEqualTo("disabled");
    assertThat(get("/things", alice).bodyAsJsonObject().getLong("total")).isEqualTo(1);
    assertThat(get("/things?status=all", alice).bodyAsJsonObject().getLong("total")).isEqualTo(2);
    assertThat(authenticate(id, "a-brand-new-key-1")).isFalse();
    assertThat(post("/things/" + id + "/enable", alice, null).statusCode()).isEqualTo(200);
    assertThat(authenticate(id, "a-brand-new-key-1")).isTrue();

    String bob = user("bob");
    String bobId = profileId(bob);
    var nobody = patch("/things/" + id + "/owner", alice, new JsonObject().put("owner", UUID_NOBODY));
    assertThat(nobody.statusCode()).as("the new owner must exist").isEqualTo(404);
    assertThat(nobody.bodyAsJsonObject().getString("message")).contains(UUID_NOBODY);
    assertThat(get("/things/" + id, alice).statusCode()).as("still alice's").isEqualTo(200);
    var given = patch("/things/" + id + "/owner", alice, new JsonObject().put("owner", bobId));
    assertThat(given.statusCode()).isEqualTo(200);
    assertThat(awaitEvent("thing.update_owner", 1).fields().getString("owner")).isEqualTo(bobId);
    assertThat(get("/things/" + id, alice).statusCode()).isEqualTo(403);
    assertThat(get("/things/" + id, bob).statusCode()).isEqualTo(200);

    assertThat(delete("/things/" + id, bob).statusCode()).isEqualTo(204);
    assertThat(awaitEvent("thing.remove", 1).fields().getString("id")).isEqualTo(id);
    assertThat(get("/things/" + id, bob).statusCode()).isEqualTo(404);
    assertThat(authenticate(id, "a-brand-new-key-1")).isFalse();
  }

  static final String UUID_NOBODY = "00000000-0000-4000-8000-000000000000";

  @Test
  void anAdministratorCreatesThingsAndChannelsOnlyForOwnersThatExist() {
    String admin = token(ADMIN, ADMIN_SECRET);
    String bobId = profileId(user("bob"));
    assertThat(post("/things", admin, new JsonObject().put("name", "t").put("owner", UUID_NOBODY)).statusCode())
        .isEqualTo(404);
    assertThat(post("/things/bulk", admin, new JsonArray().add(new JsonObject().put("name", "a").put("owner", bobId))
        .add(new JsonObject().put("name", "b").put("owner", UUID_NOBODY))).statusCode()).isEqualTo(404);
    assertThat(post("/channels", admin, new JsonObject().put("name", "c").put("owner_id", UUID_NOBODY)).statusCode())
        .isEqualTo(404);
    assertThat(get("/things?status=all", admin).bodyAsJsonObject().getLong("total")).as("nothing created").isZero();
    assertThat(get("/channels", admin).bodyAsJsonObject().getLong("total")).isZero();

    var forBob = post("/things", admin, new JsonObject().put("name", "t").put("owner", bobId));
    assertThat(forBob.statusCode()).isEqualTo(201);
    assertThat(forBob.bodyAsJsonObject().getString("owner")).isEqualTo(bobId);
    assertThat(post("/channels", admin, new JsonObject().put("name", "c").put("owner_id", bobId)).statusCode())
        .isEqualTo(201);
  }

  String profileId(String token) {
    return Await.result(http.get(usersPort, "127.0.0.1", "/users/profile").bearerTokenAuthentication(token).send())
        .bodyAsJsonObject().getString("id");
  }

  @Test
  void aUserNeitherSeesNorChangesNorConnectsAnotherUsersThings() {
    String alice = user("alice");
    String bob = user("bob");
    String aliceThing = thing(alice, "a").getString("id");
    String aliceChannel = channel(alice, "ca");
    String bobThing = thing(bob, "b").getString("id");
    String bobChannel = channel(bob, "cb");

    assertThat(get("/things", bob).bodyAsJsonObject().getLong("total")).isEqualTo(1);
    assertThat(get("/channels", bob).bodyAsJsonObject().getLong("total")).isEqualTo(1);
    assertThat(get("/things/" + aliceThing, bob).statusCode()).isEqualTo(403);
    assertThat(get("/channels/" + aliceChannel, bob).statusCode()).isEqualTo(403);
    assertThat(patch("/things/" + aliceThing, bob, new JsonObject().put("name", "x").put("metadata", new JsonObject()))
        .statusCode()).isEqualTo(403);
    assertThat(delete("/things/" + aliceThing, bob).statusCode()).isEqualTo(403);
    assertThat(get("/things/" + aliceThing + "/channels", bob).statusCode()).isEqualTo(403);
    assertThat(connect(bob, List.of(bobThing), List.of(aliceChannel)).statusCode()).isEqualTo(403);
    assertThat(connect(bob, List.of(aliceThing), List.of(bobChannel)).statusCode()).isEqualTo(403);
    assertThat(connect(bob, List.of(bobThing), List.of(bobChannel, java.util.UUID.randomUUID().toString()))
        .statusCode()).isEqualTo(404);
    assertThat(count("connections")).isZero();
    assertThat(eventsOf("thing.connect")).isEmpty();

    String admin = token(ADMIN, ADMIN_SECRET);
    assertThat(get("/things", admin).bodyAsJsonObject().getLong("total")).isEqualTo(2);
    assertThat(get("/things/" + aliceThing, admin).statusCode()).isEqualTo(200);
  }

  // ---- channels ----

  @Test
  void managesChannelsWithTheirEvents() {
    String alice = user("alice");
    var created = post("/channels", alice, new JsonObject().put("name", "telemetry").put("description", "all")
        .put("metadata", new JsonObject().put("kind", "raw")));
    assertThat(created.statusCode()).isEqualTo(201);
    String id = created.bodyAsJsonObject().getString("id");
    assertThat(created.getHeader("Location")).isEqualTo("/channels/" + id);
    DomainEvent event = awaitEvent("channel.create", 1);
    assertThat(event.fields().getString("name")).isEqualTo("telemetry");
    assertThat(event.fields().getString("owner")).isNotBlank();
    assertThat(event.revision()).isEqualTo(1);
    assertThat(post("/channels", alice, new JsonObject().put("name", "telemetry")).statusCode()).isEqualTo(409);
    assertThat(post("/channels", alice, new JsonObject()).statusCode()).isEqualTo(400);

    var child = post("/channels", alice, new JsonObject().put("name", "child").put("parent_id", id));
    assertThat(child.bodyAsJsonObject().getInteger("level")).isEqualTo(2);
    assertThat(child.bodyAsJsonObject().getString("path")).isEqualTo(id + "." + child.bodyAsJsonObject().getString("id"));

    var bulk = post("/channels/bulk", alice, new JsonArray().add(new JsonObject().put("name", "b1"))
        .add(new JsonObject().put("name", "b2")));
    assertThat(bulk.statusCode()).isEqualTo(201);
    assertThat(bulk.bodyAsJsonObject().getJsonArray("channels")).hasSize(2);
    awaitEvent("channel.create", 4);

    assertThat(get("/channels/" + id, alice).bodyAsJsonObject().getString("description")).isEqualTo("all");
    assertThat(awaitEvent("channel.view", 1).fields().getString("id")).isEqualTo(id);
    var page = get("/channels?name=b", alice).bodyAsJsonObject();
    assertThat(page.getLong("total")).isEqualTo(2);
    assertThat(awaitEvent("channel.list", 1).fields().getString("name")).isEqualTo("b");

    var updated = put("/channels/" + id, alice, new JsonObject().put("name", "telemetry-2").put("description", "d")
        .put("metadata", new JsonObject()));
    assertThat(updated.statusCode()).isEqualTo(200);
    DomainEvent update = awaitEvent("channel.update", 1);
    assertThat(update.fields().getString("name")).isEqualTo("telemetry-2");
    assertThat(update.revision()).isEqualTo(2);
    assertThat(post("/channels/" + id + "/disable", alice, null).bodyAsJsonObject().getString("status"))
        .isEqualTo("disabled");
    assertThat(awaitEvent("channel.change_status", 1).fields().getString("status")).isEqualTo("disabled");

    assertThat(delete("/channels/" + id, alice).statusCode()).isEqualTo(409);
    assertThat(delete("/channels/" + child.bodyAsJsonObject().getString("id"), alice).statusCode()).isEqualTo(204);
    assertThat(delete("/channels/" + id, alice).statusCode()).isEqualTo(204);
    assertThat(awaitEvent("channel.remove", 2).fields().getString("id")).isEqualTo(id);
    assertThat(get("/channels/" + id, alice).statusCode()).isEqualTo(404);
  }

  // ---- connections ----

  @Test
  void connectsEveryListedThingToEveryListedChannelAndDisconnects() {
    String alice = user("alice");
    List<String> things = List.of(thing(alice, "t1").getString("id"), thing(alice, "t2").getString("id"));
    List<String> channels = List.of(channel(alice, "c1"), channel(alice, "c2"), channel(alice, "c3"));

    var connected = connect(alice, things, channels);
    assertThat(connected.statusCode()).as(connected.bodyAsString()).isEqualTo(201);
    assertThat(connected.bodyAsJsonObject().getJsonArray("policies")).hasSize(6);
    awaitEvent("thing.connect", 6);
    for (String thing : things) {
      for (String channel : channels) {
        assertThat(eventsOf("thing.connect")).anySatisfy(e -> {
          assertThat(e.fields().getString("thing_id")).isEqualTo(thing);
          assertThat(e.fields().getString("channel_id")).isEqualTo(channel);
          assertThat(e.fields().getJsonArray("actions")).containsExactly("m_read", "m_write");
        });
        assertThat(authorize(thing, channel, ThingAccess.Action.PUBLISH)).isTrue();
        assertThat(authorize(thing, channel, ThingAccess.Action.SUBSCRIBE)).isTrue();
      }
    }
    assertThat(get("/things/" + things.get(0) + "/channels", alice).bodyAsJsonObject().getLong("total")).isEqualTo(3);
    assertThat(awaitEvent("channel.list_by_thing", 1).fields().getString("thing_id")).isEqualTo(things.get(0));
    assertThat(get("/channels/" + channels.get(0) + "/things", alice).bodyAsJsonObject().getLong("total"))
        .isEqualTo(2);
    assertThat(awaitEvent("thing.list_by_channel", 1).fields().getLong("total")).isEqualTo(2);

    // Connecting a pair again refuses the whole call.
    String c4 = channel(alice, "c4");
    assertThat(connect(alice, things, List.of(channels.get(0), c4)).statusCode()).isEqualTo(409);
    assertThat(count("connections")).isEqualTo(6);
    assertThat(authorize(things.get(0), c4, ThingAccess.Action.PUBLISH)).isFalse();

    var disconnected = post("/disconnect", alice, new JsonObject().put("subjects", new JsonArray().add(things.get(0)))
        .put("objects", new JsonArray(channels)));
    assertThat(disconnected.statusCode()).isEqualTo(204);
    awaitEvent("thing.disconnect", 3);
    assertThat(count("connections")).isEqualTo(3);
    assertThat(authorize(things.get(0), channels.get(1), ThingAccess.Action.PUBLISH)).isFalse();
    assertThat(authorize(things.get(1), channels.get(1), ThingAccess.Action.PUBLISH)).isTrue();
    assertThat(post("/disconnect", alice, new JsonObject().put("subjects", new JsonArray().add(things.get(0)))
        .put("objects", new JsonArray(channels))).statusCode()).isEqualTo(404);
    assertThat(post("/connect", alice, new JsonObject().put("subjects", new JsonArray())).statusCode())
        .isEqualTo(400);
    assertThat(connect(alice, things, channels, "m_fly").statusCode()).isEqualTo(400);
  }

  @Test
  void readOnlyAndWriteOnlyConnectionsAuthorizeTheirActionOnly() {
    String alice = user("alice");
    String reader = thing(alice, "reader").getString("id");
    String writer = thing(alice, "writer").getString("id");
    String channel = channel(alice, "c");
    assertThat(connect(alice, List.of(reader), List.of(channel), "m_read").statusCode()).isEqualTo(201);
    assertThat(connect(alice, List.of(writer), List.of(channel), "m_write").statusCode()).isEqualTo(201);

    assertThat(authorize(reader, channel, ThingAccess.Action.SUBSCRIBE)).isTrue();
    assertThat(authorize(reader, channel, ThingAccess.Action.PUBLISH)).isFalse();
    assertThat(authorize(writer, channel, ThingAccess.Action.PUBLISH)).isTrue();
    assertThat(authorize(writer, channel, ThingAccess.Action.SUBSCRIBE)).isFalse();
    assertThat(authorize(writer, java.util.UUID.randomUUID().toString(), ThingAccess.Action.PUBLISH)).isFalse();

    // A disabled channel or thing authorizes nothing; enabling restores it.
    post("/channels/" + channel + "/disable", alice, null);
    assertThat(authorize(writer, channel, ThingAccess.Action.PUBLISH)).isFalse();
    post("/channels/" + channel + "/enable", alice, null);
    assertThat(authorize(writer, channel, ThingAccess.Action.PUBLISH)).isTrue();
    post("/things/" + writer + "/disable", alice, null);
    assertThat(authorize(writer, channel, ThingAccess.Action.PUBLISH)).isFalse();
    post("/things/" + writer + "/enable", alice, null);

    // Deleting the channel removes its connections.
    assertThat(delete("/channels/" + channel, alice).statusCode()).isEqualTo(204);
    assertThat(authorize(writer, channel, ThingAccess.Action.PUBLISH)).isFalse();
    assertThat(count("connections")).isZero();
  }

  @Test
  void thingPoliciesAddUpdateListAndDelete() {
    String alice = user("alice");
    String thing = thing(alice, "t").getString("id");
    String channel = channel(alice, "c");
    var added = post("/policies", alice, new JsonObject().put("subject", thing).put("object", channel)
        .put("actions", new JsonArray().add("m_read")));
    assertThat(added.statusCode()).as(added.bodyAsString()).isEqualTo(201);
    assertThat(added.bodyAsJsonObject().getJsonArray("actions")).containsExactly("m_read");
    assertThat(awaitEvent("thing.connect", 1).fields().getJsonArray("actions")).containsExactly("m_read");

    var updated = put("/policies", alice, new JsonObject().put("subject", thing).put("object", channel)
        .put("actions", new JsonArray().add("m_write")));
    assertThat(updated.statusCode()).isEqualTo(200);
    DomainEvent update = awaitEvent("thing.update_connection", 1);
    assertThat(update.fields().getJsonArray("actions")).containsExactly("m_write");
    assertThat(update.revision()).isEqualTo(2);
    assertThat(authorize(thing, channel, ThingAccess.Action.PUBLISH)).isTrue();
    assertThat(authorize(thing, channel, ThingAccess.Action.SUBSCRIBE)).isFalse();

    var list = get("/policies?subject=" + thing, alice).bodyAsJsonObject();
    assertThat(list.getLong("total")).isEqualTo(1);
    assertThat(list.getJsonArray("policies").getJsonObject(0).getString("object")).isEqualTo(channel);
    assertThat(get("/policies", user("bob")).bodyAsJsonObject().getLong("total")).isZero();

    assertThat(delete("/policies/" + thing + "/" + channel, alice).statusCode()).isEqualTo(204);
    assertThat(awaitEvent("thing.disconnect", 1).fields().getString("channel_id")).isEqualTo(channel);
    assertThat(delete("/policies/" + thing + "/" + channel, alice).statusCode()).isEqualTo(404);
    assertThat(put("/policies", alice, new JsonObject().put("subject", thing).put("object", channel)
        .put("actions", new JsonArray().add("m_write"))).statusCode()).isEqualTo(404);
  }

  // ---- device-side questions ----

  @Test
  void identifiesAThingByItsKeyAndChecksChannelAccess() {
    String alice = user("alice");
    JsonObject thing = thing(alice, "t");
    String id = thing.getString("id");
    String key = thing.getJsonObject("credentials").getString("secret");
    String channel = channel(alice, "c");

    var identified = send(http.post(port, "127.0.0.1", "/identify").putHeader("Authorization", "Thing " + key),
        null, new JsonObject());
    assertThat(identified.statusCode()).isEqualTo(200);
    assertThat(identified.bodyAsJsonObject().getString("id")).isEqualTo(id);
    assertThat(awaitEvent("thing.identify", 1).fields().getString("thing_id")).isEqualTo(id);
    assertThat(post("/identify", null, new JsonObject().put("secret", key)).bodyAsJsonObject().getString("id"))
        .isEqualTo(id);
    assertThat(post("/identify", null, new JsonObject().put("secret", "wrong-key-123")).statusCode()).isEqualTo(401);
    assertThat(Await.result(fx.vertx.eventBus().request(Addresses.THINGS_IDENTIFY, key)).body()).isEqualTo(id);

    var denied = send(http.post(port, "127.0.0.1", "/channels/" + channel + "/access")
        .putHeader("Authorization", "Thing " + key), null, new JsonObject().put("action", "m_write"));
    assertThat(denied.statusCode()).isEqualTo(401);
    connect(alice, List.of(id), List.of(channel));
    var granted = send(http.post(port, "127.0.0.1", "/channels/" + channel + "/access")
        .putHeader("Authorization", "Thing " + key), null, new JsonObject().put("action", "m_write"));
    assertThat(granted.statusCode()).isEqualTo(200);
    assertThat(granted.bodyAsJsonObject().getString("id")).isEqualTo(id);
    var byOwner = post("/channels/" + channel + "/access", alice, new JsonObject().put("subject", id)
        .put("action", "m_read"));
    assertThat(byOwner.statusCode()).isEqualTo(200);
    assertThat(post("/channels/" + channel + "/access", user("bob"), new JsonObject().put("subject", id))
        .statusCode()).isEqualTo(403);
  }

  @Test
  void busAnswersFollowConnectDisconnectKeyChangeDisableAndDelete() {
    String alice = user("alice");
    JsonObject created = thing(alice, "t");
    String id = created.getString("id");
    String key = created.getJsonObject("credentials").getString("secret");
    String channel = channel(alice, "c");
    assertThat(authenticate(id, key)).isTrue();
    assertThat(authenticate(id, key + "x")).isFalse();
    assertThat(authenticate(java.util.UUID.randomUUID().toString(), key)).isFalse();
    assertThat(authorize(id, channel, ThingAccess.Action.PUBLISH)).isFalse();

    JsonObject pairs = new JsonObject().put("thing_ids", new JsonArray().add(id))
        .put("channel_ids", new JsonArray().add(channel));
    // The things service decides from the caller's token: an owner named in the message counts for nothing.
    var forged = fx.vertx.eventBus().request(Addresses.THINGS_CONNECT,
        new UserRequest(user("mallory"), pairs.copy().put("owner", profileId(alice))));
    Await.until("refusal of another user", Duration.ofSeconds(10), forged::isComplete);
    assertThat(((io.vertx.core.eventbus.ReplyException) forged.cause()).failureCode()).isEqualTo(403);
    var anonymous = fx.vertx.eventBus().request(Addresses.THINGS_CONNECT, new UserRequest("not-a-token", pairs));
    Await.until("refusal of a bad token", Duration.ofSeconds(10), anonymous::isComplete);
    assertThat(((io.vertx.core.eventbus.ReplyException) anonymous.cause()).failureCode()).isEqualTo(401);
    assertThat(authorize(id, channel, ThingAccess.Action.PUBLISH)).isFalse();
    UserRequest busConnect = new UserRequest(alice, pairs);
    assertThat(Await.result(fx.vertx.eventBus().<JsonObject>request(Addresses.THINGS_CONNECT, busConnect)).body()
        .getInteger("connected")).isEqualTo(1);
    assertThat(authorize(id, channel, ThingAccess.Action.PUBLISH)).isTrue();
    awaitEvent("thing.connect", 1);
    var foreign = fx.vertx.eventBus().request(Addresses.THINGS_DISCONNECT, new UserRequest(user("bob"), pairs));
    Await.until("refusal", Duration.ofSeconds(10), foreign::isComplete);
    assertThat(((io.vertx.core.eventbus.ReplyException) foreign.cause()).failureCode()).isEqualTo(403);
    assertThat(authorize(id, channel, ThingAccess.Action.PUBLISH)).isTrue();

    Await.result(fx.vertx.eventBus().request(Addresses.THINGS_DISCONNECT, busConnect));
    assertThat(authorize(id, channel, ThingAccess.Action.PUBLISH)).isFalse();
    awaitEvent("thing.disconnect", 1);
    connect(alice, List.of(id), List.of(channel));

    patch("/things/" + id + "/secret", alice, new JsonObject().put("secret", "rotated-key-0001"));
    keysSeen.add("rotated-key-0001");
    assertThat(authenticate(id, key)).isFalse();
    assertThat(authenticate(id, "rotated-key-0001")).isTrue();

    post("/things/" + id + "/disable", alice, null);
    assertThat(authenticate(id, "rotated-key-0001")).isFalse();
    assertThat(authorize(id, channel, ThingAccess.Action.PUBLISH)).isFalse();
    post("/things/" + id + "/enable", alice, null);
    assertThat(authorize(id, channel, ThingAccess.Action.PUBLISH)).isTrue();

    delete("/things/" + id, alice);
    assertThat(authenticate(id, "rotated-key-0001")).isFalse();
    assertThat(authorize(id, channel, ThingAccess.Action.PUBLISH)).isFalse();
    assertThat(count("connections")).isZero();
  }

  @Test
  void theIndexIsRebuiltFromTheDatabaseAtStart() {
    String alice = user("alice");
    JsonObject created = thing(alice, "t");
    String id = created.getString("id");
    String channel = channel(alice, "c");
    connect(alice, List.of(id), List.of(channel), "m_write");
    // A second things verticle (as on another node) starts from the database alone.
    ThingsVerticle second = deployThings("other-node");
    assertThat(second.index().authorize(new ThingAccess(id, channel, ThingAccess.Action.PUBLISH))).isTrue();
    assertThat(second.index().authorize(new ThingAccess(id, channel, ThingAccess.Action.SUBSCRIBE))).isFalse();
    assertThat(second.index().authenticate(id, created.getJsonObject("credentials").getString("secret"))).isTrue();
  }

  @Test
  void anotherNodesIndexFollowsChangesThroughTheThingsEvents() {
    ThingsVerticle other = deployThings("other-node");
    String alice = user("alice");
    JsonObject created = thing(alice, "t");
    String id = created.getString("id");
    String key = created.getJsonObject("credentials").getString("secret");
    String channel = channel(alice, "c");
    ThingAccess publish = new ThingAccess(id, channel, ThingAccess.Action.PUBLISH);
    Await.until("the other node sees the thing", Duration.ofSeconds(10), () -> other.index().authenticate(id, key));

    connect(alice, List.of(id), List.of(channel));
    Await.until("the other node sees the connection", Duration.ofSeconds(10), () -> other.index().authorize(publish));

    patch("/things/" + id + "/secret", alice, new JsonObject().put("secret", "rotated-on-node-a"));
    keysSeen.add("rotated-on-node-a");
    Await.until("the other node drops the old key", Duration.ofSeconds(10),
        () -> !other.index().authenticate(id, key) && other.index().authenticate(id, "rotated-on-node-a"));

    post("/channels/" + channel + "/disable", alice, null);
    Await.until("the other node sees the disabled channel", Duration.ofSeconds(10),
        () -> !other.index().authorize(publish));
    post("/channels/" + channel + "/enable", alice, null);
    Await.until("the other node sees it enabled", Duration.ofSeconds(10), () -> other.index().authorize(publish));

    post("/disconnect", alice, new JsonObject().put("subjects", new JsonArray().add(id))
        .put("objects", new JsonArray().add(channel)));
    Await.until("the other node sees the disconnect", Duration.ofSeconds(10), () -> !other.index().authorize(publish));

    delete("/things/" + id, alice);
    Await.until("the other node forgets the thing", Duration.ofSeconds(10),
        () -> !other.index().authenticate(id, "rotated-on-node-a"));
  }

  @Test
  void aDatabaseDumpHoldsNoThingKeyInClear() {
    String alice = user("alice");
    JsonObject withKey = new JsonObject().put("name", "chosen")
        .put("credentials", new JsonObject().put("secret", "my-chosen-key-42"));
    keysSeen.add("my-chosen-key-42");
    assertThat(post("/things", alice, withKey).statusCode()).isEqualTo(201);
    JsonArray requests = new JsonArray();
    for (int i = 0; i < 20; i++) {
      requests.add(new JsonObject().put("name", "t" + i));
    }
    post("/things/bulk", alice, requests);
    awaitEvent("thing.create", 21);

    String dump = databaseDump();
    assertThat(dump).contains("chosen");
    assertThat(keysSeen).hasSizeGreaterThanOrEqualTo(21);
    for (String key : keysSeen) {
      assertThat(dump).as("the dump holds a key in clear").doesNotContain(key);
    }
  }

  // ---- events complete enough to rebuild ----

  @Test
  void aCascadingDeleteEmitsADisconnectPerRemovedConnectionBeforeTheRemove() {
    String alice = user("alice");
    String t1 = thing(alice, "t1").getString("id");
    String t2 = thing(alice, "t2").getString("id");
    String c1 = channel(alice, "c1");
    String c2 = channel(alice, "c2");
    assertThat(connect(alice, List.of(t1, t2), List.of(c1, c2)).statusCode()).isEqualTo(201);
    awaitEvent("thing.connect", 4);

    assertThat(delete("/things/" + t1, alice).statusCode()).isEqualTo(204);
    awaitEvent("thing.remove", 1);
    assertThat(delete("/channels/" + c2, alice).statusCode()).isEqualTo(204);
    awaitEvent("channel.remove", 1);

    Await.until("3 thing.disconnect", Duration.ofSeconds(20), () -> eventsOf("thing.disconnect").size() >= 3);
    List<DomainEvent> all = List.copyOf(events);
    List<String> disconnected = eventsOf("thing.disconnect").stream()
        .map(e -> e.fields().getString("thing_id") + "/" + e.fields().getString("channel_id")).toList();
    assertThat(disconnected).containsExactlyInAnyOrder(t1 + "/" + c1, t1 + "/" + c2, t2 + "/" + c2);
    int thingRemoved = indexOf(all, "thing.remove");
    int channelRemoved = indexOf(all, "channel.remove");
    for (int i = 0; i < all.size(); i++) {
      DomainEvent e = all.get(i);
      if (e.operation().equals("thing.disconnect")) {
        assertThat(e.revision()).as("one after the connection's last revision").isEqualTo(2);
        assertThat(i).as("each disconnect comes before the remove that caused it")
            .isLessThan(e.fields().getString("thing_id").equals(t1) ? thingRemoved : channelRemoved);
      }
    }
  }

  private static int indexOf(List<DomainEvent> all, String operation) {
    for (int i = 0; i < all.size(); i++) {
      if (all.get(i).operation().equals(operation)) {
        return i;
      }
    }
    throw new AssertionError("no " + operation);
  }

  @Test
  void aConnectionKeepsCountingRevisionsAcrossDisconnectAndReconnect() {
    String alice = user("alice");
    String t = thing(alice, "t").getString("id");
    String c = channel(alice, "c");
    assertThat(connect(alice, List.of(t), List.of(c)).statusCode()).isEqualTo(201);
    assertThat(put("/policies", alice, new JsonObject().put("subject", t).put("object", c)
        .put("actions", new JsonArray().add("m_read"))).statusCode()).isEqualTo(200);
    assertThat(post("/disconnect", alice, new JsonObject().put("subjects", new JsonArray().add(t))
        .put("objects", new JsonArray().add(c))).statusCode()).isEqualTo(204);
    assertThat(connect(alice, List.of(t), List.of(c)).statusCode()).isEqualTo(201);
    assertThat(delete("/policies/" + t + "/" + c, alice).statusCode()).isEqualTo(204);
    assertThat(post("/policies", alice, new JsonObject().put("subject", t).put("object", c)
        .put("actions", new JsonArray().add("m_write"))).statusCode()).isEqualTo(201);

    assertThat(awaitEvent("thing.connect", 1).revision()).isEqualTo(1);
    assertThat(awaitEvent("thing.update_connection", 1).revision()).isEqualTo(2);
    assertThat(awaitEvent("thing.disconnect", 1).revision()).isEqualTo(3);
    assertThat(awaitEvent("thing.connect", 2).revision()).as("a reconnect continues the pair's count").isEqualTo(4);
    assertThat(awaitEvent("thing.disconnect", 2).revision()).isEqualTo(5);
    assertThat(awaitEvent("thing.connect", 3).revision()).isEqualTo(6);
    var policies = get("/policies?subject=" + t, alice).bodyAsJsonObject();
    assertThat(policies.getLong("total")).isEqualTo(1);
  }

  @Test
  void anotherNodesIndexAppliesEventsByRevisionWhateverOrderTheyArriveIn() {
    // An index that loaded an empty database, then receives this node's events of a thing's life reordered.
    AccessIndex index = new AccessIndex(new ThingKeys(ThingsConfig.from(new ConfigTree(new JsonObject(), Map.of()),
        dataDir).serverKey()));
    AccessIndexSync sync = new AccessIndexSync(index, new ThingRepository(fx.db), new ChannelRepository(fx.db),
        new ConnectionRepository(fx.db), "other-node");
    Await.result(sync.load());
    String alice = user("alice");
    JsonObject created = thing(alice, "t");
    String id = created.getString("id");
    String key = created.getJsonObject("credentials").getString("secret");
    String channel = channel(alice, "c");
    connect(alice, List.of(id), List.of(channel));
    post("/things/" + id + "/disable", alice, null);
    post("/things/" + id + "/enable", alice, null);
    awaitEvent("thing.change_status", 2);
    List<DomainEvent> changes = events.stream().filter(e -> e.revision() != DomainEvent.NO_REVISION).toList();
    ThingAccess publish = new ThingAccess(id, channel, ThingAccess.Action.PUBLISH);

    // The connect first (as after an outage), then the rest, then a stale duplicate of the disable.
    List<DomainEvent> arriving = new java.util.ArrayList<>(eventsOf("thing.connect"));
    changes.stream().filter(e -> !e.operation().equals("thing.connect")).forEach(arriving::add);
    arriving.add(eventsOf("thing.change_status").get(0));
    fx.vertx.getOrCreateContext().runOnContext(v -> arriving.forEach(sync::apply));
    Await.until("the reordered connect is kept and the thing is enabled", Duration.ofSeconds(10),
        () -> index.authorize(publish) && index.authenticate(id, key));
  }
}
