package io.fluxgate.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.testing.Await;
import io.fluxgate.testing.MqttInbox;
import io.fluxgate.testing.PlatformNode;
import io.fluxgate.testing.RawMqtt5;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MQTT 5 as the standard has it, with the Eclipse Paho MQTT 5 client (and a raw socket where a library will not
 * break the protocol or hides what the server sends): CONNACK properties, message properties end to end (live,
 * retained, wills), message expiry, subscription options and identifiers, the client's Receive Maximum and Maximum
 * Packet Size, topic aliases, Will Delay Interval.
 */
class Mqtt5FeaturesTest {

  @TempDir
  Path dataDir;

  PlatformNode platform;
  final List<MqttAsyncClient> clients = new ArrayList<>();
  String channel;
  Device reader;
  Device writer;

  record Device(String id, String key) {}

  /** What a client receives, in order, with the reason of a DISCONNECT from the server. */
  static final class Inbox implements MqttCallback {
    record Received(String topic, MqttMessage message) {
      String text() {
        return new String(message.getPayload(), StandardCharsets.UTF_8);
      }
    }

    final BlockingQueue<Received> messages = new LinkedBlockingQueue<>();
    volatile int disconnectReason = -1;

    Received next() throws InterruptedException {
      Received received = messages.poll(10, TimeUnit.SECONDS);
      assertThat(received).as("a message within 10 s").isNotNull();
      return received;
    }

    /** The next message is {@code text}: a marker published after what must not arrive. */
    Received assertNextIs(String text) throws InterruptedException {
      Received received = next();
      assertThat(received.text()).as("the next message (nothing before it)").isEqualTo(text);
      return received;
    }

    @Override
    public void disconnected(MqttDisconnectResponse response) {
      disconnectReason = response.getReturnCode();
    }

    @Override
    public void mqttErrorOccurred(MqttException exception) { }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
      messages.add(new Received(topic, message));
    }

    @Override
    public void deliveryComplete(org.eclipse.paho.mqttv5.client.IMqttToken token) { }

    @Override
    public void connectComplete(boolean reconnect, String serverURI) { }

