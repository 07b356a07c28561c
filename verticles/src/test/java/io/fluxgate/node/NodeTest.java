package io.fluxgate.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.config.ConfigTree;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.TestStores;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole node on the embedded defaults: its APIs answer /health, metrics are served, stop loses nothing. */
class NodeTest {

  private static Map<String, String> env(Path dataDir, int metricsPort) {
    Map<String, String> env = new HashMap<>();
    env.put("FG_DATA_DIR", dataDir.toString());
    env.put("FG_USERS_HTTP_PORT", "0");
    env.put("FG_THINGS_HTTP_PORT", "0");
    env.put("FG_BOOTSTRAP_HTTP_PORT", "0");
    env.put("FG_HTTP_ADAPTER_PORT", "0");
    env.put("FG_MQTT_PORT", "0");
    env.put("FG_MQTT_WS_PORT", "0");
    env.put("FG_NODE_HOST", "127.0.0.1");
    env.put("FG_METRICS_HOST", "127.0.0.1");
    env.put("FG_METRICS_PORT", String.valueOf(metricsPort));
    return env;
  }

  @Test
  void servesHealthOnEveryApiAndMetricsThenStopsWithEveryEventStored(@TempDir Path dataDir) throws Exception {
    int metricsPort = TestStores.freePort();
    NodeSettings settings = NodeSettings.from(new ConfigTree(new JsonObject(), env(dataDir, metricsPort)));
    Node node = Await.result(Node.start(settings, false));
    Vertx client = Vertx.vertx();
    try {
      WebClient web = WebClient.create(client);
      assertThat(node.listening()).hasSize(6).anyMatch(line -> line.startsWith("MQTT on tcp://"));
      for (String line : node.listening()) {
        if (line.contains("API")) {
          int port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1));
          var response = Await.result(web.get(port, "127.0.0.1", "/health").send());
          assertThat(response.statusCode()).isEqualTo(200);
          assertThat(response.getHeader("Content-Type")).isEqualTo("application/health+json");
          JsonObject health = response.bodyAsJsonObject();
          assertThat(health.getString("status")).isEqualTo("pass");
          assertThat(health.getString("description")).endsWith(" service");
          assertThat(health.fieldNames()).contains("version", "commit", "build_time");
        }
      }
      var metrics = Await.result(web.get(metricsPort, "127.0.0.1", "/metrics").send());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.bodyAsString()).contains("vertx_http_server", "fluxgate_events_appended_total",
          "fluxgate_events_retry_buffered", "fluxgate_mqtt_connections", "fluxgate_mqtt_messages_in_total");

      // Published right before the stop: the stop waits for their appends instead of cutting them off.
      for (int i = 0; i < 500; i++) {
        node.eventLog().publisher().publish(DomainEvent.occurred("fluxgate.things", "thing.view", "n1",
            DomainEvent.NO_REVISION, new JsonObject().put("id", "thing-" + i)));
      }
    } finally {
      Await.result(node.stop());
      Await.result(client.close());
    }

    try (var conn = java.sql.DriverManager.getConnection("jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("fluxgate")
            + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE", "sa", TestStores.embeddedPassword(dataDir));
        ResultSet rows = conn.createStatement().executeQuery("SELECT COUNT(*) FROM events")) {
      rows.next();
      assertThat(rows.getLong(1)).isEqualTo(500);
    }
  }
}
