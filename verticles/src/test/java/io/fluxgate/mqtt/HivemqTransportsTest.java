package io.fluxgate.mqtt;

import static io.fluxgate.testing.HivemqClients.next;
import static io.fluxgate.testing.HivemqClients.signIn;
import static io.fluxgate.testing.HivemqClients.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.HivemqClients;
import io.fluxgate.testing.HivemqClients.Transport;
import io.fluxgate.testing.PlatformNode;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The HiveMQ MQTT 5 client over TCP, TLS, WebSocket and WSS: message properties and a shared subscription arrive the
 * same on each (the adapter sees packets, not transports). One node listens in plain text, another with a certificate.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HivemqTransportsTest {

  @TempDir
  static Path dataDir;

  SelfSignedCertificate certificate;
  Side plain;
  Side secure;
  HivemqClients clients;

  /** A node with a channel and two things on it, one reading, one writing. */
  record Side(PlatformNode platform, String channel, JsonObject reader, JsonObject writer) {
    static Side on(PlatformNode platform) {
      String channel = platform.channel("c");
      JsonObject reader = platform.thing("reader");
      JsonObject writer = platform.thing("writer");
      platform.connect(reader.getString("id"), channel, "m_read");
      platform.connect(writer.getString("id"), channel, "m_write");
      return new Side(platform, channel, reader, writer);
    }
  }

  @BeforeAll
  void start() throws Exception {
    certificate = SelfSignedCertificate.create("localhost");
    plain = Side.on(PlatformNode.start(PlatformNode.env("plain-node", dataDir.resolve("plain"), "users,things,mqtt",
        Map.of()), false));
    secure = Side.on(PlatformNode.start(PlatformNode.env("tls-node", dataDir.resolve("tls"), "users,things,mqtt",
        Map.of("FG_MQTT_TLS_CERT", certificate.certificatePath(), "FG_MQTT_TLS_KEY", certificate.privateKeyPath())),
        false));
  }

  @AfterEach
  void disconnect() {
    if (clients != null) {
      clients.close();
    }
  }

  @AfterAll
  void stop() {
    plain.platform().close();
    secure.platform().close();
    certificate.delete();
  }

  Side side(Transport transport) {
    return transport.tls() ? secure : plain;
  }

  HivemqClients clients(Transport transport) {
    PlatformNode platform = side(transport).platform();
    clients = new HivemqClients(transport, platform.port(transport.webSocket() ? "ws" : "mqtt"),
        transport.tls() ? certificate.certificatePath() : null);
    return clients;
  }

  static Mqtt5BlockingClient connected(HivemqClients clients, String clientId, JsonObject thing) {
    Mqtt5BlockingClient client = clients.client(clientId);
    signIn(client, thing.getString("id"), thing.getJsonObject("credentials").getString("secret")).send();
    return client;
  }

  static String topic(Side side, String subtopic) {
    return "channels/" + side.channel() + "/messages/" + subtopic;
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void everyPropertyOfAMessageArrivesAsPublished(Transport transport) throws Exception {
    Side side = side(transport);
    HivemqClients clients = clients(transport);
    String topic = topic(side, transport.name().toLowerCase() + "/props");
    Mqtt5BlockingClient subscriber = connected(clients, transport + "-reader", side.reader());
    Mqtt5BlockingClient.Mqtt5Publishes inbox = HivemqClients.inbox(subscriber);
    subscriber.subscribeWith().topicFilter(topic).qos(MqttQos.AT_LEAST_ONCE).send();

    connected(clients, transport + "-writer", side.writer()).publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE)
        .payload("{\"t\":21}".getBytes(StandardCharsets.UTF_8))
        .userProperties().add("site", "plant-1").add("site", "plant-2").applyUserProperties()
        .contentType("application/json").payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8)
        .responseTopic("channels/replies/messages/42").correlationData(new byte[] {1, 2, 3})
        .messageExpiryInterval(600)
        .send();

    Mqtt5Publish received = next(inbox);
    assertThat(text(received)).isEqualTo("{\"t\":21}");
    assertThat(received.getTopic().toString()).isEqualTo(topic);
    assertThat(received.getUserProperties().asList()).extracting(p -> p.getName().toString(),
        p -> p.getValue().toString()).containsExactly(tuple("site", "plant-1"), tuple("site", "plant-2"));
    assertThat(received.getContentType()).map(Object::toString).hasValue("application/json");
    assertThat(received.getPayloadFormatIndicator()).hasValue(Mqtt5PayloadFormatIndicator.UTF_8);
    assertThat(received.getResponseTopic()).map(Object::toString).hasValue("channels/replies/messages/42");
    assertThat(received.getCorrelationData()).hasValue(ByteBuffer.wrap(new byte[] {1, 2, 3}));
    assertThat(received.getMessageExpiryInterval().orElseThrow()).isBetween(595L, 600L);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void eachMessageOfASharedSubscriptionReachesOneMember(Transport transport) throws Exception {
    Side side = side(transport);
    HivemqClients clients = clients(transport);
    String subtopic = transport.name().toLowerCase() + "/shared";
    String shared = "$share/" + transport.name().toLowerCase() + "/" + topic(side, subtopic);
    Mqtt5BlockingClient.Mqtt5Publishes[] members = new Mqtt5BlockingClient.Mqtt5Publishes[2];
    for (int m = 0; m < members.length; m++) {
      Mqtt5BlockingClient member = connected(clients, transport + "-member-" + m, side.reader());
      members[m] = HivemqClients.inbox(member);
      member.subscribeWith().topicFilter(shared).qos(MqttQos.AT_LEAST_ONCE).send();
    }
    Mqtt5BlockingClient publisher = connected(clients, transport + "-writer", side.writer());
    int count = 20;
    for (int i = 0; i < count; i++) {
      publisher.publishWith().topic(topic(side, subtopic)).qos(MqttQos.AT_LEAST_ONCE)
          .payload(("m" + i).getBytes(StandardCharsets.UTF_8)).send();
    }

    Set<String> received = new HashSet<>();
    int[] perMember = new int[members.length];
    Await.until("every message at one member", Duration.ofSeconds(10), () -> {
      for (int m = 0; m < members.length; m++) {
        Mqtt5Publish publish;
        while ((publish = members[m].receiveNow().orElse(null)) != null) {
          assertThat(received.add(text(publish))).as("once only: " + text(publish)).isTrue();
          perMember[m]++;
        }
      }
      return received.size() == count;
    });
    assertThat(perMember).as("spread over the members").doesNotContain(0);
  }
}
