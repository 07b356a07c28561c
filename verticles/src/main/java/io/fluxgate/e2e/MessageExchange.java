package io.fluxgate.e2e;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.common.MqttSubscription;

/**
 * Devices talking on their channels: every thing connects over MQTT (3.1.1 and 5 alternately), subscribes to
 * every channel, publishes at QoS 0, 1 and 2 and over the HTTP adapter, and must receive every message
 * published on its channels.
 */
final class MessageExchange implements AutoCloseable {

  // Paho 5 logs every packet at INFO through java.util.logging: the run's own output says what matters.
  private static final java.util.logging.Logger PAHO = java.util.logging.Logger.getLogger("org.eclipse.paho");

  static {
    PAHO.setLevel(java.util.logging.Level.WARNING);
  }

  /** A thing as a device knows itself. */
  record Device(String id, String key) {}

  private static final long DELIVERY_TIMEOUT_NANOS = 30_000_000_000L;

  private final EndToEndRun.Target target;
  private final CallTimings timings;
  private final Pacer pacer;
  private final String prefix;
  private final List<DeviceSession> sessions = new ArrayList<>();

  MessageExchange(EndToEndRun.Target target, CallTimings timings, Pacer pacer, String prefix) {
    this.target = target;
    this.timings = timings;
    this.pacer = pacer;
    this.prefix = prefix;
  }

  /** Connects each device and subscribes it to every channel. */
  void connect(List<Device> devices, List<String> channels) {
    for (int i = 0; i < devices.size(); i++) {
      Device device = devices.get(i);
      DeviceSession session = i % 2 == 0 ? new Mqtt3Session(device) : new Mqtt5Session(device);
      sessions.add(session);
      String clientId = prefix + "-" + i;
      timed("mqtt.connect", () -> session.connect(clientId));
      for (String channel : channels) {
        timed("mqtt.subscribe", () -> session.subscribe("channels/" + channel + "/messages/#"));
      }
    }
  }

  /** Publishes {@code perPair} MQTT messages per device and channel (QoS 0, 1, 2 in turn) and one over HTTP. */
  void publish(List<String> channels, int perPair, PlatformClient rest) {
    for (DeviceSession session : sessions) {
      for (String channel : channels) {
        for (int k = 0; k < perPair; k++) {
          int qos = k % 3;
          String id = prefix + "/" + session.device.id() + "/" + channel + "/" + k;
          byte[] payload = new JsonObject().put("id", id).put("qos", qos).encode().getBytes(StandardCharsets.UTF_8);
          pacer.await();
          timed("mqtt.publish_qos" + qos, () -> session.publish("channels/" + channel + "/messages/e2e", payload,
              qos));
          expect(channel, id);
        }
        String id = prefix + "/" + session.device.id() + "/" + channel + "/http";
        JsonArray senml = new JsonArray().add(new JsonObject().put("bn", id).put("n", "temperature")
            .put("u", "Cel").put("v", 21.5));
        rest.send("http.publish", PlatformClient.Service.HTTP_ADAPTER, "POST", "/channels/" + channel
            + "/messages/e2e", "Thing " + session.device.key(), senml, "application/senml+json", 202);
        expect(channel, id);
      }
    }
  }