    @Override
    public void authPacketArrived(int reasonCode, MqttProperties properties) { }
  }

  @BeforeEach
  void start() {
    platform = PlatformNode.start(PlatformNode.env("mqtt5-node", dataDir, "users,things,mqtt",
        Map.of("FG_MQTT_MAX_MESSAGE_SIZE", "65536", "FG_MQTT_INSTANCES", "2")), false);
    channel = platform.channel("c");
    reader = device("m_read");
    writer = device("m_write");
  }

  @AfterEach
  void stop() {
    for (MqttAsyncClient client : clients) {
      try {
        if (client.isConnected()) {
          client.disconnectForcibly(100, 100, false);
        }
        client.close(true);
      } catch (MqttException e) {
        // Closing what a test left behind.
      }
    }
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

  MqttConnectionOptions options(Device device) {
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setUserName(device.id());
    options.setPassword(device.key().getBytes(StandardCharsets.UTF_8));
    return options;
  }

  MqttAsyncClient client(String clientId, Inbox inbox) throws MqttException {
    MqttAsyncClient client = new MqttAsyncClient("tcp://127.0.0.1:" + platform.port("mqtt"), clientId,
        new MemoryPersistence());
    clients.add(client);
    if (inbox != null) {
      client.setCallback(inbox);
    }
    return client;
  }

  IMqttToken connect(MqttAsyncClient client, MqttConnectionOptions options) throws MqttException {
    IMqttToken token = client.connect(options);
    token.waitForCompletion(10_000);
    return token;
  }

  /** A connected client of {@code device}, options changed by {@code tweak}. */
  MqttAsyncClient connected(Device device, String clientId, Inbox inbox, Consumer<MqttConnectionOptions> tweak)
      throws MqttException {
    MqttAsyncClient client = client(clientId, inbox);
    MqttConnectionOptions options = options(device);
    tweak.accept(options);
    connect(client, options);
    return client;
  }

  static void subscribe(MqttAsyncClient client, MqttSubscription subscription, MqttProperties properties)
      throws MqttException {
    client.subscribe(new MqttSubscription[] {subscription}, null, null, properties == null ? new MqttProperties()
        : properties).waitForCompletion(10_000);
  }

  static void publish(MqttAsyncClient client, String topic, String text, int qos, boolean retain,
      MqttProperties properties) throws MqttException {
    MqttMessage message = new MqttMessage(text.getBytes(StandardCharsets.UTF_8), qos, retain, properties);
    client.publish(topic, message).waitForCompletion(10_000);
  }

  static MqttProperties described() {
    MqttProperties properties = new MqttProperties();
    properties.setUserProperties(List.of(new UserProperty("site", "plant-1"), new UserProperty("site", "plant-2"),
        new UserProperty("unit", "°C")));
    properties.setContentType("application/json");
    properties.setPayloadFormat(true);
    properties.setResponseTopic("channels/replies/messages/42");
    properties.setCorrelationData(new byte[] {1, 2, 3});
    return properties;
  }

  static void assertDescribed(MqttProperties properties) {
    assertThat(properties.getUserProperties()).extracting(UserProperty::getKey, UserProperty::getValue)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("site", "plant-1"),
            org.assertj.core.groups.Tuple.tuple("site", "plant-2"), org.assertj.core.groups.Tuple.tuple("unit", "°C"));
    assertThat(properties.getContentType()).isEqualTo("application/json");
    assertThat(properties.getPayloadFormat()).isTrue();
    assertThat(properties.getResponseTopic()).isEqualTo("channels/replies/messages/42");
    assertThat(properties.getCorrelationData()).containsExactly(1, 2, 3);
  }

  // ---- CONNACK ----

  @Test
  void connackSaysWhatTheServerDoesAndGivesAnEmptyClientIdOne() throws Exception {
    MqttAsyncClient client = client("", null);
    IMqttToken connected = connect(client, options(reader));
    MqttProperties connack = connected.getResponseProperties();
    assertThat(connack.getAssignedClientIdentifier()).startsWith("fg-");
    assertThat(connack.getTopicAliasMaximum()).isEqualTo(DeviceConnection.TOPIC_ALIAS_MAXIMUM);
    assertThat(connack.getMaximumPacketSize()).isEqualTo(65536L);
    assertThat(connack.isRetainAvailable()).isTrue();
    assertThat(connack.isWildcardSubscriptionsAvailable()).isTrue();
    assertThat(connack.isSubscriptionIdentifiersAvailable()).isTrue();
    assertThat(connack.isSharedSubscriptionAvailable()).isTrue();
    assertThat(connack.getReceiveMaximum()).isEqualTo(DeviceConnection.RECEIVE_MAXIMUM);
    Await.until("the connect event with the assigned id", Duration.ofSeconds(10), () -> platform.eventsOf(
        "mqtt.client_connect").stream().anyMatch(e -> e.fields().getString("client_id")
        .equals(connack.getAssignedClientIdentifier())));
  }

  // ---- message properties ----

  @Test
  void messagePropertiesReachSubscribersAsPublishedAndA311SubscriberGetsThePayload() throws Exception {
    Inbox inbox = new Inbox();
    MqttAsyncClient subscriber = connected(reader, "v5-reader", inbox, o -> { });
    subscribe(subscriber, new MqttSubscription(topic("#"), 1), null);
    var old = new org.eclipse.paho.client.mqttv3.MqttClient("tcp://127.0.0.1:" + platform.port("mqtt"), "v3-reader",
        new org.eclipse.paho.client.mqttv3.persist.MemoryPersistence());
    MqttInbox oldInbox = MqttInbox.of(old);
    old.connect(MqttInbox.signIn(reader.id(), reader.key(), true));
    old.subscribe(topic("#"), 1);

    MqttAsyncClient publisher = connected(writer, "v5-writer", null, o -> { });
    publish(publisher, topic("temp"), "{\"t\":21}", 1, false, described());

    Inbox.Received received = inbox.next();
    assertThat(received.text()).isEqualTo("{\"t\":21}");
    assertDescribed(received.message().getProperties());
    assertThat(oldInbox.nextText()).isEqualTo("{\"t\":21}");

    MqttProperties onlyUserProperties = new MqttProperties();
    onlyUserProperties.setUserProperties(List.of(new UserProperty("a", "2")));
    publish(publisher, topic("temp"), "", 0, false, onlyUserProperties);
    assertThat(inbox.next().message().getProperties().getUserProperties()).extracting(UserProperty::getKey)
        .containsExactly("a");
    old.disconnect();
    old.close();
  }

  @Test
  void aRetainedMessageKeepsItsProperties() throws Exception {
    MqttAsyncClient publisher = connected(writer, "v5-writer", null, o -> { });
    publish(publisher, topic("config"), "v1", 1, true, described());
    Inbox inbox = new Inbox();
    MqttAsyncClient late = connected(reader, "late-reader", inbox, o -> { });
    subscribe(late, new MqttSubscription(topic("#"), 1), null);
    Inbox.Received retained = inbox.next();
    assertThat(retained.text()).isEqualTo("v1");
    assertThat(retained.message().isRetained()).isTrue();
    assertDescribed(retained.message().getProperties());
  }

  @Test
  void aMessagePastItsExpiryIsNotDeliveredToASessionComingBackLateAndTheOtherCountsDown() throws Exception {
    Consumer<MqttConnectionOptions> persistent = o -> {
      o.setCleanStart(false);
      o.setSessionExpiryInterval(300L);
    };
    MqttAsyncClient away = connected(reader, "away-reader", new Inbox(), persistent);
    subscribe(away, new MqttSubscription(topic(""), 1), null);
    away.disconnect().waitForCompletion(10_000);

    MqttAsyncClient publisher = connected(writer, "v5-writer", null, o -> { });
    MqttProperties oneSecond = new MqttProperties();
    oneSecond.setMessageExpiryInterval(1L);
    publish(publisher, topic(""), "short-lived", 1, false, oneSecond);
    MqttProperties aMinute = new MqttProperties();
    aMinute.setMessageExpiryInterval(60L);
    publish(publisher, topic(""), "long-lived", 1, false, aMinute);
    long published = System.nanoTime();
    // Time itself must pass here: the device comes back after the first message's interval.
    Await.until("1.2 s since publishing", Duration.ofSeconds(5),
        () -> System.nanoTime() - published > 1_200_000_000L);

    Inbox back = new Inbox();
    connected(reader, "away-reader", back, persistent);
    Inbox.Received first = back.assertNextIs("long-lived");
    assertThat(first.message().getProperties().getMessageExpiryInterval()).as("counted down by the time it waited")
        .isBetween(1L, 59L);
  }

  // ---- subscription options and identifiers ----

  @Test
  void noLocalKeepsAClientsOwnMessagesFromIt() throws Exception {
    Device both = device("m_read", "m_write");
    Inbox inbox = new Inbox();
    MqttAsyncClient client = connected(both, "talker", inbox, o -> { });
    MqttSubscription noLocal = new MqttSubscription(topic(""), 1);
    noLocal.setNoLocal(true);
    subscribe(client, noLocal, null);
    publish(client, topic(""), "my own", 1, false, null);
    MqttAsyncClient other = connected(writer, "other-writer", null, o -> { });
    publish(other, topic(""), "from another", 1, false, null);
    inbox.assertNextIs("from another");
  }

  @Test
  void retainAsPublishedKeepsThePublishersRetainFlagOnLiveDeliveries() throws Exception {
    Inbox keeping = new Inbox();
    MqttAsyncClient rap = connected(reader, "rap", keeping, o -> { });
    MqttSubscription asPublished = new MqttSubscription(topic(""), 1);
    asPublished.setRetainAsPublished(true);
    subscribe(rap, asPublished, null);
    Inbox plain = new Inbox();
    MqttAsyncClient ordinary = connected(reader, "ordinary", plain, o -> { });
    subscribe(ordinary, new MqttSubscription(topic(""), 1), null);

    MqttAsyncClient publisher = connected(writer, "v5-writer", null, o -> { });
    publish(publisher, topic(""), "retained", 1, true, null);
    assertThat(keeping.assertNextIs("retained").message().isRetained()).isTrue();
    assertThat(plain.assertNextIs("retained").message().isRetained()).isFalse();
  }

  @Test
  void retainHandlingTwoSendsNoRetainedMessageAndOneOnlyForANewSubscription() throws Exception {
    MqttAsyncClient publisher = connected(writer, "v5-writer", null, o -> { });
    publish(publisher, topic("config"), "kept", 1, true, null);

    Inbox never = new Inbox();
    MqttAsyncClient two = connected(reader, "handling-2", never, o -> { });
    MqttSubscription dontSend = new MqttSubscription(topic("#"), 1);
    dontSend.setRetainHandling(2);
    subscribe(two, dontSend, null);
    publish(publisher, topic("live"), "marker", 1, false, null);
    never.assertNextIs("marker");

    Inbox once = new Inbox();
    MqttAsyncClient one = connected(reader, "handling-1", once, o -> { });
    MqttSubscription ifNew = new MqttSubscription(topic("#"), 1);
    ifNew.setRetainHandling(1);
    subscribe(one, ifNew, null);
    assertThat(once.assertNextIs("kept").message().isRetained()).isTrue();
    subscribe(one, ifNew, null);
    publish(publisher, topic("live"), "second marker", 1, false, null);
    once.assertNextIs("second marker");
  }

  @Test
  void aDeliveryCarriesTheIdentifiersOfEverySubscriptionItMatched() throws Exception {
    Inbox inbox = new Inbox();
    MqttAsyncClient client = connected(reader, "identified", inbox, o -> { });
    MqttProperties five = new MqttProperties();
    five.setSubscriptionIdentifier(5);
    subscribe(client, new MqttSubscription(topic("#"), 1), five);
    MqttProperties seven = new MqttProperties();
    seven.setSubscriptionIdentifier(7);
    subscribe(client, new MqttSubscription(topic("+/temp"), 1), seven);

    MqttAsyncClient publisher = connected(writer, "v5-writer", null, o -> { });
    publish(publisher, topic("r1/temp"), "both", 1, false, null);
    assertThat(inbox.assertNextIs("both").message().getProperties().getSubscriptionIdentifiers())
        .containsExactlyInAnyOrder(5, 7);
    publish(publisher, topic("r1/hum"), "one", 1, false, null);
    assertThat(inbox.assertNextIs("one").message().getProperties().getSubscriptionIdentifiers()).containsExactly(5);
  }

  // ---- the client's limits ----

  @Test
  void aMessageLargerThanTheClientsMaximumPacketSizeIsNotSentAndTheNextOneIs() throws Exception {
    Inbox inbox = new Inbox();
    MqttAsyncClient small = connected(reader, "small", inbox, o -> o.setMaximumPacketSize(128L));
    subscribe(small, new MqttSubscription(topic(""), 1), null);
    MqttAsyncClient publisher = connected(writer, "v5-writer", null, o -> { });
    publish(publisher, topic(""), "x".repeat(300), 1, false, null);
    publish(publisher, topic(""), "fits", 1, false, null);
    inbox.assertNextIs("fits");
    assertThat(small.isConnected()).isTrue();
  }

  @Test
  void theServerSendsNoMoreUnacknowledgedMessagesThanTheClientsReceiveMaximum() throws Exception {
    try (RawMqtt5 raw = new RawMqtt5(platform.port("mqtt"))) {
      RawMqtt5.Packet connack = raw.connect("raw-receiver", reader.id(), reader.key(),
          RawMqtt5.twoByteProperty(0x21, 2));
      assertThat(connack.type()).isEqualTo(2);
      assertThat(raw.subscribe(1, topic(""), 1).type()).isEqualTo(9);

      MqttAsyncClient publisher = connected(writer, "v5-writer", null, o -> { });
      for (int i = 0; i < 5; i++) {
        publish(publisher, topic(""), "m" + i, 1, false, null);
      }
      List<RawMqtt5.Packet> first = readPublishesUntilPong(raw);
      assertThat(first).as("two in flight, as the client allowed").hasSize(2);
      raw.puback(RawMqtt5.packetIdOf(first.get(0)));
      assertThat(readPublishesUntilPong(raw)).as("one acknowledged, one more").hasSize(1);
    }
  }

  /** The PUBLISH packets the server sends before it answers a PINGREQ sent now. */
  private static List<RawMqtt5.Packet> readPublishesUntilPong(RawMqtt5 raw) throws Exception {
    raw.ping();
    List<RawMqtt5.Packet> publishes = new ArrayList<>();
    RawMqtt5.Packet packet;
    while ((packet = raw.read()) != null && packet.type() != 13) {
      if (packet.type() == 3) {
        publishes.add(packet);
      }
    }
    return publishes;
  }

  /**
   * Signs in as the writer and sends one QoS 2 publish more than the server's Receive Maximum, without ever sending
   * PUBREL: each stays unacknowledged (no PUBCOMP) until the limit.
   */
  private void floodPastReceiveMaximum(RawMqtt5 raw, String clientId) throws Exception {
    assertThat(raw.connect(clientId, writer.id(), writer.key(), new byte[0]).type()).isEqualTo(2);
    for (int id = 1; id <= DeviceConnection.RECEIVE_MAXIMUM + 1; id++) {
      raw.publish(topic(""), 2, id, new byte[0], "x".getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void aDeviceWithMorePublishesUnacknowledgedThanTheServersReceiveMaximumIsDisconnectedWith0x93() throws Exception {
    try (RawMqtt5 raw = new RawMqtt5(platform.port("mqtt"))) {
      floodPastReceiveMaximum(raw, "raw-flood");
      RawMqtt5.Packet packet;
      int pubrecs = 0;
      while ((packet = raw.read()) != null && packet.type() == 5) {
        pubrecs++;
      }
      assertThat(pubrecs).as("a PUBREC for each allowed").isEqualTo(DeviceConnection.RECEIVE_MAXIMUM);
      assertThat(packet).as("then DISCONNECT").isNotNull();
      assertThat(packet.type()).isEqualTo(14);
      assertThat(packet.body()[0] & 0xFF).as("receive maximum exceeded").isEqualTo(0x93);
    }
  }

  @Test
  void aDeviceThatGoesOnSendingAfterItsDisconnectStillReadsTheReasonCode() throws Exception {
    try (RawMqtt5 raw = new RawMqtt5(platform.port("mqtt"))) {
      floodPastReceiveMaximum(raw, "raw-flood-on");
      // As the Paho suite's client does: each PUBREC read is answered with PUBREL, which reaches the server after
      // it has sent DISCONNECT. A server that closed at once answers with a reset and this write fails.
      RawMqtt5.Packet packet;
      while ((packet = raw.read()) != null && packet.type() == 5) {
        raw.pubrel(packet);
      }
      assertThat(packet).as("DISCONNECT, read after every PUBREC was answered").isNotNull();
      assertThat(packet.type()).isEqualTo(14);
      assertThat(packet.body()[0] & 0xFF).as("receive maximum exceeded").isEqualTo(0x93);
      assertThat(raw.read()).as("then the server ends the connection").isNull();
    }
  }

  // ---- topic aliases ----

  @Test
  void aTopicAliasStandsForItsTopicAndAliasZeroEndsTheConnectionWith0x94() throws Exception {
    Inbox inbox = new Inbox();
    MqttAsyncClient subscriber = connected(reader, "alias-reader", inbox, o -> { });
    subscribe(subscriber, new MqttSubscription(topic("#"), 1), null);
    try (RawMqtt5 raw = new RawMqtt5(platform.port("mqtt"))) {
      assertThat(raw.connect("raw-alias", writer.id(), writer.key(), new byte[0]).type()).isEqualTo(2);
      raw.publish(topic("aliased"), 0, 0, RawMqtt5.twoByteProperty(0x23, 3), "set".getBytes(StandardCharsets.UTF_8));
      raw.publish("", 0, 0, RawMqtt5.twoByteProperty(0x23, 3), "used".getBytes(StandardCharsets.UTF_8));
      assertThat(inbox.next().topic()).isEqualTo(topic("aliased"));
      Inbox.Received used = inbox.next();
      assertThat(used.text()).isEqualTo("used");
      assertThat(used.topic()).isEqualTo(topic("aliased"));

      raw.publish(topic("zero"), 0, 0, RawMqtt5.twoByteProperty(0x23, 0), "zero".getBytes(StandardCharsets.UTF_8));
      RawMqtt5.Packet disconnect = raw.read();
      assertThat(disconnect.type()).as("DISCONNECT").isEqualTo(14);
      assertThat(disconnect.body()[0] & 0xFF).as("topic alias invalid").isEqualTo(0x94);
      assertThat(raw.read()).as("then the server closes").isNull();
    }
    Await.until("the protocol error event", Duration.ofSeconds(10), () -> platform.eventsOf("mqtt.client_disconnect")
        .stream().anyMatch(e -> "raw-alias".equals(e.fields().getString("client_id"))
            && "protocol_error".equals(e.fields().getString("reason"))));
  }

  @Test
  void theServerGivesATopicAnAliasOnItsFirstPublishAndSendsTheAliasAloneAfter() throws Exception {
    try (RawMqtt5 raw = new RawMqtt5(platform.port("mqtt"))) {
      // Topic Alias Maximum 1 from the device: one topic gets the alias, the other always comes in full.
      assertThat(raw.connect("raw-alias-taker", reader.id(), reader.key(), RawMqtt5.twoByteProperty(0x22, 1))
          .type()).isEqualTo(2);
      assertThat(raw.subscribe(1, topic("#"), 0).type()).isEqualTo(9);
      MqttAsyncClient publisher = connected(writer, "alias-giver", new Inbox(), o -> { });
      publish(publisher, topic("a"), "1", 0, false, null);
      publish(publisher, topic("a"), "2", 0, false, null);
      publish(publisher, topic("b"), "3", 0, false, null);
      publish(publisher, topic("a"), "4", 0, false, null);

      assertThat(aliased(raw.read())).containsExactly(topic("a"), 1, "1");
      assertThat(aliased(raw.read())).as("the alias alone").containsExactly("", 1, "2");
      assertThat(aliased(raw.read())).as("no alias left").containsExactly(topic("b"), 0, "3");
      assertThat(aliased(raw.read())).containsExactly("", 1, "4");
    }
  }

  /** A QoS 0 PUBLISH read off the wire: its topic, its Topic Alias (0 for none) and its payload. */
  private static List<Object> aliased(RawMqtt5.Packet publish) {
    assertThat(publish.type()).as("PUBLISH").isEqualTo(3);
    byte[] body = publish.body();
    int topicLength = ((body[0] & 0xFF) << 8) | (body[1] & 0xFF);
    String topic = new String(body, 2, topicLength, StandardCharsets.UTF_8);
    int at = 2 + topicLength;
    int propertiesLength = body[at++];
    int end = at + propertiesLength;
    int alias = 0;
    while (at < end) {
      int id = body[at++];
      if (id == 0x23) {
        alias = ((body[at] & 0xFF) << 8) | (body[at + 1] & 0xFF);
      }
      // Only the alias is expected here (two bytes); a longer property would make this parse go wrong.
      at += 2;
    }
    return List.of(topic, alias, new String(body, end, body.length - end, StandardCharsets.UTF_8));
  }

  // ---- wills ----

  @Test
  void aDelayedWillCarriesItsPropertiesAndComesAfterItsDelay() throws Exception {
    Inbox inbox = new Inbox();
    MqttAsyncClient watcher = connected(reader, "watcher", inbox, o -> { });
    subscribe(watcher, new MqttSubscription(topic("status"), 1), null);
    MqttAsyncClient mortal = connected(writer, "mortal", null, o -> {
      o.setCleanStart(false);
      o.setSessionExpiryInterval(60L);
      o.setWill(topic("status"), new MqttMessage("gone".getBytes(StandardCharsets.UTF_8), 1, false, null));
      MqttProperties will = described();
      will.setWillDelayInterval(1L);
      o.setWillMessageProperties(will);
    });
    long dropped = System.nanoTime();
    mortal.disconnectForcibly(0, 100, false);
    Inbox.Received will = inbox.assertNextIs("gone");
    assertThat(System.nanoTime() - dropped).as("not before its delay").isGreaterThan(900_000_000L);
    assertDescribed(will.message().getProperties());
  }

  @Test
  void aWillDelayedPastAQuickReconnectIsNotSent() throws Exception {
    Inbox inbox = new Inbox();
    MqttAsyncClient watcher = connected(reader, "watcher", inbox, o -> { });
    subscribe(watcher, new MqttSubscription(topic("status"), 1), null);
    Consumer<MqttConnectionOptions> withWill = o -> {
      o.setCleanStart(false);
      o.setSessionExpiryInterval(60L);
      o.setWill(topic("status"), new MqttMessage("gone".getBytes(StandardCharsets.UTF_8), 1, false, null));
      MqttProperties will = new MqttProperties();
      will.setWillDelayInterval(2L);
      o.setWillMessageProperties(will);
    };
    MqttAsyncClient mortal = connected(writer, "quick", null, withWill);
    long dropped = System.nanoTime();
    mortal.disconnectForcibly(0, 100, false);
    MqttAsyncClient back = connected(writer, "quick", null, withWill);
    // Time itself must pass: the will would have gone out 2 s after the drop.
    Await.until("2.5 s since the drop", Duration.ofSeconds(10), () -> System.nanoTime() - dropped > 2_500_000_000L);
    publish(back, topic("status"), "still here", 1, false, null);
    inbox.assertNextIs("still here");
  }

  // ---- shared subscriptions ----

  @Test
  void eachMessageOfASharedSubscriptionGoesToOneMemberWhileOthersGetEveryOne() throws Exception {
    MqttAsyncClient publisher = connected(writer, "v5-writer", null, o -> { });
    publish(publisher, topic("config"), "retained", 1, true, null);
    Inbox first = new Inbox();
    Inbox second = new Inbox();
    Inbox everything = new Inbox();
    subscribe(connected(reader, "member-1", first, o -> { }), new MqttSubscription("$share/g/" + topic("#"), 1), null);
    subscribe(connected(reader, "member-2", second, o -> { }), new MqttSubscription("$share/g/" + topic("#"), 1),
        null);
    subscribe(connected(reader, "all", everything, o -> { }), new MqttSubscription(topic("live"), 1), null);
    // A 3.1.1 device may share too.
    var old = new org.eclipse.paho.client.mqttv3.MqttClient("tcp://127.0.0.1:" + platform.port("mqtt"), "member-3",
        new org.eclipse.paho.client.mqttv3.persist.MemoryPersistence());
    MqttInbox third = MqttInbox.of(old);
    old.connect(MqttInbox.signIn(reader.id(), reader.key(), true));
    assertThat(old.subscribeWithResponse("$share/g/" + topic("#"), 1).getGrantedQos()).containsExactly(1);

    int count = 30;
    for (int i = 0; i < count; i++) {
      publish(publisher, topic("live"), "m" + i, 1, false, null);
    }
    for (int i = 0; i < count; i++) {
      everything.assertNextIs("m" + i);
    }
    java.util.Set<String> shared = new java.util.HashSet<>();
    int[] perMember = new int[3];
    Await.until("every message at one member", Duration.ofSeconds(10), () -> {
      Inbox.Received a;
      while ((a = first.messages.poll()) != null) {
        assertThat(shared.add(a.text())).as("once only: " + a.text()).isTrue();
        perMember[0]++;
      }
      while ((a = second.messages.poll()) != null) {
        assertThat(shared.add(a.text())).as("once only: " + a.text()).isTrue();
        perMember[1]++;
      }
      MqttInbox.Received b;
      while ((b = third.messages.poll()) != null) {
        assertThat(shared.add(b.text())).as("once only: " + b.text()).isTrue();
        perMember[2]++;
      }
      return shared.size() == count;
    });
    assertThat(shared).as("no retained message for a shared subscription").doesNotContain("retained");
    assertThat(perMember).as("spread over the members").doesNotContain(0);
    old.disconnect();
    old.close();
  }

  @Test
  void theUnacknowledgedMessagesOfAMemberThatLeavesGoToAnother() throws Exception {
    Inbox stays = new Inbox();
    MqttAsyncClient publisher = connected(writer, "v5-writer", null, o -> { });
    int count = 10;
    try (RawMqtt5 leaving = new RawMqtt5(platform.port("mqtt"))) {
      // It takes one message at a time and acknowledges none: what the group gives it piles up in its session.
      assertThat(leaving.connect("leaving", reader.id(), reader.key(), RawMqtt5.twoByteProperty(0x21, 1)).type())
          .isEqualTo(2);
      assertThat(leaving.subscribe(1, "$share/g/" + topic(""), 1).type()).isEqualTo(9);
      subscribe(connected(reader, "staying", stays, o -> { }), new MqttSubscription("$share/g/" + topic(""), 1),
          null);
      for (int i = 0; i < count; i++) {
        publish(publisher, topic(""), "m" + i, 1, false, null);
      }
      RawMqtt5.Packet held = leaving.read();
      assertThat(held.type()).as("the leaving member got one").isEqualTo(3);
    }
    java.util.Set<String> received = java.util.concurrent.ConcurrentHashMap.newKeySet();
    try {
      Await.until("all of them at the member that stays", Duration.ofSeconds(30), () -> {
        Inbox.Received r;
        while ((r = stays.messages.poll()) != null) {
          received.add(r.text());
        }
        return received.size() == count;
      });
    } catch (AssertionError e) {
      // Failed once in about eight runs of the class on a loaded machine (10 s then): say what did arrive.
      throw new AssertionError(e.getMessage() + "; the member that stays got " + new java.util.TreeSet<>(received), e);
    }
  }
}
