package io.fluxgate.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.MqttInbox;
import io.fluxgate.testing.PlatformNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MQTT adapter of a real node (users, things, MQTT and HTTP roles) driven by real MQTT clients (Eclipse Paho,
 * 3.1.1 and 5) on real sockets: authentication, authorization, QoS, sessions, wills, retained messages,
 * WebSocket, limits, the HTTP adapter, and the mqtt-stream events.
 */
class MqttAdapterTest {

  @TempDir
  Path dataDir;

  PlatformNode platform;
  boolean platformStopped;
  final List<MqttClient> clients = new ArrayList<>();

  @BeforeEach
  void start() {
    platform = PlatformNode.start(PlatformNode.env("mqtt-node", dataDir, "users,things,mqtt,http",
        Map.of("FG_MQTT_MAX_MESSAGE_SIZE", "65536", "FG_MQTT_INSTANCES", "2")), false);
  }

  @AfterEach
  void stop() {
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
    if (!platformStopped) {
      platform.close();
    }
  }

  /** An MQTT 5 callback that keeps the payloads it gets (as text) and the reason code of a DISCONNECT. */
  static final class V5Recorder implements org.eclipse.paho.mqttv5.client.MqttCallback {
    final List<String> received = new CopyOnWriteArrayList<>();
    final AtomicInteger disconnectReason = new AtomicInteger(-1);

    @Override
    public void disconnected(org.eclipse.paho.mqttv5.client.MqttDisconnectResponse response) {
      disconnectReason.set(response.getReturnCode());
    }

    @Override
    public void mqttErrorOccurred(org.eclipse.paho.mqttv5.common.MqttException exception) { }

    @Override
    public void messageArrived(String topic, org.eclipse.paho.mqttv5.common.MqttMessage message) {
      received.add(new String(message.getPayload(), StandardCharsets.UTF_8));
    }

    @Override
    public void deliveryComplete(org.eclipse.paho.mqttv5.client.IMqttToken token) { }

    @Override
    public void connectComplete(boolean reconnect, String serverURI) { }

    @Override
    public void authPacketArrived(int reasonCode, org.eclipse.paho.mqttv5.common.packet.MqttProperties properties) { }
  }

  /** A thing connected to a channel: its id, key and the channel. */
  record Device(String id, String key, String channel) {
    String topic(String subtopic) {
      return "channels/" + channel + "/messages" + (subtopic.isEmpty() ? "" : "/" + subtopic);
    }
  }

  Device device(String channel, String... actions) {
    JsonObject thing = platform.thing("dev-" + UUID.randomUUID().toString().substring(0, 6));
    String id = thing.getString("id");
    platform.connect(id, channel, actions);
    return new Device(id, thing.getJsonObject("credentials").getString("secret"), channel);
  }

  MqttClient client(String uri, String clientId) throws MqttException {
    MqttClient client = new MqttClient(uri, clientId, new MemoryPersistence());
    clients.add(client);
    return client;
  }

  String tcp() {
    return "tcp://127.0.0.1:" + platform.port("mqtt");
  }

  MqttConnectOptions options(Device device, boolean clean) {
    return MqttInbox.signIn(device.id(), device.key(), clean);
  }

  MqttClient connected(Device device) throws MqttException {
    MqttClient client = client(tcp(), "c-" + UUID.randomUUID().toString().substring(0, 8));
    client.connect(options(device, true));
    return client;
  }

  MqttInbox inbox(MqttClient client) {
    return MqttInbox.of(client);
  }

  DomainEvent awaitEvent(String operation, int count) {
    Await.until(count + " " + operation, Duration.ofSeconds(10), () -> platform.eventsOf(operation).size() >= count);
    return platform.eventsOf(operation).get(count - 1);
  }

  // ---- authentication ----

