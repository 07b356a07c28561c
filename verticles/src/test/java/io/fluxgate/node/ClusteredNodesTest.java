package io.fluxgate.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.config.ConfigTree;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.TestStores;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes joined with {@code --cluster} and the shipped Hazelcast file: an event published on one node is
 * persisted there, once, and reaches a consumer on the other through the cluster wire codec.
 */
class ClusteredNodesTest {

  private static Map<String, String> env(Path dir, String name, Path clusterFile, String roles) {
    Map<String, String> env = new HashMap<>();
    env.put("FG_ROLES", roles);
    env.put("FG_NODE_ID", name);
    env.put("FG_NODE_HOST", "127.0.0.1");
    env.put("FG_DB_URL", "jdbc:h2:mem:" + TestStores.unique(name) + ";DB_CLOSE_DELAY=-1");
    env.put("FG_DATA_DIR", dir.resolve(name).toString());
    env.put("FG_USERS_HTTP_PORT", "0");
    env.put("FG_THINGS_HTTP_PORT", "0");
    env.put("FG_BOOTSTRAP_HTTP_PORT", "0");
    env.put("FG_HTTP_ADAPTER_PORT", "0");
    env.put("FG_MQTT_PORT", "0");
    env.put("FG_MQTT_WS_PORT", "0");
    env.put("FG_METRICS_ENABLED", "false");
    env.put("FG_CLUSTER_CONFIG", clusterFile.toString());
    return env;
  }

  @Test
  @Timeout(180)
  void anEventPublishedOnOneNodeIsStoredThereAndDeliveredOnTheOther(@TempDir Path dir) throws Exception {
    Path clusterFile = io.fluxgate.testing.PlatformNode.privateClusterFile(dir);

    Node a = Await.result(Node.start(
        NodeSettings.from(new ConfigTree(new JsonObject(), env(dir, "a", clusterFile, "users"))), true),
        Duration.ofSeconds(90));
    Node b = null;
    try {
      b = Await.result(Node.start(
          NodeSettings.from(new ConfigTree(new JsonObject(), env(dir, "b", clusterFile, "things"))), true),
          Duration.ofSeconds(90));
      assertThat(a.vertx().isClustered()).isTrue();
      Queue<DomainEvent> onB = new ConcurrentLinkedQueue<>();
      Await.result(b.vertx().eventBus().<DomainEvent>consumer(Addresses.events("fluxgate.things"),
          m -> onB.add(m.body())).completion());

      DomainEvent created = DomainEvent.occurred("fluxgate.things", "thing.create", "a", 1, new JsonObject()
          .put("id", "thing-1").put("tags", new JsonArray().add("pump")).put("metadata", new JsonObject().put("x", 1)));
      // The subscription travels through Hazelcast; publish until it has arrived, then count what was stored.
      Await.until("the event on node b", Duration.ofSeconds(30), () -> {
        if (onB.isEmpty()) {
          a.eventLog().publisher().publish(created);
        }
        return !onB.isEmpty();
      });

      assertThat(onB.peek()).isEqualTo(created);
      assertThat(storedEvents(a)).as("stored by the publishing node, de-duplicated by event_id").isEqualTo(1);
      assertThat(storedEvents(b)).as("the receiving node appends nothing").isZero();
    } finally {
      if (b != null) {
        Await.result(b.stop(), Duration.ofSeconds(60));
      }
      Await.result(a.stop(), Duration.ofSeconds(60));
    }
  }

  private static long storedEvents(Node node) {
    return Await.result(node.database().inTransaction(conn -> conn.query("SELECT COUNT(*) AS n FROM events").execute()))
        .iterator().next().getLong("n");
  }
}
