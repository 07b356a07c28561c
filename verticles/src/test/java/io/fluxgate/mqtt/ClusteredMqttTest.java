package io.fluxgate.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.testing.Await;
import io.fluxgate.testing.MqttInbox;
import io.fluxgate.testing.PlatformNode;
import io.fluxgate.testing.TestStores;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes in one Hazelcast cluster (the shipped file): node A runs users, things and MQTT; node B runs MQTT
 * only. A device on A reaches a subscriber on B, B authenticating its devices through A's things service, and a
 * retained message published on A is served to a late subscriber on B; a right taken away on A is gone on B once
 * A's API has answered.
 */
class ClusteredMqttTest {

  /** What a test does with node A (users, things, MQTT) and node B (MQTT only) of one cluster. */
  interface TwoNodes {
    void run(PlatformNode a, PlatformNode b) throws Exception;
  }

  /** Starts nodes A and B in a cluster of this test's own, runs {@code test}, then stops them. */
  static void inCluster(Path dir, TwoNodes test) throws Exception {
    Map<String, String> cluster = cluster(dir);
    try (PlatformNode a = PlatformNode.start(PlatformNode.env("node-a", dir.resolve("a"), "users,things,mqtt",
        cluster), true)) {
      try (PlatformNode b = PlatformNode.start(PlatformNode.env("node-b", dir.resolve("b"), "mqtt", cluster), true)) {
        test.run(a, b);
      }
    }
  }

  /** The settings of a node in a cluster of this test's own (the shipped file, a unique cluster name). */
  static Map<String, String> cluster(Path dir) throws java.io.IOException {
    String shipped = Files.readString(Path.of("..", "cluster-config", "cluster.xml"));
    Path clusterFile = dir.resolve("cluster.xml");
    Files.writeString(clusterFile, shipped.replace("<cluster-name>fluxgate</cluster-name>",
        "<cluster-name>" + TestStores.unique("mqtt-") + "</cluster-name>"));
    return Map.of("FG_CLUSTER_CONFIG", clusterFile.toString(), "FG_MQTT_INSTANCES", "2");
  }

