package io.fluxgate.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.testing.Await;
import io.fluxgate.testing.MqttInbox;
import io.fluxgate.testing.PlatformNode;
import io.fluxgate.testing.TestStores;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node in its own process with a small open-file limit ({@code ulimit -n}): sockets are opened until the
 * process has no descriptor left. It must keep serving the sessions it has, refuse what it cannot take, and accept
 * again once descriptors are free.
 */
class DescriptorExhaustionTest {

  private static final int FILE_LIMIT = 300;

  @Test
  @Timeout(240)
  void keepsServingOpenSessionsWhenOutOfDescriptorsAndAcceptsAgainOnceSomeClose(@TempDir Path dir) throws Exception {
    int usersPort = TestStores.freePort();
    int thingsPort = TestStores.freePort();
    int mqttPort = TestStores.freePort();
    Path log = dir.resolve("node.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder = new ProcessBuilder("bash", "-c", "ulimit -n " + FILE_LIMIT + " && exec " + java
        + " -Xmx256m -cp " + System.getProperty("java.class.path") + " io.fluxgate.node.Fluxgate serve")
        .redirectErrorStream(true).redirectOutput(log.toFile());
    // The polite limit off: this test is about the descriptors themselves running out.
    builder.environment().putAll(PlatformNode.env("fd-node", dir.resolve("data"), "users,things,mqtt", Map.of(
        "FG_DB_URL", "", "FG_USERS_HTTP_PORT", String.valueOf(usersPort), "FG_THINGS_HTTP_PORT",
        String.valueOf(thingsPort), "FG_MQTT_PORT", String.valueOf(mqttPort), "FG_MQTT_WS_PORT", "-1",
        "FG_MQTT_INSTANCES", "2", "FG_MQTT_MAX_CONNECTIONS", "100000", "FG_MQTT_CONNECT_TIMEOUT", "60s")));
    Process node = builder.start();
    Vertx vertx = Vertx.vertx();
    List<Socket> filler = new ArrayList<>();
    List<MqttClient> clients = new ArrayList<>();
    try {
      Await.until("the node listening", Duration.ofSeconds(60), () -> readLog(log).contains("MQTT on tcp://"));
      JsonObject device = provision(WebClient.create(vertx), usersPort, thingsPort);
      String topic = "channels/" + device.getString("channel") + "/messages/probe";

      MqttClient subscriber = client(mqttPort, "held-subscriber", clients);
      MqttInbox received = MqttInbox.of(subscriber);
      subscriber.connect(options(device));
      subscriber.subscribe(topic, 1);
      MqttClient publisher = client(mqttPort, "held-publisher", clients);
      publisher.connect(options(device));

      // Fill every descriptor the node has with idle sockets (no CONNECT), and then some.
      for (int i = 0; i < FILE_LIMIT + 50; i++) {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", mqttPort), 2000);
        filler.add(socket);
      }
      Await.until("the node out of descriptors", Duration.ofSeconds(30),
          () -> readLog(log).contains("Too many open files"));
      // A new session now finds no descriptor: it waits in the listen backlog or times out, never crashes the node.
      MqttClient whileFull = client(mqttPort, "while-full", clients);
      MqttConnectOptions quick = options(device);
      quick.setConnectionTimeout(3);
      try {
        whileFull.connect(quick);
      } catch (MqttException e) {
        // Refused for want of a descriptor: expected while full.
      }

      // The sessions it has go on.
      publisher.publish(topic, "still-served".getBytes(StandardCharsets.UTF_8), 1, false);
      assertThat(received.nextText()).isEqualTo("still-served");

      // Free some descriptors: new sessions are accepted again.
      for (Socket socket : filler) {
        socket.close();
      }
      filler.clear();
      MqttClient later = client(mqttPort, "after-release", clients);
      Await.until("a new session after descriptors were freed", Duration.ofSeconds(30), () -> {
        try {
          if (!later.isConnected()) {
            later.connect(quick);
          }
          return true;
        } catch (MqttException e) {
          return false;
        }
      });
      later.publish(topic, "accepted-again".getBytes(StandardCharsets.UTF_8), 1, false);
      assertThat(received.nextText()).isEqualTo("accepted-again");
      assertThat(node.isAlive()).isTrue();
    } finally {
      for (Socket socket : filler) {
        socket.close();
      }
      for (MqttClient client : clients) {
        try {
          client.disconnectForcibly(100, 100);
        } catch (MqttException e) {
          // Already gone.
        }
        client.close(true);
      }
      node.destroy();
      node.waitFor(30, TimeUnit.SECONDS);
      node.destroyForcibly();
      Await.result(vertx.close());
    }
  }

  private static String readLog(Path log) {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static JsonObject provision(WebClient web, int usersPort, int thingsPort) {
    String token = Await.result(web.post(usersPort, "127.0.0.1", "/users/tokens/issue").sendJsonObject(
        new JsonObject().put("identity", "admin@example.com").put("secret", "admin-secret-1")))
        .bodyAsJsonObject().getString("access_token");
    JsonObject thing = Await.result(web.post(thingsPort, "127.0.0.1", "/things").bearerTokenAuthentication(token)
        .sendJsonObject(new JsonObject().put("name", "probe"))).bodyAsJsonObject();
    String channel = Await.result(web.post(thingsPort, "127.0.0.1", "/channels").bearerTokenAuthentication(token)
        .sendJsonObject(new JsonObject().put("name", "probe"))).bodyAsJsonObject().getString("id");
    var connected = Await.result(web.post(thingsPort, "127.0.0.1", "/connect").bearerTokenAuthentication(token)
        .sendJsonObject(new JsonObject().put("subjects", new JsonArray().add(thing.getString("id")))
            .put("objects", new JsonArray().add(channel))));
    assertThat(connected.statusCode()).isEqualTo(201);
    return new JsonObject().put("id", thing.getString("id"))
        .put("key", thing.getJsonObject("credentials").getString("secret")).put("channel", channel);
  }

  private static MqttClient client(int port, String id, List<MqttClient> clients) throws MqttException {
    MqttClient client = new MqttClient("tcp://127.0.0.1:" + port, id, new MemoryPersistence());
    clients.add(client);
    return client;
  }

  private static MqttConnectOptions options(JsonObject device) {
    return MqttInbox.signIn(device.getString("id"), device.getString("key"), true);
  }

}
