package io.fluxgate.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.testing.Await;
import io.fluxgate.testing.PlatformNode;
import io.fluxgate.testing.TestStores;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node with only the bootstrap role beside a node with users and things, clustered on a shared PostgreSQL: every
 * request bootstrap makes of the things service crosses the cluster wire (the UserRequest codec), and the things
 * events of the other node reach bootstrap's durable consumer.
 */
class ClusteredBootstrapTest {

  @Test
  @Timeout(240)
  void aBootstrapNodeWorksThroughTheThingsServiceOfAnotherNode(@TempDir Path dir) throws Exception {
    String shipped = Files.readString(Path.of("..", "cluster-config", "cluster.xml"));
    Path clusterFile = dir.resolve("cluster.xml");
    Files.writeString(clusterFile, shipped.replace("<cluster-name>fluxgate</cluster-name>",
        "<cluster-name>" + TestStores.unique("test-") + "</cluster-name>"));
    BootstrapPlatform.Backend backend = BootstrapPlatform.Backend.postgres();
    Map<String, String> shared = new HashMap<>(backend.env());
    shared.put("FG_CLUSTER_CONFIG", clusterFile.toString());
    shared.put("FG_ES_POLL_INTERVAL", "50ms");
    PlatformNode things = PlatformNode.start(PlatformNode.env("things-node", dir.resolve("a"), "users,things",
        shared), true);
    PlatformNode bootstrap = null;
    try {
      bootstrap = PlatformNode.start(PlatformNode.env("bootstrap-node", dir.resolve("b"), "bootstrap", shared), true);
      String admin = things.admin();
      String channel = things.channel("telemetry");
      int port = bootstrap.port("bootstrap");
      JsonObject request = new JsonObject().put("external_id", "clustered-1").put("external_key", "key-clustered-1")
          .put("channels", new JsonArray().add(channel)).put("name", "far away");
      PlatformNode b = bootstrap;
      // The things service's addresses travel through Hazelcast; ask until they have arrived.
      JsonObject[] created = new JsonObject[1];
      Await.until("a config created through the other node", Duration.ofSeconds(60), () -> {
        var response = Await.result(b.http.post(port, "127.0.0.1", "/things/configs").bearerTokenAuthentication(admin)
            .sendJsonObject(request));
        if (response.statusCode() == 201) {
          created[0] = response.bodyAsJsonObject();
        }
        return response.statusCode() == 201;
      });
      String thingId = created[0].getString("thing_id");
      assertThat(created[0].getJsonArray("channels").getJsonObject(0).getString("name")).isEqualTo("telemetry");
      var thing = Await.result(things.http.get(things.port("things"), "127.0.0.1", "/things/" + thingId)
          .bearerTokenAuthentication(admin).send());
      assertThat(thing.bodyAsJsonObject().getString("name")).isEqualTo("far away");

      var state = Await.result(b.http.put(port, "127.0.0.1", "/things/state/" + thingId)
          .bearerTokenAuthentication(admin).sendJsonObject(new JsonObject().put("state", 1)));
      assertThat(state.statusCode()).as(state.bodyAsString()).isEqualTo(204);
      var connected = Await.result(things.http.get(things.port("things"), "127.0.0.1", "/things/" + thingId
          + "/channels").bearerTokenAuthentication(admin).send());
      assertThat(connected.bodyAsJsonObject().getLong("total")).isEqualTo(1);

      assertThat(Await.result(things.http.delete(things.port("things"), "127.0.0.1", "/things/" + thingId)
          .bearerTokenAuthentication(admin).send()).statusCode()).isEqualTo(204);
      Await.until("the config removed by bootstrap's consumer", Duration.ofSeconds(30), () -> Await.result(
          b.http.get(port, "127.0.0.1", "/things/configs/" + thingId).bearerTokenAuthentication(admin).send())
          .statusCode() == 404);
    } finally {
      if (bootstrap != null) {
        bootstrap.close();
      }
      things.close();
      backend.cleanUp();
    }
  }
}
