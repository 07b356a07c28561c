package io.fluxgate.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.testing.Await;
import io.fluxgate.testing.MqttInbox;
import io.fluxgate.testing.PlatformNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiFunction;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A thing that loses its right on a channel stops receiving and publishing there as soon as the things API has
 * answered: after a disconnect, an update that takes {@code m_read} away, a channel disabled or removed, and for a
 * persistent session that comes back. Each proof that a message did not arrive is a later marker, published after
 * it by the same client on a channel still allowed, that arrives first.
 */
class MqttRevocationTest {

  @TempDir
  Path dataDir;

  PlatformNode platform;
  final List<MqttClient> clients = new ArrayList<>();
  final List<MqttAsyncClient> v5Clients = new ArrayList<>();

  @BeforeEach
  void start() {
    platform = PlatformNode.start(PlatformNode.env("revoking-node", dataDir, "users,things,mqtt",
        Map.of("FG_MQTT_INSTANCES", "2")), false);
  }

  @AfterEach
  void stop() throws Exception {
    for (MqttClient client : clients) {
      try {
        if (client.isConnected()) {
          client.disconnectForcibly(100, 100);
        }
        client.close(true);
      } catch (MqttException e) {
        // Closing what a test left behind.
      }
    }
    for (MqttAsyncClient client : v5Clients) {
      try {
        if (client.isConnected()) {
          client.disconnectForcibly(100, 100, false);
        }
        client.close(true);
      } catch (org.eclipse.paho.mqttv5.common.MqttException e) {
        // Closing what a test left behind.
      }
    }
    platform.close();
  }

  /** Two channels: the one a right will be taken from, and one that stays allowed for the markers. */
  record Channels(String revoked, String kept) {}

  Channels channels() {
    return new Channels(platform.channel("revoked"), platform.channel("kept"));
  }

  String thing(Channels channels, String... actions) {
    JsonObject thing = platform.thing("t-" + UUID.randomUUID().toString().substring(0, 6));
    platform.connect(thing.getString("id"), channels.revoked(), actions);
    platform.connect(thing.getString("id"), channels.kept(), actions);
    return thing.getString("id") + ":" + thing.getJsonObject("credentials").getString("secret");
  }

  static String topic(String channel) {
    return "channels/" + channel + "/messages";
  }

  MqttClient subscriber(String credentials, boolean clean, String clientId, MqttInbox inbox, Channels channels)
      throws MqttException {
    MqttClient client = new MqttClient("tcp://127.0.0.1:" + platform.port("mqtt"), clientId, new MemoryPersistence());
    clients.add(client);
    client.setCallback(inbox);
    String[] idKey = credentials.split(":");
    client.connect(MqttInbox.signIn(idKey[0], idKey[1], clean));
    client.subscribe(new String[] {topic(channels.revoked()), topic(channels.kept())}, new int[] {1, 1});
    return client;
  }