  /** Waits until every device has every message of its channels; fails naming what is missing. */
  void awaitDelivery() {
    long deadline = System.nanoTime() + DELIVERY_TIMEOUT_NANOS;
    while (true) {
      String missing = missing();
      if (missing == null) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new CallFailed("message delivery: " + missing + " after " + DELIVERY_TIMEOUT_NANOS / 1_000_000_000L
            + " s");
      }
      LockSupport.parkNanos(20_000_000L);
    }
  }

  /** Unsubscribes every device from every channel, then disconnects it. */
  @Override
  public void close() {
    for (DeviceSession session : sessions) {
      for (String filter : session.filters) {
        timed("mqtt.unsubscribe", () -> session.unsubscribe(filter));
      }
      timed("mqtt.disconnect", session::disconnect);
    }
    sessions.clear();
  }

  private final Map<String, Set<String>> expected = new ConcurrentHashMap<>();

  private void expect(String channel, String id) {
    expected.computeIfAbsent(channel, c -> ConcurrentHashMap.newKeySet()).add(id);
  }

  private String missing() {
    for (DeviceSession session : sessions) {
      for (Map.Entry<String, Set<String>> channel : expected.entrySet()) {
        Set<String> got = session.received.getOrDefault(channel.getKey(), Set.of());
        List<String> lost = channel.getValue().stream().filter(id -> !got.contains(id)).toList();
        if (!lost.isEmpty()) {
          return "thing " + session.device.id() + " lacks " + lost.size() + " of " + channel.getValue().size()
              + " messages of channel " + channel.getKey() + " (for instance " + lost.get(0) + ")";
        }
      }
    }
    return null;
  }

  private void timed(String call, MqttCall action) {
    long start = System.nanoTime();
    try {
      action.run();
    } catch (Exception e) {
      throw new CallFailed(call + " on " + target.host() + ":" + target.mqttPort() + ": " + e);
    }
    timings.record(call, System.nanoTime() - start);
  }

  @FunctionalInterface
  private interface MqttCall {
    void run() throws Exception;
  }

  /** One device's MQTT connection and what it received, by channel. */
  private abstract static class DeviceSession {
    final Device device;
    final List<String> filters = new ArrayList<>();
    final Map<String, Set<String>> received = new ConcurrentHashMap<>();

    DeviceSession(Device device) {
      this.device = device;
    }

    abstract void connect(String clientId) throws Exception;

    abstract void subscribe(String filter) throws Exception;

    abstract void publish(String topic, byte[] payload, int qos) throws Exception;

    abstract void unsubscribe(String filter) throws Exception;

    abstract void disconnect() throws Exception;

    void arrived(String topic, byte[] payload) {
      String[] levels = topic.split("/");
      if (levels.length < 2) {
        return;
      }
      String id = messageId(new String(payload, StandardCharsets.UTF_8));
      if (id != null) {
        received.computeIfAbsent(levels[1], c -> ConcurrentHashMap.newKeySet()).add(id);
      }
    }

    private static String messageId(String text) {
      try {
        return text.startsWith("[") ? new JsonArray(text).getJsonObject(0).getString("bn")
            : new JsonObject(text).getString("id");
      } catch (RuntimeException notOurs) {
        return null;
      }
    }
  }

  private final class Mqtt3Session extends DeviceSession {
    private org.eclipse.paho.client.mqttv3.MqttClient client;

    Mqtt3Session(Device device) {
      super(device);
    }

    @Override
    void connect(String clientId) throws MqttException {
      client = new org.eclipse.paho.client.mqttv3.MqttClient("tcp://" + target.host() + ":" + target.mqttPort(),
          clientId, new MemoryPersistence());
      MqttConnectOptions options = new MqttConnectOptions();
      options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
      options.setUserName(device.id());
      options.setPassword(device.key().toCharArray());
      options.setCleanSession(true);
      options.setMaxInflight(1000);
      client.connect(options);
    }

    @Override
    void subscribe(String filter) throws MqttException {
      var token = client.subscribeWithResponse(new String[] {filter}, new int[] {2},
          new org.eclipse.paho.client.mqttv3.IMqttMessageListener[] {(topic, message) -> arrived(topic,
              message.getPayload())});
      int[] granted = token.getGrantedQos();
      if (granted == null || granted.length == 0 || granted[0] == 0x80) {
        throw new IllegalStateException("subscription to " + filter + " refused");
      }
      filters.add(filter);
    }

    @Override
    void publish(String topic, byte[] payload, int qos) throws MqttException {
      client.publish(topic, payload, qos, false);
    }

    @Override
    void unsubscribe(String filter) throws MqttException {
      client.unsubscribe(filter);
    }

    @Override
    void disconnect() throws MqttException {
      client.disconnect();
      client.close();
    }
  }

  private final class Mqtt5Session extends DeviceSession {
    private org.eclipse.paho.mqttv5.client.MqttClient client;

    Mqtt5Session(Device device) {
      super(device);
    }

    @Override
    void connect(String clientId) throws org.eclipse.paho.mqttv5.common.MqttException {
      client = new org.eclipse.paho.mqttv5.client.MqttClient("tcp://" + target.host() + ":" + target.mqttPort(),
          clientId, new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
      MqttConnectionOptions options = new MqttConnectionOptions();
      options.setUserName(device.id());
      options.setPassword(device.key().getBytes(StandardCharsets.UTF_8));
      options.setCleanStart(true);
      options.setReceiveMaximum(1000);
      client.connect(options);
    }

    @Override
    void subscribe(String filter) throws org.eclipse.paho.mqttv5.common.MqttException {
      var token = client.subscribe(new MqttSubscription[] {new MqttSubscription(filter, 2)},
          new org.eclipse.paho.mqttv5.client.IMqttMessageListener[] {(topic, message) -> arrived(topic,
              message.getPayload())});
      int[] codes = token.getReasonCodes();
      if (codes == null || codes.length == 0 || codes[0] >= 0x80) {
        throw new IllegalStateException("subscription to " + filter + " refused (reason code "
            + (codes == null || codes.length == 0 ? "none" : "0x" + Integer.toHexString(codes[0])) + ")");
      }
      filters.add(filter);
    }

    @Override
    void publish(String topic, byte[] payload, int qos) throws org.eclipse.paho.mqttv5.common.MqttException {
      client.publish(topic, payload, qos, false);
    }

    @Override
    void unsubscribe(String filter) throws org.eclipse.paho.mqttv5.common.MqttException {
      client.unsubscribe(filter);
    }

    @Override
    void disconnect() throws org.eclipse.paho.mqttv5.common.MqttException {
      client.disconnect();
      client.close();
    }
  }
}
