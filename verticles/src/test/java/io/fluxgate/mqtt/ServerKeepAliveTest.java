package io.fluxgate.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.testing.Await;
import io.fluxgate.testing.PlatformNode;
import io.vertx.core.json.JsonObject;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MQTT 5 Server Keep Alive (mqtt.server_keep_alive): CONNACK says it, and the node times connections by it. */
class ServerKeepAliveTest {

  @TempDir
  Path dataDir;

  PlatformNode platform;
  JsonObject thing;

  @BeforeEach
  void start() {
    platform = PlatformNode.start(PlatformNode.env("keep-alive-node", dataDir, "users,things,mqtt",
        Map.of("FG_MQTT_SERVER_KEEP_ALIVE", "2s")), false);
    thing = platform.thing("keep-alive");
  }

  @AfterEach
  void stop() {
    platform.close();
  }

  private String key() {
    return thing.getJsonObject("credentials").getString("secret");
  }

  @Test
  void connackTellsAnMqtt5ClientTheServersKeepAliveAndTheConnectEventRecordsIt() throws Exception {
    MqttClient client = new MqttClient("tcp://127.0.0.1:" + platform.port("mqtt"), "ka-paho", new MemoryPersistence());
    try {
      MqttConnectionOptions options = new MqttConnectionOptions();
      options.setUserName(thing.getString("id"));
      options.setPassword(key().getBytes(StandardCharsets.UTF_8));
      options.setKeepAliveInterval(60);
      options.setAutomaticReconnect(false);
      var token = client.connectWithResult(options);
      assertThat(token.getResponseProperties().getServerKeepAlive()).isEqualTo(2);
      Await.until("the connect event", Duration.ofSeconds(10),
          () -> !platform.eventsOf("mqtt.client_connect").isEmpty());
      assertThat(platform.eventsOf("mqtt.client_connect").get(0).fields().getInteger("keep_alive")).isEqualTo(2);
    } finally {
      if (client.isConnected()) {
        client.disconnectForcibly(100, 100);
      }
      client.close(true);
    }
  }

  @Test
  void anMqtt5DeviceSilentForOneAndAHalfServerKeepAlivesIsDisconnected() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", platform.port("mqtt"))) {
      socket.setSoTimeout(20_000);
      // It asks for 10 minutes (closed after 15 without a packet); the node's 2 s apply (3 s), well within the 20 s
      // this socket waits for the end of the stream.
      socket.getOutputStream().write(RawPackets.connect(5, "ka-silent", thing.getString("id"), key(), 600));
      assertThat(RawPackets.skipPacket(socket.getInputStream())).as("CONNACK").isEqualTo(0x20);
      assertThat(socket.getInputStream().read()).as("end of stream: the node closed it").isEqualTo(-1);
    }
  }
}