  MqttAsyncClient publisherV5(String credentials) throws Exception {
    MqttAsyncClient client = new MqttAsyncClient("tcp://127.0.0.1:" + platform.port("mqtt"),
        "pub-" + UUID.randomUUID().toString().substring(0, 8),
        new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
    v5Clients.add(client);
    String[] idKey = credentials.split(":");
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setUserName(idKey[0]);
    options.setPassword(idKey[1].getBytes(StandardCharsets.UTF_8));
    client.connect(options).waitForCompletion(10_000);
    return client;
  }

  /** Publishes at QoS 1 and answers the PUBACK's reason code. */
  static int publish(MqttAsyncClient client, String channel, String text) throws Exception {
    var token = client.publish(topic(channel), new MqttMessage(text.getBytes(StandardCharsets.UTF_8), 1, false, null));
    token.waitForCompletion(10_000);
    return token.getReasonCodes()[0];
  }

  HttpResponse<Buffer> things(io.vertx.ext.web.client.HttpRequest<Buffer> request, JsonObject body) {
    var authorized = request.bearerTokenAuthentication(platform.admin());
    return Await.result(body == null ? authorized.send() : authorized.sendJsonObject(body));
  }

  /**
   * The subscriber gets a message on each channel, the right is taken away (the API answers), the publisher
   * publishes on the revoked channel and then a marker on the kept one: the marker comes next, alone.
   */
  void revokingStopsDelivery(BiFunction<Channels, String, Integer> takeAway, String subscriberId) throws Exception {
    Channels channels = channels();
    String reader = thing(channels, "m_read");
    String writer = thing(channels, "m_write");
    MqttInbox inbox = new MqttInbox();
    subscriber(reader, true, subscriberId, inbox, channels);
    MqttAsyncClient publisher = publisherV5(writer);
    assertThat(publish(publisher, channels.revoked(), "before")).isZero();
    assertThat(inbox.nextText()).isEqualTo("before");

    int status = takeAway.apply(channels, reader.split(":")[0]);
    assertThat(status).as("the things API's answer").isBetween(200, 204);

    publish(publisher, channels.revoked(), "after the revocation");
    assertThat(publish(publisher, channels.kept(), "marker")).isZero();
    MqttInbox.Received next = inbox.next();
    assertThat(next.text()).as("the marker, published after the revoked message, comes first").isEqualTo("marker");
    // And the kept channel goes on as before.
    assertThat(publish(publisher, channels.kept(), "still here")).isZero();
    assertThat(inbox.nextText()).isEqualTo("still here");
  }

  @Test
  void aSubscriberDisconnectedFromTheChannelGetsNothingMoreFromItOnceTheApiAnswered() throws Exception {
    revokingStopsDelivery((channels, reader) -> things(platform.http.post(platform.port("things"), "127.0.0.1",
        "/disconnect"), new JsonObject().put("subjects", new JsonArray().add(reader))
            .put("objects", new JsonArray().add(channels.revoked()))).statusCode(), "disconnected-reader");
  }

  @Test
  void aSubscriberWhoseConnectionLosesReadGetsNothingMoreFromTheChannel() throws Exception {
    revokingStopsDelivery((channels, reader) -> things(platform.http.put(platform.port("things"), "127.0.0.1",
        "/policies"), new JsonObject().put("subject", reader).put("object", channels.revoked())
            .put("actions", new JsonArray().add("m_write"))).statusCode(), "downgraded-reader");
  }

  @Test
  void aSubscriptionDroppedWithADisabledChannelDoesNotComeBackWhenItIsEnabledAgain() throws Exception {
    revokingStopsDelivery((channels, reader) -> {
      int disabled = things(platform.http.post(platform.port("things"), "127.0.0.1",
          "/channels/" + channels.revoked() + "/disable"), null).statusCode();
      assertThat(disabled).isEqualTo(200);
      return things(platform.http.post(platform.port("things"), "127.0.0.1",
          "/channels/" + channels.revoked() + "/enable"), null).statusCode();
    }, "reader-of-disabled");
  }

  @Test
  void aPublisherDisconnectedFromTheChannelIsRefusedOnceTheApiAnswered() throws Exception {
    Channels channels = channels();
    String writer = thing(channels, "m_write");
    MqttAsyncClient publisher = publisherV5(writer);
    assertThat(publish(publisher, channels.revoked(), "allowed")).isZero();

    platform.disconnect(writer.split(":")[0], channels.revoked());
    assertThat(publish(publisher, channels.revoked(), "refused")).as("PUBACK not authorized").isEqualTo(0x87);
    assertThat(publish(publisher, channels.kept(), "still allowed")).isZero();
    assertThat(publisher.isConnected()).isTrue();
  }

  /**
   * A persistent session offline, with a message of the channel queued for it; the right is taken away; when the
   * device comes back, nothing of that channel, queued or new, comes before a marker on the kept channel.
   */
  void revokingDropsWhatWaitedForAnOfflineSession(BiFunction<Channels, String, Integer> takeAway, String clientId)
      throws Exception {
    Channels channels = channels();
    String reader = thing(channels, "m_read");
    String writer = thing(channels, "m_write");
    MqttClient away = subscriber(reader, false, clientId, new MqttInbox(), channels);
    away.disconnect();
    Await.until("the session offline", java.time.Duration.ofSeconds(10), () -> platform.eventsOf(
        "mqtt.client_disconnect").stream().anyMatch(e -> clientId.equals(e.fields().getString("client_id"))));

    MqttAsyncClient publisher = publisherV5(writer);
    assertThat(publish(publisher, channels.revoked(), "queued before the revocation")).isZero();
    assertThat(takeAway.apply(channels, reader.split(":")[0])).as("the things API's answer").isBetween(200, 204);

    MqttInbox back = new MqttInbox();
    MqttClient again = new MqttClient("tcp://127.0.0.1:" + platform.port("mqtt"), clientId, new MemoryPersistence());
    clients.add(again);
    again.setCallback(back);
    String[] idKey = reader.split(":");
    again.connect(MqttInbox.signIn(idKey[0], idKey[1], false));

    publish(publisher, channels.revoked(), "after the revocation");
    assertThat(publish(publisher, channels.kept(), "marker")).isZero();
    assertThat(back.nextText()).as("nothing of the revoked channel, queued or new, before the marker")
        .isEqualTo("marker");
  }

  @Test
  void aPersistentSessionComingBackAfterADisconnectGetsNothingOfThatChannel() throws Exception {
    revokingDropsWhatWaitedForAnOfflineSession((channels, reader) -> {
      platform.disconnect(reader, channels.revoked());
      return 204;
    }, "persistent-disconnected");
  }

  @Test
  void aPersistentSessionComingBackAfterItsChannelWasDisabledGetsNothingOfIt() throws Exception {
    revokingDropsWhatWaitedForAnOfflineSession((channels, reader) -> things(platform.http.post(
        platform.port("things"), "127.0.0.1", "/channels/" + channels.revoked() + "/disable"), null).statusCode(),
        "persistent-disabled");
  }

  @Test
  void aPersistentSessionComingBackAfterItsChannelWasRemovedGetsNothingOfIt() throws Exception {
    revokingDropsWhatWaitedForAnOfflineSession((channels, reader) -> things(platform.http.delete(
        platform.port("things"), "127.0.0.1", "/channels/" + channels.revoked()), null).statusCode(),
        "persistent-removed");
  }
}
