package io.fluxgate.mqtt;

import static io.fluxgate.testing.HivemqClients.assertNextIs;
import static io.fluxgate.testing.HivemqClients.inbox;
import static io.fluxgate.testing.HivemqClients.next;
import static io.fluxgate.testing.HivemqClients.signIn;
import static io.fluxgate.testing.HivemqClients.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientConnectionConfig;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubAckException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5PubRecException;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5SubAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckRestrictions;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.pubrec.Mqtt5PubRecReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.Mqtt5RetainHandling;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.HivemqClients;
import io.fluxgate.testing.PlatformNode;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MQTT 5 with the HiveMQ client, which checks every packet the server sends against the standard and against the
 * limits it announced (a server breaking them is disconnected by the client, and the test fails): CONNACK
 * restrictions, message properties, expiry, subscription options, the client's Receive Maximum and Maximum Packet
 * Size, topic aliases up to the server's maximum, shared subscriptions, wills, and the reason codes of refusals.
 * What Paho already proves the same way ({@link Mqtt5FeaturesTest}) is not repeated. The client sets topic aliases
 * on its own (up to 16 by default), so every test here also relies on the server resolving them. Subscription
 * identifiers are not tested here: the client assigns its own and does not show those the server sends.
 */
class HivemqClientTest {

  static final long MAX_SESSION_EXPIRY_SECONDS = 7200;

  @TempDir
  Path dataDir;

  PlatformNode platform;
  HivemqClients clients;
  String channel;
  Device reader;
  Device writer;

  record Device(String id, String key) {}

  @BeforeEach
  void start() {
    platform = PlatformNode.start(PlatformNode.env("hivemq-node", dataDir, "users,things,mqtt",
        Map.of("FG_MQTT_MAX_MESSAGE_SIZE", "65536", "FG_MQTT_INSTANCES", "2")), false);
    clients = new HivemqClients(HivemqClients.Transport.TCP, platform.port("mqtt"), null);
    channel = platform.channel("c");
    reader = device("m_read");
    writer = device("m_write");
  }

  @AfterEach
  void stop() {
    clients.close();
    platform.close();
  }

  Device device(String... actions) {
    JsonObject thing = platform.thing("t-" + UUID.randomUUID().toString().substring(0, 6));
    platform.connect(thing.getString("id"), channel, actions);
    return new Device(thing.getString("id"), thing.getJsonObject("credentials").getString("secret"));
  }

  String topic(String subtopic) {
    return "channels/" + channel + "/messages" + (subtopic.isEmpty() ? "" : "/" + subtopic);
  }

  /** A client of {@code device} connected with a clean session and nothing asked. */
  Mqtt5BlockingClient connected(Device device, String clientId) {
    Mqtt5BlockingClient client = clients.client(clientId);
    signIn(client, device.id(), device.key()).send();
    return client;
  }

  /** A connected client of {@code device} with its inbox, subscribed to {@code filter} at QoS 2. */
  Mqtt5BlockingClient.Mqtt5Publishes subscribed(Device device, String clientId, String filter) {
    Mqtt5BlockingClient client = connected(device, clientId);
    Mqtt5BlockingClient.Mqtt5Publishes inbox = inbox(client);
    client.subscribeWith().topicFilter(filter).qos(MqttQos.EXACTLY_ONCE).send();
    return inbox;
  }

  static void publish(Mqtt5BlockingClient client, String topic, String text, MqttQos qos) {
    client.publishWith().topic(topic).qos(qos).payload(text.getBytes(StandardCharsets.UTF_8)).send();
  }

  static void assertDescribed(Mqtt5Publish publish) {
    assertThat(publish.getUserProperties().asList())
        .extracting(p -> p.getName().toString(), p -> p.getValue().toString())
        .containsExactly(tuple("site", "plant-1"), tuple("site", "plant-2"), tuple("unit", "°C"));
    assertThat(publish.getContentType()).map(Object::toString).hasValue("application/json");
    assertThat(publish.getPayloadFormatIndicator()).hasValue(Mqtt5PayloadFormatIndicator.UTF_8);
    assertThat(publish.getResponseTopic()).map(Object::toString).hasValue("channels/replies/messages/42");
    assertThat(publish.getCorrelationData()).hasValue(ByteBuffer.wrap(new byte[] {1, 2, 3}));
  }

