package io.fluxgate.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.Streams;
import io.fluxgate.events.Delivery;
import io.fluxgate.events.EventStore;
import io.fluxgate.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bootstrap as the durable consumer of the things stream, on the state database and event store a subclass picks:
 * changes made through the things API reach the configs, also when bootstrap was not running at the time; a failing
 * handler is retried, an always failing one dead-lettered while consumption goes on; a replay changes nothing.
 */
abstract class BootstrapConsumerContract {

  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dataDir;

  final List<BootstrapPlatform> nodes = new ArrayList<>();
  BootstrapPlatform.Backend backend;

  abstract BootstrapPlatform.Backend backend();

  BootstrapPlatform start(String roles) {
    if (backend == null) {
      backend = backend();
    }
    BootstrapPlatform node = BootstrapPlatform.start("consumer-" + nodes.size(), dataDir, roles, backend, Map.of());
    nodes.add(node);
    return node;
  }

  void stop(BootstrapPlatform node) {
    nodes.remove(node);
    node.close();
  }

  @AfterEach
  void stopAll() {
    try {
      nodes.forEach(BootstrapPlatform::close);
    } finally {
      if (backend != null) {
        backend.cleanUp();
      }
    }
  }

  static JsonObject configRequest(String externalId, String... channels) {
    return new JsonObject().put("external_id", externalId).put("external_key", "key-of-" + externalId)
        .put("channels", new JsonArray(List.of(channels)));
  }

