package io.fluxgate.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.config.ConfigTree;
import io.fluxgate.events.EventStore;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.events.EventStores;
import io.fluxgate.sql.Database;
import io.fluxgate.sql.DatabaseConfig;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.PlatformNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The durable consumer example keeps its inventory across a restart, catching up on what changed meanwhile. */
@Timeout(120)
class ThingInventoryTest {

  @TempDir
  Path dir;

  @Test
  void resumesFromItsCursorWithItsSavedStateAfterARestart() throws Exception {
    Map<String, String> env = PlatformNode.env("inventory", dir.resolve("node"), "users,things", Map.of());
    ConfigTree tree = new ConfigTree(new JsonObject(), env);
    Path file = dir.resolve("inventory.json");
    Vertx vertx = Vertx.vertx();
    try (PlatformNode node = PlatformNode.start(env, false)) {
      String pump = node.thing("pump").getString("id");
      String valve = node.thing("valve").getString("id");
      EventStoreConfig config = EventStoreConfig.from(tree);
      Database db = Await.result(Database.open(vertx, DatabaseConfig.from(tree, dir.resolve("node"))));

      Queue<String> firstRun = new ConcurrentLinkedQueue<>();
      EventStore store = Await.result(EventStores.open(vertx, config, db));
      ThingInventory first = new ThingInventory(vertx, file, firstRun::add);
      EventStore.Subscription subscription = Await.result(onContext(vertx, () -> first.start(store,
          "fluxgate.things")));
      Await.until("both things in the inventory", Duration.ofSeconds(30),
          () -> first.current().keySet().containsAll(List.of(pump, valve)));
      Await.result(subscription.stop());
      Await.result(store.close());

      // While the inventory is stopped: one thing goes, one is renamed, one is new.
      assertThat(Await.result(node.http.delete(node.port("things"), "127.0.0.1", "/things/" + pump)
          .bearerTokenAuthentication(node.admin()).send()).statusCode()).isEqualTo(204);
      assertThat(Await.result(node.http.patch(node.port("things"), "127.0.0.1", "/things/" + valve)
          .bearerTokenAuthentication(node.admin())
          .sendJsonObject(new JsonObject().put("name", "valve-2").put("metadata", new JsonObject()))).statusCode())
          .isEqualTo(200);
      String meter = node.thing("meter").getString("id");

      Queue<String> secondRun = new ConcurrentLinkedQueue<>();
      EventStore reopened = Await.result(EventStores.open(vertx, config, db));
      ThingInventory second = new ThingInventory(vertx, file, secondRun::add);
      Await.result(onContext(vertx, () -> second.start(reopened, "fluxgate.things")));
      Await.until("the changes made while stopped", Duration.ofSeconds(30),
          () -> second.current().containsKey(meter) && !second.current().containsKey(pump));
      assertThat(second.current()).containsOnlyKeys(valve, meter);
      assertThat(second.current().get(valve)).isEqualTo(new ThingInventory.Item("valve-2", "enabled"));
      assertThat(secondRun).as("resumed at its cursor, not from the beginning")
          .noneMatch(line -> line.contains(valve + " valve ") || line.contains(pump + " pump "));
      Await.result(reopened.close());
    } finally {
      Await.result(vertx.close());
    }
  }

  private static <T> io.vertx.core.Future<T> onContext(Vertx vertx,
      java.util.function.Supplier<io.vertx.core.Future<T>> action) {
    io.vertx.core.Promise<T> promise = io.vertx.core.Promise.promise();
    vertx.runOnContext(v -> action.get().onComplete(promise));
    return promise.future();
  }
}