  @Test
  @Timeout(180)
  void aDeviceOnOneNodeReachesASubscriberOnTheOther(@TempDir Path dir) throws Exception {
    inCluster(dir, (a, b) -> {
      String channel = a.channel("plant");
      JsonObject sensor = a.thing("sensor");
      JsonObject display = a.thing("display");
      a.connect(sensor.getString("id"), channel, "m_write");
      a.connect(display.getString("id"), channel, "m_read");
      String topic = "channels/" + channel + "/messages/temp";

      MqttClient publisher = new MqttClient("tcp://127.0.0.1:" + a.port("mqtt"), "sensor-on-a",
          new MemoryPersistence());
      publisher.connect(MqttInbox.signIn(sensor));
      publisher.publish(topic, "retained-on-a".getBytes(StandardCharsets.UTF_8), 1, true);

      MqttClient subscriber = new MqttClient("tcp://127.0.0.1:" + b.port("mqtt"), "display-on-b",
          new MemoryPersistence());
      MqttInbox received = MqttInbox.of(subscriber);
      subscriber.connect(MqttInbox.signIn(display));
      subscriber.subscribe("channels/" + channel + "/messages/#", 1);
      assertThat(received.nextText()).as("the retained message, kept cluster-wide").isEqualTo("retained-on-a");

      // SUBACK comes once node B listens on the channel's address cluster-wide: no message is lost after it.
      for (int i = 0; i < 20; i++) {
        publisher.publish(topic, ("from-a-" + i).getBytes(StandardCharsets.UTF_8), 1, false);
      }
      for (int i = 0; i < 20; i++) {
        assertThat(received.nextText()).isEqualTo("from-a-" + i);
      }
      // MQTT 5 properties cross the cluster inside the message: user properties and the expiry counted down.
      var v5Display = new org.eclipse.paho.mqttv5.client.MqttAsyncClient("tcp://127.0.0.1:" + b.port("mqtt"),
          "display-v5-on-b", new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
      Mqtt5FeaturesTest.Inbox v5Received = new Mqtt5FeaturesTest.Inbox();
      v5Display.setCallback(v5Received);
      var v5Options = new org.eclipse.paho.mqttv5.client.MqttConnectionOptions();
      v5Options.setUserName(display.getString("id"));
      v5Options.setPassword(display.getJsonObject("credentials").getString("secret")
          .getBytes(StandardCharsets.UTF_8));
      v5Display.connect(v5Options).waitForCompletion(10_000);
      String v5Topic = "channels/" + channel + "/messages/v5";
      v5Display.subscribe(v5Topic, 1).waitForCompletion(10_000);
      var v5Sensor = new org.eclipse.paho.mqttv5.client.MqttAsyncClient("tcp://127.0.0.1:" + a.port("mqtt"),
          "sensor-v5-on-a", new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
      var sensorOptions = new org.eclipse.paho.mqttv5.client.MqttConnectionOptions();
      sensorOptions.setUserName(sensor.getString("id"));
      sensorOptions.setPassword(sensor.getJsonObject("credentials").getString("secret")
          .getBytes(StandardCharsets.UTF_8));
      v5Sensor.connect(sensorOptions).waitForCompletion(10_000);
      var properties = new org.eclipse.paho.mqttv5.common.packet.MqttProperties();
      properties.setUserProperties(java.util.List.of(new org.eclipse.paho.mqttv5.common.packet.UserProperty("unit",
          "°C")));
      properties.setContentType("text/plain");
      properties.setMessageExpiryInterval(600L);
      v5Sensor.publish(v5Topic, new org.eclipse.paho.mqttv5.common.MqttMessage("21".getBytes(StandardCharsets.UTF_8),
          1, false, properties)).waitForCompletion(10_000);
      var crossed = v5Received.assertNextIs("21").message();
      assertThat(crossed.getProperties().getUserProperties().get(0).getValue()).isEqualTo("°C");
      assertThat(crossed.getProperties().getContentType()).isEqualTo("text/plain");
      assertThat(crossed.getProperties().getMessageExpiryInterval()).isBetween(1L, 600L);
      v5Sensor.disconnect().waitForCompletion(10_000);
      v5Display.disconnect().waitForCompletion(10_000);
      v5Sensor.close();
      v5Display.close();

      Await.until("the display's connect event from node B", Duration.ofSeconds(10),
          () -> b.eventsOf("mqtt.client_connect").stream().anyMatch(e -> e.instance().equals("node-b")
              && e.fields().getString("thing_id").equals(display.getString("id"))));
      publisher.disconnect();
      subscriber.disconnect();
      publisher.close();
      subscriber.close();
    });
  }


  @Test
  @Timeout(180)
  void aThingDisconnectedOnOneNodeStopsReceivingAndPublishingOnTheOther(@TempDir Path dir) throws Exception {
    inCluster(dir, (a, b) -> {
      String revoked = a.channel("revoked");
      String kept = a.channel("kept");
      JsonObject sensor = a.thing("sensor");
      JsonObject display = a.thing("display");
      for (String channel : new String[] {revoked, kept}) {
        a.connect(sensor.getString("id"), channel, "m_write");
        a.connect(display.getString("id"), channel, "m_read", "m_write");
      }
      MqttClient publisher = new MqttClient("tcp://127.0.0.1:" + a.port("mqtt"), "sensor-on-a",
          new MemoryPersistence());
      publisher.connect(MqttInbox.signIn(sensor));
      MqttClient subscriber = new MqttClient("tcp://127.0.0.1:" + b.port("mqtt"), "display-on-b",
          new MemoryPersistence());
      MqttInbox received = MqttInbox.of(subscriber);
      subscriber.connect(MqttInbox.signIn(display));
      subscriber.subscribe(new String[] {"channels/" + revoked + "/messages", "channels/" + kept + "/messages"},
          new int[] {1, 1});
      publisher.publish("channels/" + revoked + "/messages", "before".getBytes(StandardCharsets.UTF_8), 1, false);
      assertThat(received.nextText()).isEqualTo("before");
      var displayV5 = new org.eclipse.paho.mqttv5.client.MqttAsyncClient("tcp://127.0.0.1:" + b.port("mqtt"),
          "display-v5-on-b", new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
      var options = new org.eclipse.paho.mqttv5.client.MqttConnectionOptions();
      options.setUserName(display.getString("id"));
      options.setPassword(display.getJsonObject("credentials").getString("secret")
          .getBytes(StandardCharsets.UTF_8));
      displayV5.connect(options).waitForCompletion(10_000);
      assertThat(publishV5(displayV5, revoked, "allowed")).isZero();
      assertThat(received.nextText()).isEqualTo("allowed");

      a.disconnect(display.getString("id"), revoked);

      // Messages from A follow the committed copy of the event over the same bus connection: none passes. A
      // device's own packet to B races with that copy (docs/mqtt.md): it is refused once the copy is there.
      Await.until("PUBACK not authorized on node B", Duration.ofSeconds(5), () -> {
        try {
          return publishV5(displayV5, revoked, "refused") == 0x87;
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      publisher.publish("channels/" + revoked + "/messages", "after".getBytes(StandardCharsets.UTF_8), 1, false);
      publisher.publish("channels/" + kept + "/messages", "marker".getBytes(StandardCharsets.UTF_8), 1, false);
      assertThat(received.nextText()).as("the marker, published after the revoked message, comes first")
          .isEqualTo("marker");
      displayV5.disconnect().waitForCompletion(10_000);
      displayV5.close();
      publisher.disconnect();
      subscriber.disconnect();
      publisher.close();
      subscriber.close();
    });
  }

  @Test
  @Timeout(180)
  void twoMembersOfASharedSubscriptionOnTwoNodesSplitTheChannelsMessagesWithNoneLostOrDoubled(@TempDir Path dir)
      throws Exception {
    inCluster(dir, (a, b) -> {
      String channel = a.channel("plant");
      JsonObject sensor = a.thing("sensor");
      JsonObject consumer = a.thing("consumer");
      a.connect(sensor.getString("id"), channel, "m_write");
      a.connect(consumer.getString("id"), channel, "m_read");
      String share = "$share/workers/channels/" + channel + "/messages/#";
      MqttClient onA = new MqttClient("tcp://127.0.0.1:" + a.port("mqtt"), "worker-on-a", new MemoryPersistence());
      MqttInbox fromA = MqttInbox.of(onA);
      onA.connect(MqttInbox.signIn(consumer));
      onA.subscribe(share, 1);
      MqttClient onB = new MqttClient("tcp://127.0.0.1:" + b.port("mqtt"), "worker-on-b", new MemoryPersistence());
      MqttInbox fromB = MqttInbox.of(onB);
      onB.connect(MqttInbox.signIn(consumer));
      onB.subscribe(share, 1);

      MqttClient publisher = new MqttClient("tcp://127.0.0.1:" + a.port("mqtt"), "sensor-on-a",
          new MemoryPersistence());
      publisher.connect(MqttInbox.signIn(sensor));
      int count = 40;
      for (int i = 0; i < count; i++) {
        publisher.publish("channels/" + channel + "/messages/t", ("m" + i).getBytes(StandardCharsets.UTF_8), 1,
            false);
      }
      java.util.Set<String> received = new java.util.HashSet<>();
      int[] perNode = new int[2];
      Await.until("every message at one of the two", Duration.ofSeconds(20), () -> {
        MqttInbox.Received r;
        while ((r = fromA.messages.poll()) != null) {
          assertThat(received.add(r.text())).as("once only: " + r.text()).isTrue();
          perNode[0]++;
        }
        while ((r = fromB.messages.poll()) != null) {
          assertThat(received.add(r.text())).as("once only: " + r.text()).isTrue();
          perNode[1]++;
        }
        return received.size() == count;
      });
      assertThat(perNode).as("both nodes' members got some").doesNotContain(0);
      publisher.disconnect();
      onA.disconnect();
      onB.disconnect();
      publisher.close();
      onA.close();
      onB.close();
    });
  }

  private static int publishV5(org.eclipse.paho.mqttv5.client.MqttAsyncClient client, String channel, String text)
      throws Exception {
    var token = client.publish("channels/" + channel + "/messages", new org.eclipse.paho.mqttv5.common.MqttMessage(
        text.getBytes(StandardCharsets.UTF_8), 1, false, null));
    token.waitForCompletion(10_000);
    return token.getReasonCodes()[0];
  }
}