  static JsonObject view(BootstrapPlatform node, String token, String thingId) {
    var response = node.bootstrap("GET", "/things/configs/" + thingId, token, null);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  static List<String> channelIds(JsonObject config) {
    List<String> ids = new ArrayList<>();
    config.getJsonArray("channels").forEach(c -> ids.add(((JsonObject) c).getString("id")));
    return ids;
  }

  @Test
  void deletingAThingThroughTheThingsApiRemovesItsConfig() {
    BootstrapPlatform node = start("all");
    String alice = node.user("alice");
    String thingId = node.config(alice, configRequest("gone-soon")).getString("thing_id");
    String kept = node.config(alice, configRequest("stays")).getString("thing_id");

    assertThat(node.things("DELETE", "/things/" + thingId, alice, null).statusCode()).isEqualTo(204);
    DomainEvent removed = node.awaitEvent("config.remove_handler", e -> thingId.equals(e.fields().getString("thing_id")));
    assertThat(removed.revision()).as("one after the config's create").isEqualTo(2);
    assertThat(node.bootstrap("GET", "/things/configs/" + thingId, alice, null).statusCode()).isEqualTo(404);
    assertThat(node.deviceBootstrap("gone-soon", "key-of-gone-soon").statusCode()).isEqualTo(404);
    assertThat(view(node, alice, kept).getString("external_id")).isEqualTo("stays");
  }

  @Test
  void channelUpdatesAndRemovalsReachEveryConfigNamingTheChannel() {
    BootstrapPlatform node = start("all");
    String alice = node.user("alice");
    String c1 = node.channel(alice, "c1", new JsonObject());
    String c2 = node.channel(alice, "c2", new JsonObject());
    String first = node.config(alice, configRequest("first", c1, c2)).getString("thing_id");
    String second = node.config(alice, configRequest("second", c1)).getString("thing_id");

    var renamed = node.things("PUT", "/channels/" + c1, alice, new JsonObject().put("name", "renamed")
        .put("metadata", new JsonObject().put("zone", "north")));
    assertThat(renamed.statusCode()).as(renamed.bodyAsString()).isEqualTo(200);
    DomainEvent updated = node.awaitEvent("channel.update_handler", e -> c1.equals(e.fields().getString("channel_id"))
        && "renamed".equals(e.fields().getString("name")));
    assertThat(updated.revision()).as("the channel's, as the things stream counts it").isEqualTo(2);
    JsonObject expected = new JsonObject().put("id", c1).put("name", "renamed")
        .put("metadata", new JsonObject().put("zone", "north"));
    assertThat(view(node, alice, first).getJsonArray("channels").getJsonObject(0)).isEqualTo(expected);
    assertThat(view(node, alice, second).getJsonArray("channels").getJsonObject(0)).isEqualTo(expected);

    assertThat(node.things("DELETE", "/channels/" + c2, alice, null).statusCode()).isEqualTo(204);
    DomainEvent removed = node.awaitEvent("channel.remove_handler", e -> c2.equals(e.fields().getString("channel_id")));
    assertThat(removed.revision()).isEqualTo(2);
    assertThat(channelIds(view(node, alice, first))).containsExactly(c1);
  }

  @Test
  void connectsAndDisconnectsThroughTheThingsApiReachTheThingsConfig() {
    BootstrapPlatform node = start("all");
    String alice = node.user("alice");
    String c1 = node.channel(alice, "c1", new JsonObject());
    String c3 = node.channel(alice, "c3", new JsonObject());
    String thingId = node.config(alice, configRequest("wired", c1)).getString("thing_id");
    assertThat(node.bootstrap("PUT", "/things/state/" + thingId, alice, new JsonObject().put("state", 1))
        .statusCode()).isEqualTo(204);

    var connected = node.things("POST", "/connect", alice, new JsonObject()
        .put("subjects", new JsonArray().add(thingId)).put("objects", new JsonArray().add(c3)));
    assertThat(connected.statusCode()).as(connected.bodyAsString()).isEqualTo(201);
    DomainEvent joined = node.awaitEvent("thing.connect_handler", e -> c3.equals(e.fields().getString("channel_id"))
        && thingId.equals(e.fields().getString("thing_id")));
    assertThat(channelIds(view(node, alice, thingId))).containsExactly(c1, c3);
    // Created 1, state 2: the reaction moved the config to 3, in its row and its event.
    assertThat(joined.revision()).isEqualTo(3);
    assertThat(node.query("SELECT revision FROM bootstrap_configs WHERE thing_id = ?", thingId)).containsExactly("3");

    var disconnected = node.things("POST", "/disconnect", alice, new JsonObject()
        .put("subjects", new JsonArray().add(thingId)).put("objects", new JsonArray().add(c1)));
    assertThat(disconnected.statusCode()).as(disconnected.bodyAsString()).isEqualTo(204);
    DomainEvent left = node.awaitEvent("thing.disconnect_handler", e -> c1.equals(e.fields().getString("channel_id"))
        && thingId.equals(e.fields().getString("thing_id")));
    assertThat(channelIds(view(node, alice, thingId))).containsExactly(c3);
    assertThat(left.revision()).isEqualTo(4);
    assertThat(node.query("SELECT revision FROM bootstrap_configs WHERE thing_id = ?", thingId)).containsExactly("4");
    // Bootstrap's own connect of c1 (state 1) reached the consumer too, and changed nothing: c1 was there already.
    assertThat(node.eventsOf("thing.connect_handler")).hasSize(1);
  }

  @Test
  void aNodeStartedWithOnlyBootstrapCatchesUpOnWhatChangedWhileNoneRan() {
    BootstrapPlatform first = start("all");
    String alice = first.user("alice");
    String channel = first.channel(alice, "before", new JsonObject());
    String thingId = first.config(alice, configRequest("offline", channel)).getString("thing_id");
    String kept = first.config(alice, configRequest("kept", channel)).getString("thing_id");
    stop(first);

    BootstrapPlatform thingsOnly = start("users,things");
    assertThat(thingsOnly.things("DELETE", "/things/" + thingId, alice, null).statusCode()).isEqualTo(204);
    assertThat(thingsOnly.things("PUT", "/channels/" + channel, alice, new JsonObject().put("name", "after")
        .put("metadata", new JsonObject()))
        .statusCode()).isEqualTo(200);
    Await.until("the things events in the store", WAIT, () -> thingsOnly.eventsOf("channel.update").size() == 1);
    stop(thingsOnly);

    BootstrapPlatform bootstrapOnly = start("bootstrap");
    bootstrapOnly.awaitEvent("config.remove_handler", e -> thingId.equals(e.fields().getString("thing_id")));
    bootstrapOnly.awaitEvent("channel.update_handler", e -> channel.equals(e.fields().getString("channel_id"))
        && "after".equals(e.fields().getString("name")));
    assertThat(bootstrapOnly.query("SELECT COUNT(*) FROM bootstrap_configs WHERE thing_id = ?", thingId))
        .containsExactly("0");
    assertThat(bootstrapOnly.query("SELECT external_id FROM bootstrap_configs WHERE thing_id = ?", kept))
        .containsExactly("kept");
    assertThat(bootstrapOnly.query("SELECT name FROM bootstrap_channels WHERE id = ?", channel))
        .containsExactly("after");
  }

  /** Configs written straight into the database of a node without the bootstrap role, for things it has. */
  static BootstrapRepository repository(BootstrapPlatform node) {
    return new BootstrapRepository(node.platform.node.database(),
        new io.fluxgate.config.SecretBox(new byte[32], "fluxgate bootstrap"));
  }

  static void insertConfig(BootstrapPlatform node, BootstrapRepository configs, String thingId, int state,
      String... channels) {
    List<ConfigChannel> named = new ArrayList<>();
    for (String channel : channels) {
      named.add(new ConfigChannel(channel, "", new JsonObject()));
    }
    DeviceConfig config = new DeviceConfig(thingId, "owner", "", "ext-" + thingId, "ext-key", "thing-key", "", "", "",
        "", state, named, Instant.now().toString(), 1);
    Await.result(node.platform.node.database().inTransaction(conn -> configs.insert(conn, config)));
  }

  ThingsStreamReactions reactions(BootstrapPlatform node, BootstrapRepository configs) {
    return new ThingsStreamReactions(configs, new BootstrapEvents(backend.prefix() + ".bootstrap", "test"),
        node.platform.node.eventLog().publisher());
  }

  @Test
  void aFailingHandlerIsRetriedAndAnAlwaysFailingOneDeadLetteredWhileConsumptionGoesOn() {
    BootstrapPlatform node = start("users,things");
    BootstrapRepository configs = repository(node);
    String flaky = node.thing(node.admin(), "flaky").getString("id");
    String poison = node.thing(node.admin(), "poison").getString("id");
    String after = node.thing(node.admin(), "after").getString("id");
    for (String thing : List.of(flaky, poison, after)) {
      insertConfig(node, configs, thing, 0);
    }
    ThingsStreamReactions reactions = reactions(node, configs);
    Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    EventStore store = node.platform.node.eventLog().store();
    String stream = backend.prefix() + ".things";
    Await.result(store.subscribe(stream, "bootstrap-test", EventStore.StartFrom.BEGINNING, event -> {
      String id = event.fields().getString("id", "");
      int attempt = attempts.computeIfAbsent(event.operation() + " " + id, k -> new AtomicInteger()).incrementAndGet();
      if (event.operation().equals("thing.remove") && (id.equals(poison) || id.equals(flaky) && attempt <= 2)) {
        return Future.failedFuture("config store unavailable for thing " + id);
      }
      return reactions.handle(event);
    }));
    Queue<DomainEvent> deadLetters = new ConcurrentLinkedQueue<>();
    Await.result(store.tail(Streams.deadLetters(stream), EventStore.StartFrom.BEGINNING, deadLetters::add));

    for (String thing : List.of(flaky, poison, after)) {
      assertThat(node.things("DELETE", "/things/" + thing, node.admin(), null).statusCode()).isEqualTo(204);
    }
    node.awaitEvent("config.remove_handler", e -> after.equals(e.fields().getString("thing_id")));
    node.awaitEvent("config.remove_handler", e -> flaky.equals(e.fields().getString("thing_id")));
    Await.until("the dead letter", WAIT, () -> !deadLetters.isEmpty());

    assertThat(attempts.get("thing.remove " + flaky).get()).isEqualTo(3);
    assertThat(attempts.get("thing.remove " + poison).get()).isEqualTo(4);
    DomainEvent parked = deadLetters.peek();
    assertThat(parked.operation()).isEqualTo(Delivery.DEAD_LETTER);
    assertThat(parked.fields().getString("consumer")).isEqualTo("bootstrap-test");
    assertThat(parked.fields().getJsonObject("event").getString("id")).isEqualTo(poison);
    assertThat(node.query("SELECT thing_id FROM bootstrap_configs")).containsExactly(poison);
  }

  @Test
  void replayingTheThingsStreamTwiceLeavesTheConfigsAsAfterOnce() {
    BootstrapPlatform node = start("users,things");
    String admin = node.admin();
    BootstrapRepository configs = repository(node);
    String c1 = node.channel(admin, "c1", new JsonObject());
    String c2 = node.channel(admin, "c2", new JsonObject());
    String c3 = node.channel(admin, "c3", new JsonObject());
    String removed = node.thing(admin, "removed").getString("id");
    String active = node.thing(admin, "active").getString("id");
    String inactive = node.thing(admin, "inactive").getString("id");
    insertConfig(node, configs, removed, 1, c1);
    insertConfig(node, configs, active, 1, c1, c2);
    insertConfig(node, configs, inactive, 0, c1, c3);
    ok(node.things("PUT", "/channels/" + c1, admin, new JsonObject().put("name", "first name")
        .put("metadata", new JsonObject())));
    ok(node.things("PUT", "/channels/" + c1, admin, new JsonObject().put("name", "last name")
        .put("metadata", new JsonObject())));
    node.platform.connect(active, c1);
    node.platform.connect(active, c3);
    node.platform.disconnect(active, c1);
    node.platform.connect(active, c1);
    node.platform.connect(inactive, c1);
    node.platform.disconnect(inactive, c1);
    // A channel connected and disconnected again: applied backwards without revisions, it would stay.
    String c4 = node.channel(admin, "c4", new JsonObject());
    node.platform.connect(active, c4);
    node.platform.disconnect(active, c4);
    ok(node.things("DELETE", "/channels/" + c2, admin, null));
    ok(node.things("DELETE", "/things/" + removed, admin, null));
    Await.until("the things events in the store", WAIT, () -> node.eventsOf("thing.remove").size() == 1);

    ThingsStreamReactions reactions = reactions(node, configs);
    List<DomainEvent> log = new ArrayList<>();
    Await.result(node.platform.node.eventLog().store().readToEnd(backend.prefix() + ".things", log::add));
    replay(reactions, log);
    List<String> once = snapshot(node);
    replay(reactions, log);
    assertThat(snapshot(node)).isEqualTo(once);
    // Older events after newer ones change nothing either: the log backwards.
    List<DomainEvent> backwards = new ArrayList<>(log);
    java.util.Collections.reverse(backwards);
    replay(reactions, backwards);
    assertThat(snapshot(node)).isEqualTo(once);

    assertThat(once).containsExactlyInAnyOrder(
        "config " + active + " state 1",
        "config " + inactive + " state 0",
        "channel " + active + " " + c1 + " last name",
        "channel " + active + " " + c3 + " c3",
        "channel " + inactive + " " + c1 + " last name",
        "channel " + inactive + " " + c3 + " c3");
  }

  private static void ok(io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isBetween(200, 204);
  }

  private static void replay(ThingsStreamReactions reactions, List<DomainEvent> log) {
    Future<Void> chain = Future.succeededFuture();
    for (DomainEvent event : log) {
      chain = chain.compose(v -> reactions.handle(event));
    }
    Await.result(chain, WAIT);
  }

  private static List<String> snapshot(BootstrapPlatform node) {
    List<String> rows = new ArrayList<>();
    node.query("SELECT thing_id || ' state ' || CAST(state AS VARCHAR(2)) FROM bootstrap_configs ORDER BY thing_id")
        .forEach(row -> rows.add("config " + row));
    node.query("SELECT c.thing_id || ' ' || c.channel_id || ' ' || COALESCE(i.name, '?') FROM bootstrap_config_channels c"
        + " LEFT JOIN bootstrap_channels i ON i.id = c.channel_id ORDER BY c.thing_id, c.channel_id")
        .forEach(row -> rows.add("channel " + row));
    return rows;
  }
}