  // ---- CONNACK ----

  @Test
  void theClientAppliesTheRestrictionsAndTheShorterSessionExpiryTheServerAnnouncesInConnack() {
    Mqtt5BlockingClient client = clients.client("restricted");
    // The client asks for more than the server allows in each respect; CONNACK must bring it down.
    Mqtt5ConnAck connack = signIn(client, reader.id(), reader.key()).cleanStart(true)
        .sessionExpiryInterval(MAX_SESSION_EXPIRY_SECONDS * 10)
        .restrictions().sendMaximum(65_535).sendMaximumPacketSize(268_435_460).sendTopicAliasMaximum(1000)
        .applyRestrictions().send();

    Mqtt5ConnAckRestrictions restrictions = connack.getRestrictions();
    assertThat(restrictions.getReceiveMaximum()).isEqualTo(DeviceConnection.RECEIVE_MAXIMUM);
    assertThat(restrictions.getMaximumPacketSize()).isEqualTo(65536);
    assertThat(restrictions.getTopicAliasMaximum()).isEqualTo(DeviceConnection.TOPIC_ALIAS_MAXIMUM);
    assertThat(restrictions.getMaximumQos()).isEqualTo(MqttQos.EXACTLY_ONCE);
    assertThat(restrictions.isRetainAvailable()).isTrue();
    assertThat(restrictions.isWildcardSubscriptionAvailable()).isTrue();
    assertThat(restrictions.isSharedSubscriptionAvailable()).isTrue();
    assertThat(restrictions.areSubscriptionIdentifiersAvailable()).isTrue();
    assertThat(connack.getSessionExpiryInterval()).as("the node keeps sessions for less than asked")
        .hasValue(MAX_SESSION_EXPIRY_SECONDS);
    assertThat(connack.getServerKeepAlive()).as("the client's keep-alive is used").isEmpty();
    assertThat(connack.getAssignedClientIdentifier()).as("it sent one").isEmpty();

    Mqtt5ClientConnectionConfig applied = client.getConfig().getConnectionConfig().orElseThrow();
    assertThat(applied.getSessionExpiryInterval()).isEqualTo(MAX_SESSION_EXPIRY_SECONDS);
    assertThat(applied.getRestrictionsForClient().getSendMaximum()).isEqualTo(DeviceConnection.RECEIVE_MAXIMUM);
    assertThat(applied.getRestrictionsForClient().getSendMaximumPacketSize()).isEqualTo(65536);
    assertThat(applied.getRestrictionsForClient().getSendTopicAliasMaximum())
        .isEqualTo(DeviceConnection.TOPIC_ALIAS_MAXIMUM);
  }

  @Test
  void aClientThatSendsNoIdentifierIsAssignedOneAndGoesOnWithIt() {
    Mqtt5BlockingClient client = clients.client(null);
    Mqtt5ConnAck connack = signIn(client, reader.id(), reader.key()).send();
    String assigned = connack.getAssignedClientIdentifier().orElseThrow().toString();
    assertThat(assigned).startsWith("fg-");
    assertThat(client.getConfig().getClientIdentifier()).map(Object::toString).hasValue(assigned);
    Await.until("the connect event with the assigned id", Duration.ofSeconds(10), () -> platform.eventsOf(
        "mqtt.client_connect").stream().anyMatch(e -> assigned.equals(e.fields().getString("client_id"))));
  }

  // ---- message properties and expiry ----