  @Test
  void refusesWrongCredentialsWithTheConnackCodeOfEachProtocol() throws Exception {
    String channel = platform.channel("c");
    Device device = device(channel);
    MqttClient client = client(tcp(), "wrong");
    MqttConnectOptions wrongKey = options(new Device(device.id(), "not-the-key", channel), true);
    assertThatThrownBy(() -> client.connect(wrongKey)).isInstanceOfSatisfying(MqttException.class,
        e -> assertThat(e.getReasonCode()).isEqualTo(MqttException.REASON_CODE_FAILED_AUTHENTICATION));
    MqttConnectOptions noCredentials = new MqttConnectOptions();
    noCredentials.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    assertThatThrownBy(() -> client.connect(noCredentials)).isInstanceOfSatisfying(MqttException.class,
        e -> assertThat(e.getReasonCode()).isEqualTo(MqttException.REASON_CODE_NOT_AUTHORIZED));
    MqttConnectOptions unknownThing = options(new Device(UUID.randomUUID().toString(), device.key(), channel), true);
    assertThatThrownBy(() -> client.connect(unknownThing)).isInstanceOfSatisfying(MqttException.class,
        e -> assertThat(e.getReasonCode()).isEqualTo(MqttException.REASON_CODE_FAILED_AUTHENTICATION));

    var v5 = new org.eclipse.paho.mqttv5.client.MqttClient(tcp(), "v5-wrong",
        new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
    var v5Options = new org.eclipse.paho.mqttv5.client.MqttConnectionOptions();
    v5Options.setUserName(device.id());
    v5Options.setPassword("not-the-key".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> v5.connect(v5Options)).isInstanceOfSatisfying(
        org.eclipse.paho.mqttv5.common.MqttException.class, e -> assertThat(e.getReasonCode()).isEqualTo(0x86));
    v5.close(true);
    assertThat(platform.eventsOf("mqtt.client_connect")).isEmpty();

    // The right key works, and the event names the thing by its id, never by its key.
    client.connect(options(device, true));
    DomainEvent connected = awaitEvent("mqtt.client_connect", 1);
    assertThat(connected.fields().getString("thing_id")).isEqualTo(device.id());
    assertThat(connected.fields().getString("client_id")).isEqualTo("wrong");
    assertThat(connected.fields().getInteger("protocol_version")).isEqualTo(4);
    assertThat(connected.instance()).isEqualTo("mqtt-node");
    assertThat(connected.toJson().encode()).doesNotContain(device.key());
  }

  // ---- authorization ----

  @Test
  void publishingNeedsWriteAndSubscribingNeedsRead() throws Exception {
    String channel = platform.channel("c");
    Device reader = device(channel, "m_read");
    Device writer = device(channel, "m_write");
    String other = platform.channel("other");

    MqttClient readerClient = connected(reader);
    MqttInbox inbox = inbox(readerClient);
    readerClient.subscribe(reader.topic(""), 1);
    MqttClient writerClient = connected(writer);
    // A subscription without m_read, on a foreign channel, or outside channels gets the 3.1.1 failure code.
    assertThat(writerClient.subscribeWithResponse(writer.topic(""), 1).getGrantedQos()).containsExactly(128);
    assertThat(writerClient.subscribeWithResponse("channels/" + other + "/messages", 0).getGrantedQos())
        .containsExactly(128);
    assertThat(writerClient.subscribeWithResponse("some/topic", 0).getGrantedQos()).containsExactly(128);
    assertThat(writerClient.isConnected()).isTrue();

    writerClient.publish(writer.topic(""), "allowed".getBytes(StandardCharsets.UTF_8), 1, false);
    assertThat(inbox.next().text()).isEqualTo("allowed");
    // 3.1.1 QoS 0 without m_write: dropped, the session goes on.
    readerClient.publish(reader.topic(""), "from-reader".getBytes(StandardCharsets.UTF_8), 0, false);
    // Its PUBACK (3.1.1 has no negative one) comes after the QoS 0 publish before it was handled.
    readerClient.publish(reader.topic(""), "from-reader-1".getBytes(StandardCharsets.UTF_8), 1, false);
    writerClient.publish("channels/" + other + "/messages", "foreign".getBytes(StandardCharsets.UTF_8), 0, false);
    writerClient.publish(writer.topic(""), "marker".getBytes(StandardCharsets.UTF_8), 1, false);
    inbox.assertNextIs("marker");
    assertThat(readerClient.isConnected()).isTrue();

    // MQTT 5: a refused QoS 1 publish gets PUBACK 0x87 (not authorized), and the session goes on.
    var v5 = new org.eclipse.paho.mqttv5.client.MqttAsyncClient(tcp(), "v5-reader",
        new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
    var v5Options = new org.eclipse.paho.mqttv5.client.MqttConnectionOptions();
    v5Options.setUserName(reader.id());
    v5Options.setPassword(reader.key().getBytes(StandardCharsets.UTF_8));
    v5.connect(v5Options).waitForCompletion(10_000);
    var token = v5.publish(reader.topic(""), new org.eclipse.paho.mqttv5.common.MqttMessage(
        "nope".getBytes(StandardCharsets.UTF_8), 1, false, null));
    token.waitForCompletion(10_000);
    assertThat(token.getReasonCodes()).containsExactly(0x87);
    var badTopic = v5.publish("not/a/channel", new org.eclipse.paho.mqttv5.common.MqttMessage(
        "x".getBytes(StandardCharsets.UTF_8), 1, false, null));
    badTopic.waitForCompletion(10_000);
    assertThat(badTopic.getReasonCodes()).containsExactly(0x90);
    assertThat(v5.isConnected()).isTrue();
    v5.disconnect().waitForCompletion(10_000);
    v5.close();
    writerClient.publish(writer.topic(""), "second marker".getBytes(StandardCharsets.UTF_8), 1, false);
    inbox.assertNextIs("second marker");
  }

  @Test
  void disablingAThingOrChangingItsKeyClosesItsOpenConnections() throws Exception {
    String channel = platform.channel("c");
    Device device = device(channel);
    MqttClient client = connected(device);
    MqttInbox inbox = inbox(client);
    var disabled = Await.result(platform.http.post(platform.port("things"), "127.0.0.1",
        "/things/" + device.id() + "/disable").bearerTokenAuthentication(platform.admin()).send());
    assertThat(disabled.statusCode()).isEqualTo(200);
    // Paho reports the loss on its own thread, after isConnected() turned false: wait for the report itself.
    Await.until("the connection lost", Duration.ofSeconds(10), () -> inbox.lost != null);
    assertThat(client.isConnected()).isFalse();
    Await.until("the revocation event", Duration.ofSeconds(10), () -> platform.eventsOf("mqtt.client_disconnect")
        .stream().anyMatch(e -> e.fields().getString("reason").equals("credentials_revoked")));
    MqttClient again = client(tcp(), "again");
    assertThatThrownBy(() -> again.connect(options(device, true))).isInstanceOf(MqttException.class);
  }

  @Test
  void qos1PublishersWaitForASlowSubscriberInsteadOfOverflowingIt() throws Exception {
    String channel = platform.channel("c");
    Device reader = device(channel, "m_read");
    Device writer = device(channel, "m_write");
    int perPublisher = 500;
    java.util.Set<String> received = java.util.concurrent.ConcurrentHashMap.newKeySet();
    MqttClient readerClient = client(tcp(), "slow-reader");
    readerClient.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallback() {
      @Override
      public void connectionLost(Throwable cause) { }

      @Override
      public void messageArrived(String topic, org.eclipse.paho.client.mqttv3.MqttMessage message)
          throws InterruptedException {
        received.add(new String(message.getPayload(), StandardCharsets.UTF_8));
        if (received.size() % 4 == 0) {
          // Slower than the publishers together: the broker's queue for it would fill without backpressure.
          Thread.sleep(1);
        }
      }

      @Override
      public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) { }
    });
    readerClient.connect(options(reader, true));
    readerClient.subscribe(reader.topic(""), 1);

    // Sixteen publishers, 100 QoS 1 messages in flight each, as fast as their acknowledgements allow: together
    // they have more in flight than the subscriber's queue holds (1 000), so acknowledgements alone cannot stop them.
    int publishers = 16;
    io.vertx.core.Vertx devices = io.vertx.core.Vertx.vertx();
    try {
      List<io.vertx.core.Future<Void>> sent = new ArrayList<>();
      for (int p = 0; p < publishers; p++) {
        io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
        int publisher = p;
        // Each publisher lives on one event loop: its client, its counters, its acknowledgements.
        devices.getOrCreateContext().runOnContext(v -> {
          io.vertx.mqtt.MqttClient client = io.vertx.mqtt.MqttClient.create(devices, new io.vertx.mqtt
              .MqttClientOptions().setClientId("w" + publisher).setUsername(writer.id()).setPassword(writer.key())
              .setMaxInflightQueue(100));
          int[] next = {0};
          int[] acknowledged = {0};
          Runnable pump = () -> {
            while (next[0] < perPublisher && next[0] - acknowledged[0] < 100) {
              client.publish(writer.topic(""), Buffer.buffer(publisher + "-" + next[0]++),
                  io.netty.handler.codec.mqtt.MqttQoS.AT_LEAST_ONCE, false, false);
            }
          };
          client.publishCompletionHandler(id -> {
            if (++acknowledged[0] == perPublisher) {
              done.complete();
            }
            pump.run();
          });
          client.connect(platform.port("mqtt"), "127.0.0.1").onSuccess(ack -> pump.run()).onFailure(done::fail);
        });
        sent.add(done.future());
      }
      Await.result(io.vertx.core.Future.all(sent), Duration.ofSeconds(60));
    } finally {
      Await.result(devices.close());
    }

    Await.until("every message at the slow subscriber", Duration.ofSeconds(60),
        () -> received.size() == publishers * perPublisher);
    assertThat(readerClient.isConnected()).isTrue();
    assertThat(platform.eventsOf("mqtt.client_disconnect")).noneMatch(e -> "slow_consumer".equals(
        e.fields().getString("reason")));
  }