  @Test
  void everyPropertyOfAMessageReachesTheSubscriberAtEachQos() throws Exception {
    Mqtt5BlockingClient.Mqtt5Publishes inbox = subscribed(reader, "reader", topic("#"));
    Mqtt5BlockingClient publisher = connected(writer, "writer");
    for (MqttQos qos : MqttQos.values()) {
      publisher.publishWith().topic(topic("temp")).qos(qos).payload(("{\"qos\":" + qos.getCode() + "}")
              .getBytes(StandardCharsets.UTF_8))
          .userProperties().add("site", "plant-1").add("site", "plant-2").add("unit", "°C").applyUserProperties()
          .contentType("application/json").payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8)
          .responseTopic("channels/replies/messages/42").correlationData(new byte[] {1, 2, 3})
          .messageExpiryInterval(600)
          .send();
      Mqtt5Publish received = next(inbox);
      assertThat(text(received)).isEqualTo("{\"qos\":" + qos.getCode() + "}");
      assertThat(received.getQos()).isEqualTo(qos);
      assertDescribed(received);
      assertThat(received.getMessageExpiryInterval().orElseThrow()).as("what is left of it").isBetween(595L, 600L);
    }
  }

  @Test
  void aMessagePastItsExpiryIsDroppedFromAnOfflineSessionAndTheOtherArrivesWithWhatIsLeft() throws Exception {
    Mqtt5BlockingClient away = clients.client("away");
    signIn(away, reader.id(), reader.key()).cleanStart(true).sessionExpiryInterval(300).send();
    away.subscribeWith().topicFilter(topic("")).qos(MqttQos.AT_LEAST_ONCE).send();
    away.disconnect();

    Mqtt5BlockingClient publisher = connected(writer, "writer");
    publisher.publishWith().topic(topic("")).qos(MqttQos.AT_LEAST_ONCE).payload("short".getBytes(StandardCharsets.UTF_8))
        .messageExpiryInterval(1).send();
    publisher.publishWith().topic(topic("")).qos(MqttQos.AT_LEAST_ONCE).payload("long".getBytes(StandardCharsets.UTF_8))
        .messageExpiryInterval(60).send();
    long published = System.nanoTime();
    // Time itself must pass: the device comes back after the first message's interval.
    Await.until("1.2 s since publishing", Duration.ofSeconds(5), () -> System.nanoTime() - published > 1_200_000_000L);

    Mqtt5BlockingClient back = clients.client("away");
    Mqtt5BlockingClient.Mqtt5Publishes inbox = inbox(back);
    assertThat(signIn(back, reader.id(), reader.key()).cleanStart(false).sessionExpiryInterval(300).send()
        .isSessionPresent()).isTrue();
    Mqtt5Publish received = assertNextIs(inbox, "long");
    assertThat(received.getMessageExpiryInterval().orElseThrow()).as("counted down by the time it waited").isBetween(1L, 59L);
  }

  // ---- subscription options ----

  @Test
  void noLocalKeepsAClientsOwnMessagesFromItsSubscription() throws Exception {
    Device both = device("m_read", "m_write");
    Mqtt5BlockingClient talker = connected(both, "talker");
    Mqtt5BlockingClient.Mqtt5Publishes inbox = inbox(talker);
    talker.subscribeWith().topicFilter(topic("")).qos(MqttQos.AT_LEAST_ONCE).noLocal(true).send();
    publish(talker, topic(""), "my own", MqttQos.AT_LEAST_ONCE);
    publish(connected(writer, "other"), topic(""), "from another", MqttQos.AT_LEAST_ONCE);
    assertNextIs(inbox, "from another");
  }

  @Test
  void retainAsPublishedKeepsTheRetainFlagOnALiveDeliveryAndOthersGetItCleared() throws Exception {
    Mqtt5BlockingClient keeping = connected(reader, "keeping");
    Mqtt5BlockingClient.Mqtt5Publishes kept = inbox(keeping);
    keeping.subscribeWith().topicFilter(topic("")).qos(MqttQos.AT_LEAST_ONCE).retainAsPublished(true).send();
    Mqtt5BlockingClient.Mqtt5Publishes plain = subscribed(reader, "plain", topic(""));

    connected(writer, "writer").publishWith().topic(topic("")).qos(MqttQos.AT_LEAST_ONCE).retain(true)
        .payload("retained".getBytes(StandardCharsets.UTF_8)).send();
    assertThat(assertNextIs(kept, "retained").isRetain()).isTrue();
    assertThat(assertNextIs(plain, "retained").isRetain()).isFalse();
  }

  @Test
  void retainHandlingDecidesWhetherASubscribeBringsTheRetainedMessage() throws Exception {
    Mqtt5BlockingClient publisher = connected(writer, "writer");
    publisher.publishWith().topic(topic("config")).qos(MqttQos.AT_LEAST_ONCE).retain(true)
        .payload("kept".getBytes(StandardCharsets.UTF_8)).send();

    Mqtt5BlockingClient never = connected(reader, "never");
    Mqtt5BlockingClient.Mqtt5Publishes neverInbox = inbox(never);
    never.subscribeWith().topicFilter(topic("#")).qos(MqttQos.AT_LEAST_ONCE)
        .retainHandling(Mqtt5RetainHandling.DO_NOT_SEND).send();
    publish(publisher, topic("live"), "marker", MqttQos.AT_LEAST_ONCE);
    assertNextIs(neverInbox, "marker");

    Mqtt5BlockingClient once = connected(reader, "once");
    Mqtt5BlockingClient.Mqtt5Publishes onceInbox = inbox(once);
    for (int i = 0; i < 2; i++) {
      once.subscribeWith().topicFilter(topic("#")).qos(MqttQos.AT_LEAST_ONCE)
          .retainHandling(Mqtt5RetainHandling.SEND_IF_SUBSCRIPTION_DOES_NOT_EXIST).send();
      if (i == 0) {
        assertThat(assertNextIs(onceInbox, "kept").isRetain()).isTrue();
      }
    }
    publish(publisher, topic("live"), "second marker", MqttQos.AT_LEAST_ONCE);
    assertNextIs(onceInbox, "second marker");
  }

  // ---- the client's limits ----

  @Test
  void theServerKeepsNoMoreQos1MessagesInFlightThanTheClientsReceiveMaximum() throws Exception {
    Mqtt5BlockingClient small = clients.client("small-window");
    // The client acknowledges only when told to; it disconnects with 0x93 if the server sends past its maximum.
    Mqtt5BlockingClient.Mqtt5Publishes inbox = small.publishes(MqttGlobalPublishFilter.ALL, true);
    signIn(small, reader.id(), reader.key()).restrictions().receiveMaximum(2).applyRestrictions().send();
    small.subscribeWith().topicFilter(topic("")).qos(MqttQos.AT_LEAST_ONCE).send();

    Mqtt5BlockingClient publisher = connected(writer, "writer");
    for (int i = 0; i < 5; i++) {
      publish(publisher, topic(""), "m" + i, MqttQos.AT_LEAST_ONCE);
    }
    // QoS 0 is outside the window: it overtakes the three waiting ones, and shows nothing else was sent before it.
    publish(publisher, topic(""), "marker", MqttQos.AT_MOST_ONCE);
    Mqtt5Publish first = assertNextIs(inbox, "m0");
    Mqtt5Publish second = assertNextIs(inbox, "m1");
    assertNextIs(inbox, "marker");

    first.acknowledge();
    Mqtt5Publish third = assertNextIs(inbox, "m2");
    publish(publisher, topic(""), "marker 2", MqttQos.AT_MOST_ONCE);
    assertNextIs(inbox, "marker 2");
    second.acknowledge();
    third.acknowledge();
    assertNextIs(inbox, "m3").acknowledge();
    assertNextIs(inbox, "m4").acknowledge();
    assertThat(small.getState().isConnected()).isTrue();
  }

  @Test
  void aMessageLargerThanTheClientsMaximumPacketSizeIsNotSentAndTheNextOneIs() throws Exception {
    Mqtt5BlockingClient small = clients.client("small-packets");
    Mqtt5BlockingClient.Mqtt5Publishes inbox = inbox(small);
    // The client disconnects with 0x95 if the server sends it a larger packet.
    signIn(small, reader.id(), reader.key()).restrictions().maximumPacketSize(128).applyRestrictions().send();
    small.subscribeWith().topicFilter(topic("")).qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient publisher = connected(writer, "writer");
    publish(publisher, topic(""), "x".repeat(300), MqttQos.AT_LEAST_ONCE);
    publish(publisher, topic(""), "y".repeat(300), MqttQos.AT_MOST_ONCE);
    publish(publisher, topic(""), "fits", MqttQos.AT_LEAST_ONCE);
    assertNextIs(inbox, "fits");
    assertThat(small.getState().isConnected()).isTrue();
  }

  // ---- topic aliases ----

  @Test
  void theClientsTopicAliasesUpToTheServersMaximumStandForTheirTopics() throws Exception {
    Mqtt5BlockingClient.Mqtt5Publishes inbox = subscribed(reader, "reader", topic("#"));
    Mqtt5BlockingClient publisher = clients.client("aliasing");
    signIn(publisher, writer.id(), writer.key()).restrictions().sendTopicAliasMaximum(1000).applyRestrictions()
        .send();
    assertThat(publisher.getConfig().getConnectionConfig().orElseThrow().getRestrictionsForClient()
        .getSendTopicAliasMaximum()).as("the server's maximum").isEqualTo(DeviceConnection.TOPIC_ALIAS_MAXIMUM);

    // More topics than aliases, each used three times: the client sets aliases 1-64, then sends them alone.
    int topics = DeviceConnection.TOPIC_ALIAS_MAXIMUM + 6;
    for (int round = 0; round < 3; round++) {
      for (int t = 0; t < topics; t++) {
        publish(publisher, topic("sensor-" + t), round + "/" + t, MqttQos.AT_LEAST_ONCE);
      }
    }
    for (int round = 0; round < 3; round++) {
      for (int t = 0; t < topics; t++) {
        Mqtt5Publish received = assertNextIs(inbox, round + "/" + t);
        assertThat(received.getTopic().toString()).isEqualTo(topic("sensor-" + t));
      }
    }
    assertThat(publisher.getState().isConnected()).isTrue();
  }

  @Test
  void aSubscriberThatAllowsTopicAliasesGetsEveryMessageUnderItsTopic() throws Exception {
    Mqtt5BlockingClient subscriber = clients.client("alias-taker");
    signIn(subscriber, reader.id(), reader.key()).restrictions().topicAliasMaximum(2).applyRestrictions().send();
    Mqtt5BlockingClient.Mqtt5Publishes inbox = inbox(subscriber);
    subscriber.subscribeWith().topicFilter(topic("#")).qos(MqttQos.AT_LEAST_ONCE).send();
    Mqtt5BlockingClient publisher = connected(writer, "alias-giver");

    // Three topics, two aliases: the third topic always comes in full; the client checks every alias it gets.
    for (int round = 0; round < 3; round++) {
      for (int t = 0; t < 3; t++) {
        publish(publisher, topic("sensor-" + t), round + "/" + t, MqttQos.AT_LEAST_ONCE);
      }
    }
    for (int round = 0; round < 3; round++) {
      for (int t = 0; t < 3; t++) {
        assertThat(assertNextIs(inbox, round + "/" + t).getTopic().toString()).isEqualTo(topic("sensor-" + t));
      }
    }
    assertThat(subscriber.getState().isConnected()).isTrue();
  }

  // ---- shared subscriptions ----

  @Test
  void eachMessageOfASharedSubscriptionReachesOneMemberAndEveryMemberGetsSome() throws Exception {
    String shared = "$share/writers/" + topic("#");
    Mqtt5BlockingClient.Mqtt5Publishes first = subscribed(reader, "member-1", shared);
    Mqtt5BlockingClient.Mqtt5Publishes second = subscribed(reader, "member-2", shared);
    Mqtt5BlockingClient publisher = connected(writer, "writer");
    int count = 20;
    for (int i = 0; i < count; i++) {
      publish(publisher, topic("live"), "m" + i, MqttQos.AT_LEAST_ONCE);
    }
    Set<String> received = new HashSet<>();
    int[] perMember = new int[2];
    Await.until("every message at one member", Duration.ofSeconds(10), () -> {
      for (int m = 0; m < 2; m++) {
        Mqtt5Publish publish;
        while ((publish = (m == 0 ? first : second).receiveNow().orElse(null)) != null) {
          assertThat(received.add(text(publish))).as("once only: " + text(publish)).isTrue();
          assertThat(publish.getTopic().toString()).isEqualTo(topic("live"));
          perMember[m]++;
        }
      }
      return received.size() == count;
    });
    assertThat(perMember).as("spread over the members").doesNotContain(0);
  }

  // ---- wills ----

  @Test
  void aDisconnectWithWillMessageSendsTheWillWithItsPropertiesAfterItsDelay() throws Exception {
    Mqtt5BlockingClient.Mqtt5Publishes watcher = subscribed(reader, "watcher", topic("status"));
    Mqtt5BlockingClient mortal = clients.client("mortal");
    signIn(mortal, writer.id(), writer.key()).cleanStart(true).sessionExpiryInterval(60)
        .willPublish().topic(topic("status")).qos(MqttQos.AT_LEAST_ONCE).payload("gone".getBytes(StandardCharsets.UTF_8))
        .delayInterval(1)
        .userProperties().add("site", "plant-1").add("site", "plant-2").add("unit", "°C").applyUserProperties()
        .contentType("application/json").payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8)
        .responseTopic("channels/replies/messages/42").correlationData(new byte[] {1, 2, 3})
        .applyWillPublish().send();
    long left = System.nanoTime();
    mortal.disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE).send();
    Mqtt5Publish will = assertNextIs(watcher, "gone");
    assertThat(System.nanoTime() - left).as("not before its delay").isGreaterThan(900_000_000L);
    assertDescribed(will);
  }

  // ---- refusals, with the reason codes the client reports ----

  @Test
  void aConnectWithAWrongKeyIsRefusedWith0x86() {
    Mqtt5BlockingClient client = clients.client("intruder");
    assertThatThrownBy(() -> signIn(client, reader.id(), "not-the-key").send())
        .isInstanceOfSatisfying(Mqtt5ConnAckException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD));
    assertThat(client.getState().isConnected()).isFalse();
  }

  @Test
  void refusedQos1PublishesAndSubscriptionsGetTheirReasonCodesAndTheSessionGoesOn() throws Exception {
    Mqtt5BlockingClient client = connected(reader, "refused");
    Mqtt5BlockingClient.Mqtt5Publishes inbox = inbox(client);
    assertThatThrownBy(() -> publish(client, topic(""), "no right", MqttQos.AT_LEAST_ONCE))
        .isInstanceOfSatisfying(Mqtt5PubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5PubAckReasonCode.NOT_AUTHORIZED));
    assertThatThrownBy(() -> publish(client, "elsewhere/messages", "not a channel", MqttQos.AT_LEAST_ONCE))
        .isInstanceOfSatisfying(Mqtt5PubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5PubAckReasonCode.TOPIC_NAME_INVALID));

    String otherChannel = platform.channel("not-connected");
    assertThatThrownBy(() -> client.subscribeWith()
        .addSubscription().topicFilter(topic("#")).qos(MqttQos.AT_LEAST_ONCE).applySubscription()
        .addSubscription().topicFilter("channels/" + otherChannel + "/messages").qos(MqttQos.AT_LEAST_ONCE)
        .applySubscription()
        .addSubscription().topicFilter("elsewhere/#").qos(MqttQos.AT_LEAST_ONCE).applySubscription()
        .send())
        .isInstanceOfSatisfying(Mqtt5SubAckException.class, e -> assertThat(e.getMqttMessage().getReasonCodes())
            .containsExactly(Mqtt5SubAckReasonCode.GRANTED_QOS_1, Mqtt5SubAckReasonCode.NOT_AUTHORIZED,
                Mqtt5SubAckReasonCode.TOPIC_FILTER_INVALID));

    publish(connected(writer, "writer"), topic("after"), "still subscribed", MqttQos.AT_LEAST_ONCE);
    assertNextIs(inbox, "still subscribed");
    assertThat(client.getState().isConnected()).isTrue();
  }

  @Test
  void aRefusedQos2PublishGetsPubrecWithItsReasonCode() {
    Mqtt5BlockingClient client = connected(reader, "refused");
    assertThatThrownBy(() -> publish(client, topic(""), "no right", MqttQos.EXACTLY_ONCE))
        .isInstanceOfSatisfying(Mqtt5PubRecException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5PubRecReasonCode.NOT_AUTHORIZED));
    assertThatThrownBy(() -> publish(client, "elsewhere/messages", "not a channel", MqttQos.EXACTLY_ONCE))
        .isInstanceOfSatisfying(Mqtt5PubRecException.class, e -> assertThat(e.getMqttMessage().getReasonCode())
            .isEqualTo(Mqtt5PubRecReasonCode.TOPIC_NAME_INVALID));
    assertThat(client.getState().isConnected()).isTrue();
  }
}