  @Test
  void aSessionEndsWhenItsDeviceStaysAwayLongerThanItsExpiryInterval() throws Exception {
    String channel = platform.channel("c");
    Device reader = device(channel, "m_read");
    Device stranger = device(channel, "m_read");
    MqttClient writer = connected(device(channel, "m_write"));
    var v5 = new org.eclipse.paho.mqttv5.client.MqttAsyncClient(tcp(), "v5-expiring",
        new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
    V5Recorder recorder = new V5Recorder();
    v5.setCallback(recorder);
    List<String> received = recorder.received;
    var options = new org.eclipse.paho.mqttv5.client.MqttConnectionOptions();
    options.setUserName(reader.id());
    options.setPassword(reader.key().getBytes(StandardCharsets.UTF_8));
    options.setCleanStart(false);
    options.setSessionExpiryInterval(300L);
    v5.connect(options).waitForCompletion(10_000);
    v5.subscribe(reader.topic(""), 1).waitForCompletion(10_000);
    v5.disconnect().waitForCompletion(10_000);

    // Back within the interval: the session is there, with what was published meanwhile.
    writer.publish(reader.topic(""), "while-away".getBytes(StandardCharsets.UTF_8), 1, false);
    var back = v5.connect(options);
    back.waitForCompletion(10_000);
    assertThat(back.getSessionPresent()).isTrue();
    Await.until("the message kept for the session", Duration.ofSeconds(10), () -> received.contains("while-away"));

    // Leaving with a 1 s interval this time (DISCONNECT may shorten it): the session, its subscription and what
    // was published meanwhile go once it passes, which shows when another thing may take the client id.
    var oneSecond = new org.eclipse.paho.mqttv5.common.packet.MqttProperties();
    oneSecond.setSessionExpiryInterval(1L);
    v5.disconnect(1_000, null, null, 0, oneSecond).waitForCompletion(10_000);
    Await.until("the DISCONNECT sent", Duration.ofSeconds(10), () -> !v5.isConnected());
    writer.publish(reader.topic(""), "too-late".getBytes(StandardCharsets.UTF_8), 1, false);
    Await.until("the client id free for another thing", Duration.ofSeconds(20),
        () -> connectsAs(stranger, "v5-expiring"));

    // The stranger's own session ends with its connection: retry while the id is still its.
    var again = new org.eclipse.paho.mqttv5.client.IMqttToken[1];
    Await.until("the reader back", Duration.ofSeconds(10), () -> {
      try {
        again[0] = v5.connect(options);
        again[0].waitForCompletion(10_000);
        return true;
      } catch (org.eclipse.paho.mqttv5.common.MqttException e) {
        return false;
      }
    });
    assertThat(again[0].getSessionPresent()).isFalse();
    writer.publish(reader.topic(""), "after".getBytes(StandardCharsets.UTF_8), 1, false);
    v5.subscribe(reader.topic(""), 1).waitForCompletion(10_000);
    writer.publish(reader.topic(""), "marker".getBytes(StandardCharsets.UTF_8), 1, false);
    Await.until("the marker", Duration.ofSeconds(10), () -> received.contains("marker"));
    assertThat(received).as("nothing kept past the expiry, nothing delivered without the subscription")
        .containsExactly("while-away", "marker");
    v5.disconnect().waitForCompletion(10_000);
    v5.close();
  }

  /** Whether {@code device} may connect with {@code clientId} now (a session of another thing holds it: 0x85). */
  private boolean connectsAs(Device device, String clientId) {
    try {
      var client = new org.eclipse.paho.mqttv5.client.MqttClient(tcp(), clientId,
          new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
      var options = new org.eclipse.paho.mqttv5.client.MqttConnectionOptions();
      options.setUserName(device.id());
      options.setPassword(device.key().getBytes(StandardCharsets.UTF_8));
      try {
        client.connect(options);
        client.disconnect();
        return true;
      } catch (org.eclipse.paho.mqttv5.common.MqttException e) {
        assertThat(e.getReasonCode()).as("client id not valid, while the session lasts").isEqualTo(0x85);
        return false;
      } finally {
        client.close(true);
      }
    } catch (org.eclipse.paho.mqttv5.common.MqttException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void anMqtt5DisconnectWithExpiryZeroEndsTheSessionThere() throws Exception {
    Device reader = device(platform.channel("c"), "m_read");
    var v5 = new org.eclipse.paho.mqttv5.client.MqttAsyncClient(tcp(), "v5-leaving",
        new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
    var options = new org.eclipse.paho.mqttv5.client.MqttConnectionOptions();
    options.setUserName(reader.id());
    options.setPassword(reader.key().getBytes(StandardCharsets.UTF_8));
    options.setCleanStart(false);
    options.setSessionExpiryInterval(300L);
    v5.connect(options).waitForCompletion(10_000);
    v5.subscribe(reader.topic(""), 1).waitForCompletion(10_000);
    v5.disconnect().waitForCompletion(10_000);
    var back = v5.connect(options);
    back.waitForCompletion(10_000);
    assertThat(back.getSessionPresent()).as("kept after a plain DISCONNECT").isTrue();

    var endNow = new org.eclipse.paho.mqttv5.common.packet.MqttProperties();
    endNow.setSessionExpiryInterval(0L);
    v5.disconnect(1_000, null, null, 0, endNow).waitForCompletion(10_000);
    Await.until("the DISCONNECT sent", Duration.ofSeconds(10), () -> !v5.isConnected());

    var again = v5.connect(options);
    again.waitForCompletion(10_000);
    assertThat(again.getSessionPresent()).as("gone after DISCONNECT with expiry 0").isFalse();
    v5.disconnect().waitForCompletion(10_000);
    v5.close();
  }

  @Test
  void aStoppingNodeTellsItsDevicesWhyBeforeItCloses() throws Exception {
    Device device = device(platform.channel("c"));
    var v5 = new org.eclipse.paho.mqttv5.client.MqttClient(tcp(), "v5-stopping",
        new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
    var v5Options = new org.eclipse.paho.mqttv5.client.MqttConnectionOptions();
    v5Options.setUserName(device.id());
    v5Options.setPassword(device.key().getBytes(StandardCharsets.UTF_8));
    V5Recorder recorder = new V5Recorder();
    v5.setCallback(recorder);
    v5.connect(v5Options);

    platform.close();
    platformStopped = true;

    Await.until("the DISCONNECT", Duration.ofSeconds(10), () -> recorder.disconnectReason.get() >= 0);
    assertThat(recorder.disconnectReason.get()).as("server shutting down").isEqualTo(0x8B);
    v5.close(true);
  }

  // ---- QoS ----

  @Test
  void deliversQos0And1And2EndToEndAtTheLowerOfTheTwoQosLevels() throws Exception {
    String channel = platform.channel("c");
    Device subscriber = device(channel, "m_read");
    Device publisher = device(channel, "m_write");
    MqttClient sub = connected(subscriber);
    MqttInbox inbox = inbox(sub);
    sub.subscribe(subscriber.topic("q2"), 2);
    sub.subscribe(subscriber.topic("q1"), 1);
    MqttClient pub = client(tcp(), "qos-publisher");
    MqttConnectOptions many = options(publisher, true);
    many.setMaxInflight(1000);
    pub.connect(many);

    for (int qos = 0; qos <= 2; qos++) {
      pub.publish(publisher.topic("q2"), ("qos" + qos).getBytes(StandardCharsets.UTF_8), qos, false);
      MqttInbox.Received received = inbox.next();
      assertThat(received.text()).isEqualTo("qos" + qos);
      assertThat(received.topic()).isEqualTo(subscriber.topic("q2"));
      assertThat(received.message().getQos()).isEqualTo(qos);
    }
    pub.publish(publisher.topic("q1"), "capped".getBytes(StandardCharsets.UTF_8), 2, false);
    assertThat(inbox.next().message().getQos()).isEqualTo(1);

    // 200 QoS 2 messages arrive exactly once and in order.
    for (int i = 0; i < 200; i++) {
      pub.publish(publisher.topic("q2"), ("m" + i).getBytes(StandardCharsets.UTF_8), 2, false);
    }
    for (int i = 0; i < 200; i++) {
      assertThat(inbox.next().text()).isEqualTo("m" + i);
    }
    pub.publish(publisher.topic("q2"), "marker".getBytes(StandardCharsets.UTF_8), 2, false);
    inbox.assertNextIs("marker");
  }

  @Test
  void wildcardSubtopicsMatchByMqttRules() throws Exception {
    String channel = platform.channel("c");
    Device subscriber = device(channel, "m_read");
    Device publisher = device(channel, "m_write");
    MqttClient sub = connected(subscriber);
    MqttInbox inbox = inbox(sub);
    sub.subscribe(subscriber.topic("+/temp"), 0);
    MqttClient pub = connected(publisher);
    pub.publish(publisher.topic("r1/temp"), "a".getBytes(StandardCharsets.UTF_8), 1, false);
    pub.publish(publisher.topic("r1/hum"), "b".getBytes(StandardCharsets.UTF_8), 1, false);
    pub.publish(publisher.topic("r1/x/temp"), "c".getBytes(StandardCharsets.UTF_8), 1, false);
    assertThat(inbox.next().text()).isEqualTo("a");
    pub.publish(publisher.topic("r9/temp"), "marker".getBytes(StandardCharsets.UTF_8), 1, false);
    inbox.assertNextIs("marker");

    sub.subscribe(subscriber.topic("#"), 0);
    pub.publish(publisher.topic(""), "bare".getBytes(StandardCharsets.UTF_8), 1, false);
    pub.publish(publisher.topic("r2/temp"), "once".getBytes(StandardCharsets.UTF_8), 1, false);
    assertThat(inbox.next().text()).isEqualTo("bare");
    assertThat(inbox.next().text()).isEqualTo("once");
    pub.publish(publisher.topic("r3/x"), "second marker".getBytes(StandardCharsets.UTF_8), 1, false);
    inbox.assertNextIs("second marker");

    sub.unsubscribe(subscriber.topic("#"));
    DomainEvent unsubscribed = awaitEvent("mqtt.client_unsubscribe", 1);
    assertThat(unsubscribed.fields().getString("channel_id")).isEqualTo(channel);
    assertThat(unsubscribed.fields().getString("subtopic")).isEqualTo("#");
    DomainEvent subscribed = awaitEvent("mqtt.client_subscribe", 1);
    assertThat(subscribed.fields().getString("thing_id")).isEqualTo(subscriber.id());
    assertThat(subscribed.fields().getString("subtopic")).isEqualTo("+/temp");
    assertThat(subscribed.fields().getInteger("qos")).isZero();
  }

  // ---- sessions, wills, retained ----

  @Test
  void aPersistentSessionGetsWhatItMissed() throws Exception {
    String channel = platform.channel("c");
    Device subscriber = device(channel, "m_read");
    Device publisher = device(channel, "m_write");
    MqttClient sub = client(tcp(), "persistent-1");
    sub.connect(options(subscriber, false));
    sub.subscribe(subscriber.topic(""), 1);
    sub.disconnect();
    awaitEvent("mqtt.client_disconnect", 1);
    assertThat(platform.eventsOf("mqtt.client_disconnect").get(0).fields().getString("reason"))
        .isEqualTo("client_disconnect");

    MqttClient pub = connected(publisher);
    for (int i = 0; i < 3; i++) {
      pub.publish(publisher.topic(""), ("missed-" + i).getBytes(StandardCharsets.UTF_8), 1, false);
    }
    pub.publish(publisher.topic(""), "qos0-is-not-kept".getBytes(StandardCharsets.UTF_8), 0, false);

    MqttClient again = client(tcp(), "persistent-1");
    MqttInbox inbox = inbox(again);
    again.connect(options(subscriber, false));
    for (int i = 0; i < 3; i++) {
      assertThat(inbox.next().text()).isEqualTo("missed-" + i);
    }
    // The subscription itself survived too; and the QoS 0 message was not kept, or it would come before this.
    pub.publish(publisher.topic(""), "live".getBytes(StandardCharsets.UTF_8), 1, false);
    inbox.assertNextIs("live");
  }

  @Test
  void aWillIsPublishedWhenADeviceVanishesButNotAfterDisconnect() throws Exception {
    String channel = platform.channel("c");
    Device watcher = device(channel, "m_read");
    Device mortal = device(channel, "m_write");
    MqttClient watching = connected(watcher);
    MqttInbox inbox = inbox(watching);
    watching.subscribe(watcher.topic("status"), 1);

    MqttConnectOptions politeWill = options(mortal, true);
    politeWill.setWill(mortal.topic("status"), "polite gone".getBytes(StandardCharsets.UTF_8), 1, false);
    MqttClient polite = client(tcp(), "polite");
    polite.connect(politeWill);
    // Once the right is cached, a will would be routed as the connection closes, before its disconnect event.
    polite.publish(mortal.topic("status"), "hello".getBytes(StandardCharsets.UTF_8), 1, false);
    assertThat(inbox.nextText()).isEqualTo("hello");
    polite.disconnect();
    Await.until("the polite disconnect event", Duration.ofSeconds(10), () -> platform.eventsOf(
        "mqtt.client_disconnect").stream().anyMatch(e -> "polite".equals(e.fields().getString("client_id"))));

    MqttConnectOptions withWill = options(mortal, true);
    withWill.setWill(mortal.topic("status"), "gone".getBytes(StandardCharsets.UTF_8), 1, false);
    MqttClient abrupt = client(tcp(), "abrupt");
    abrupt.connect(withWill);
    abrupt.disconnectForcibly(0, 100, false);
    inbox.assertNextIs("gone");
    Await.until("the lost connection's event", Duration.ofSeconds(10), () -> platform.eventsOf(
        "mqtt.client_disconnect").stream().anyMatch(e -> e.fields().getString("reason").equals("connection_lost")));
  }

  @Test
  void aLateSubscriberGetsTheRetainedMessage() throws Exception {
    String channel = platform.channel("c");
    Device publisher = device(channel, "m_write");
    Device late = device(channel, "m_read");
    MqttClient pub = connected(publisher);
    pub.publish(publisher.topic("config"), "v1".getBytes(StandardCharsets.UTF_8), 1, true);
    pub.publish(publisher.topic("config"), "v2".getBytes(StandardCharsets.UTF_8), 1, true);
    pub.publish(publisher.topic("other"), "not retained".getBytes(StandardCharsets.UTF_8), 1, false);

    MqttClient sub = connected(late);
    MqttInbox inbox = inbox(sub);
    sub.subscribe(late.topic("#"), 1);
    MqttInbox.Received retained = inbox.next();
    assertThat(retained.text()).isEqualTo("v2");
    assertThat(retained.message().isRetained()).isTrue();
    // The retained messages of a subscription are sent together: any other would come before this live one.
    pub.publish(publisher.topic("live"), "marker".getBytes(StandardCharsets.UTF_8), 1, false);
    inbox.assertNextIs("marker");

    // An empty retained payload clears it.
    pub.publish(publisher.topic("config"), new byte[0], 1, true);
    inbox.next();
    pub.publish(publisher.topic("kept"), "kept".getBytes(StandardCharsets.UTF_8), 1, true);
    inbox.next();
    MqttClient later = connected(late);
    MqttInbox laterInbox = inbox(later);
    later.subscribe(late.topic("#"), 1);
    laterInbox.assertNextIs("kept");
    pub.publish(publisher.topic("live"), "second marker".getBytes(StandardCharsets.UTF_8), 1, false);
    laterInbox.assertNextIs("second marker");
  }

  @Test
  void oneThingCannotTakeOverAnotherThingsSessionButItsOwnReconnectDoes() throws Exception {
    String channel = platform.channel("c");
    Device first = device(channel);
    Device second = device(channel);
    MqttClient owner = client(tcp(), "shared-id");
    owner.connect(options(first, true));
    MqttClient intruder = client(tcp(), "shared-id");
    assertThatThrownBy(() -> intruder.connect(options(second, true))).isInstanceOfSatisfying(MqttException.class,
        e -> assertThat(e.getReasonCode()).isEqualTo(MqttException.REASON_CODE_INVALID_CLIENT_ID));
    assertThat(owner.isConnected()).isTrue();

    MqttClient replacement = client(tcp(), "shared-id");
    MqttInbox ownerInbox = inbox(owner);
    replacement.connect(options(first, true));
    Await.until("the old connection closed", Duration.ofSeconds(10), () -> !owner.isConnected());
    assertThat(replacement.isConnected()).isTrue();
    Await.until("the takeover event", Duration.ofSeconds(10), () -> platform.eventsOf("mqtt.client_disconnect")
        .stream().anyMatch(e -> e.fields().getString("reason").equals("session_taken_over")));
    assertThat(ownerInbox.lost).isNotNull();
  }

  // ---- transports and limits ----

  @Test
  void worksOverWebSocket() throws Exception {
    String channel = platform.channel("c");
    Device device = device(channel);
    MqttClient ws = client("ws://127.0.0.1:" + platform.port("ws") + "/mqtt", "ws-client");
    MqttInbox inbox = inbox(ws);
    ws.connect(options(device, true));
    ws.subscribe(device.topic("echo"), 1);
    MqttClient tcpClient = connected(device);
    tcpClient.publish(device.topic("echo"), "over tcp".getBytes(StandardCharsets.UTF_8), 1, false);
    assertThat(inbox.next().text()).isEqualTo("over tcp");
  }

  @Test
  @org.junit.jupiter.api.Timeout(60)
  void aMessageTooLargeClosesThatConnectionOnly() throws Exception {
    String channel = platform.channel("c");
    Device device = device(channel);
    MqttClient bystander = connected(device);
    MqttInbox bystanderInbox = inbox(bystander);
    bystander.subscribe(device.topic(""), 0);
    // The asynchronous client, so the test never waits on a write the server refuses to read.
    var big = new org.eclipse.paho.client.mqttv3.MqttAsyncClient(tcp(), "too-big", new MemoryPersistence());
    MqttInbox bigInbox = new MqttInbox();
    big.setCallback(bigInbox);
    big.connect(options(device, true)).waitForCompletion(10_000);
    big.publish(device.topic(""), new byte[70_000], 0, false);
    // Paho marks the client disconnected before it calls connectionLost on its own thread: wait for the call.
    Await.until("the oversized connection closed", Duration.ofSeconds(20),
        () -> !big.isConnected() && bigInbox.lost != null);
    big.close(true);
    Await.until("its disconnect event", Duration.ofSeconds(10), () -> platform.eventsOf("mqtt.client_disconnect")
        .stream().anyMatch(e -> e.fields().getString("reason").equals("message_too_large")));
    MqttClient fine = connected(device);
    fine.publish(device.topic(""), new byte[60_000], 0, false);
    assertThat(bystanderInbox.next().message().getPayload()).hasSize(60_000);
    assertThat(bystander.isConnected()).isTrue();
  }

  @Test
  void aMalformedPacketOnAnMqtt5ConnectionClosesItWithoutAnUnhandledError() throws Exception {
    java.util.Queue<Throwable> unhandled = new java.util.concurrent.ConcurrentLinkedQueue<>();
    platform.node.vertx().exceptionHandler(unhandled::add);
    Device device = device(platform.channel("c"));
    try (var socket = new java.net.Socket("127.0.0.1", platform.port("mqtt"))) {
      socket.setSoTimeout(10_000);
      var out = socket.getOutputStream();
      out.write(RawPackets.connect(5, "raw-5", device.id(), device.key(), 60));
      out.flush();
      var in = socket.getInputStream();
      assertThat(in.read()).as("CONNACK").isEqualTo(0x20);
      int length = in.read();
      assertThat(in.readNBytes(length)[1]).as("reason code success").isZero();
      // Packet type 0 is reserved: the decoder refuses it.
      out.write(new byte[] {0x00, 0x00});
      out.flush();
      int b;
      while ((b = in.read()) != -1) {
        // A DISCONNECT with its reason may come first; then the server closes.
      }
    }
    Await.until("the disconnect event", Duration.ofSeconds(10), () -> platform.eventsOf("mqtt.client_disconnect")
        .stream().anyMatch(e -> "raw-5".equals(e.fields().getString("client_id"))));
    assertThat(unhandled).as("errors no handler took").isEmpty();
  }

  @Test
  void packetsBeforeConnectCloseTheConnectionWithOneShortLineAndNoStackTrace() throws Exception {
    var logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.fluxgate.node.UnhandledErrors");
    var lines = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
    lines.start();
    logger.addAppender(lines);
    var root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    var everything = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
    everything.start();
    root.addAppender(everything);
    try {
      for (int i = 0; i < 20; i++) {
        try (var socket = new java.net.Socket("127.0.0.1", platform.port("mqtt"))) {
          socket.setSoTimeout(10_000);
          // A QoS 0 PUBLISH to topic "a" with payload "hi", and no CONNECT before it.
          socket.getOutputStream().write(new byte[] {0x30, 0x05, 0x00, 0x01, 0x61, 0x68, 0x69});
          assertThat(socket.getInputStream().read()).as("the server closes the connection").isEqualTo(-1);
        }
      }
      Await.until("the first line", Duration.ofSeconds(10), () -> !lines.list.isEmpty());
      assertThat(lines.list).as("rate-limited").hasSizeLessThanOrEqualTo(2)
          .allSatisfy(line -> {
            assertThat(line.getLevel()).isEqualTo(ch.qos.logback.classic.Level.INFO);
            assertThat(line.getThrowableProxy()).as("no stack trace").isNull();
          });
      assertThat(everything.list).as("no stack trace anywhere for a client's mistake")
          .allSatisfy(line -> assertThat(line.getThrowableProxy()).isNull());
    } finally {
      logger.detachAppender(lines);
      root.detachAppender(everything);
    }
  }

  @Test
  void aResetConnectionIsRecordedAsLostNotAsAProtocolError() throws Exception {
    Device device = device(platform.channel("c"));
    try (var socket = new java.net.Socket("127.0.0.1", platform.port("mqtt"))) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(RawPackets.connect(5, "reset-5", device.id(), device.key(), 60));
      var in = socket.getInputStream();
      assertThat(in.read()).as("CONNACK").isEqualTo(0x20);
      in.readNBytes(in.read());
      // Linger 0: closing sends a TCP reset instead of a FIN.
      socket.setSoLinger(true, 0);
    }
    Await.until("the disconnect event", Duration.ofSeconds(10), () -> platform.eventsOf("mqtt.client_disconnect")
        .stream().anyMatch(e -> "reset-5".equals(e.fields().getString("client_id"))));
    assertThat(platform.eventsOf("mqtt.client_disconnect").stream()
        .filter(e -> "reset-5".equals(e.fields().getString("client_id"))).findFirst().orElseThrow()
        .fields().getString("reason")).isEqualTo("connection_lost");
  }

  @Test
  void anHttpPostReachesAnMqttSubscriber() throws Exception {
    String channel = platform.channel("c");
    Device device = device(channel);
    MqttClient sub = connected(device);
    MqttInbox inbox = inbox(sub);
    sub.subscribe(device.topic("#"), 1);

    var response = Await.result(platform.http.post(platform.port("http"), "127.0.0.1",
            "/channels/" + channel + "/messages/senml")
        .putHeader("Authorization", "Thing " + device.key()).putHeader("Content-Type", "application/senml+json")
        .sendBuffer(Buffer.buffer("[{\"n\":\"temp\",\"v\":21.5}]")));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(202);
    MqttInbox.Received received = inbox.next();
    assertThat(received.topic()).isEqualTo(device.topic("senml"));
    assertThat(received.text()).isEqualTo("[{\"n\":\"temp\",\"v\":21.5}]");

    var wrongKey = Await.result(platform.http.post(platform.port("http"), "127.0.0.1",
            "/channels/" + channel + "/messages").putHeader("Authorization", "Thing nope")
        .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("{}")));
    assertThat(wrongKey.statusCode()).isEqualTo(401);
    Device stranger = device(platform.channel("elsewhere"));
    var notConnected = Await.result(platform.http.post(platform.port("http"), "127.0.0.1",
            "/channels/" + channel + "/messages").putHeader("Authorization", "Thing " + stranger.key())
        .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("{}")));
    assertThat(notConnected.statusCode()).isEqualTo(403);
    var marker = Await.result(platform.http.post(platform.port("http"), "127.0.0.1",
            "/channels/" + channel + "/messages/senml")
        .putHeader("Authorization", "Thing " + device.key()).putHeader("Content-Type", "text/plain")
        .sendBuffer(Buffer.buffer("marker")));
    assertThat(marker.statusCode()).isEqualTo(202);
    inbox.assertNextIs("marker");
  }
}
