package io.fluxgate.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.testing.Await;
import io.fluxgate.testing.MqttInbox;
import io.fluxgate.testing.PlatformNode;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.SocketFactory;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QoS 0 flow control on a real node with real sockets: a publisher flat out is held back through TCP while a
 * subscriber of its channel is behind, and a subscriber that stays behind past the byte bound and the time is cut off
 * so the others go on.
 */
class MqttFlowControlTest {

  private static final int PAYLOAD = 1024;

  @TempDir
  Path dataDir;

  PlatformNode platform;
  MqttClient paho;

  @AfterEach
  void stop() throws Exception {
    if (paho != null) {
      if (paho.isConnected()) {
        paho.disconnectForcibly(100, 100);
      }
      paho.close(true);
    }
    if (platform != null) {
      platform.close();
    }
  }

  private void start(String slowConsumerBytes, String slowConsumerTime) {
    platform = PlatformNode.start(PlatformNode.env("flow-node", dataDir, "users,things,mqtt",
        Map.of("FG_MQTT_INSTANCES", "2", "FG_MQTT_SLOW_CONSUMER_BYTES", slowConsumerBytes,
            "FG_MQTT_SLOW_CONSUMER_TIME", slowConsumerTime)), false);
  }

  private JsonObject thing(String channel, String action) {
    JsonObject thing = platform.thing("flow-" + action);
    platform.connect(thing.getString("id"), channel, action);
    return thing;
  }

  private static String key(JsonObject thing) {
    return thing.getJsonObject("credentials").getString("secret");
  }

  private static String topic(String channel) {
    return "channels/" + channel + "/messages/flow";
  }

  /** A payload of {@link #PAYLOAD} bytes that starts with its sequence number. */
  private static byte[] payload(int seq) {
    byte[] payload = new byte[PAYLOAD];
    ByteBuffer.wrap(payload).putInt(seq);
    return payload;
  }

  /**
   * A Paho subscriber whose socket takes at most 8 KiB (no autotuning), so what it has not read waits in the node
   * and not in the kernel; {@code slowly} sleeps 1 ms every 10 messages on Paho's callback thread, which stops its
   * reading meanwhile.
   */
  private MqttClient subscriber(JsonObject reader, String channel, boolean slowly, AtomicInteger received,
      AtomicBoolean inOrder) throws Exception {
    MqttClient client = new MqttClient("tcp://127.0.0.1:" + platform.port("mqtt"), "sub-" + System.nanoTime(),
        new MemoryPersistence());
    client.setCallback(new MqttCallback() {
      @Override
      public void connectionLost(Throwable cause) { }

      @Override
      public void messageArrived(String topic, MqttMessage message) throws InterruptedException {
        int seq = ByteBuffer.wrap(message.getPayload()).getInt();
        if (seq != received.getAndIncrement()) {
          inOrder.set(false);
        }
        if (slowly && seq % 10 == 0) {
          Thread.sleep(1);
        }
      }

      @Override
      public void deliveryComplete(IMqttDeliveryToken token) { }
    });
    MqttConnectOptions options = MqttInbox.signIn(reader);
    options.setSocketFactory(new SmallReceiveBuffer());
    client.connect(options);
    client.subscribe(topic(channel), 0);
    return client;
  }

  /** Sockets with an 8 KiB receive buffer, set before connecting so the kernel does not grow it. */
  private static final class SmallReceiveBuffer extends SocketFactory {
    @Override
    public Socket createSocket() throws java.io.IOException {
      Socket socket = new Socket();
      socket.setReceiveBufferSize(8192);
      return socket;
    }

    @Override
    public Socket createSocket(String host, int port) throws java.io.IOException {
      Socket socket = createSocket();
      socket.connect(new InetSocketAddress(host, port));
      return socket;
    }

    @Override
    public Socket createSocket(String host, int port, java.net.InetAddress local, int localPort) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Socket createSocket(java.net.InetAddress host, int port) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Socket createSocket(java.net.InetAddress host, int port, java.net.InetAddress local, int localPort) {
      throw new UnsupportedOperationException();
    }
  }

  /**
   * A device that publishes {@code count} QoS 0 messages as fast as its socket takes them, from a thread of its
   * own; {@code full} is set when its send buffer was full (the node stopped reading it). Returns the thread.
   */
  private Thread publisher(JsonObject writer, String channel, int count, AtomicBoolean full,
      AtomicReference<Throwable> failure) {
    Thread thread = new Thread(() -> {
      try (SocketChannel socket = SocketChannel.open()) {
        socket.setOption(java.net.StandardSocketOptions.SO_SNDBUF, 16 * 1024);
        socket.connect(new InetSocketAddress("127.0.0.1", platform.port("mqtt")));
        socket.socket().getOutputStream().write(RawPackets.connect(4, "pub-" + System.nanoTime(),
            writer.getString("id"), key(writer), 60));
        assertThat(RawPackets.skipPacket(socket.socket().getInputStream())).as("CONNACK").isEqualTo(0x20);
        socket.configureBlocking(false);
        String topic = topic(channel);
        for (int seq = 0; seq < count; seq++) {
          ByteBuffer packet = ByteBuffer.wrap(RawPackets.publish(topic, payload(seq)));
          while (packet.hasRemaining()) {
            if (socket.write(packet) == 0) {
              full.set(true);
              Thread.sleep(1);
            }
          }
        }
        // QoS 0 has no acknowledgement: a PINGRESP after the last PUBLISH says the node read them all.
        socket.configureBlocking(true);
        socket.socket().getOutputStream().write(new byte[] {(byte) 0xC0, 0});
        var in = socket.socket().getInputStream();
        int first;
        while ((first = RawPackets.skipPacket(in)) != 0xD0) {
          assertThat(first).as("the connection stays open until PINGRESP").isNotNegative();
        }
      } catch (Throwable e) {
        failure.set(e);
      }
    }, "qos0-publisher");
    thread.start();
    return thread;
  }

  @Test
  void aQos0PublisherFlatOutIsHeldBackForASlowSubscriberAndItLosesNothing() throws Exception {
    // A bound far below what the publisher sends, and more time than the test takes: nobody is cut off.
    start("131072", "120s");
    String channel = platform.channel("flow");
    JsonObject reader = thing(channel, "m_read");
    JsonObject writer = thing(channel, "m_write");
    AtomicInteger received = new AtomicInteger();
    AtomicBoolean inOrder = new AtomicBoolean(true);
    paho = subscriber(reader, channel, true, received, inOrder);

    int count = 20_000;
    AtomicBoolean full = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread publishing = publisher(writer, channel, count, full, failure);
    publishing.join(120_000);
    assertThat(failure.get()).as("the publisher").isNull();
    try {
      Await.until("every message at the slow subscriber", Duration.ofSeconds(30), () -> received.get() >= count);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + " (" + received.get() + " of " + count + " received)", e);
    }

    assertThat(received.get()).isEqualTo(count);
    assertThat(inOrder.get()).as("in order, none missing").isTrue();
    assertThat(full.get()).as("the publisher's socket was not read while the subscriber was behind").isTrue();
    assertThat(paho.isConnected()).isTrue();
    assertThat(platform.eventsOf("mqtt.client_disconnect")).noneMatch(e -> "slow_consumer".equals(
        e.fields().getString("reason")));
  }

  @Test
  void aSubscriberThatStopsReadingIsCutOffAndThePublisherAndTheOtherSubscriberGoOn() throws Exception {
    start("65536", "1s");
    String channel = platform.channel("flow");
    JsonObject reader = thing(channel, "m_read");
    JsonObject writer = thing(channel, "m_write");
    AtomicInteger received = new AtomicInteger();
    AtomicBoolean inOrder = new AtomicBoolean(true);
    paho = subscriber(reader, channel, false, received, inOrder);

    try (Socket stalled = new Socket()) {
      // Subscribes, then never reads again.
      stalled.setReceiveBufferSize(4096);
      stalled.connect(new InetSocketAddress("127.0.0.1", platform.port("mqtt")));
      stalled.getOutputStream().write(RawPackets.connect(4, "stalled", reader.getString("id"), key(reader), 60));
      assertThat(RawPackets.skipPacket(stalled.getInputStream())).as("CONNACK").isEqualTo(0x20);
      stalled.getOutputStream().write(RawPackets.subscribe(1, topic(channel), 0));
      assertThat(RawPackets.skipPacket(stalled.getInputStream())).as("SUBACK").isEqualTo(0x90);

      // 20 MiB: more than the kernel buffers of the stalled connection and the bound together.
      int count = 20_000;
      AtomicBoolean full = new AtomicBoolean();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread publishing = publisher(writer, channel, count, full, failure);

      Await.until("the stalled subscriber cut off", Duration.ofSeconds(60), () -> platform
          .eventsOf("mqtt.client_disconnect").stream().anyMatch(e -> "stalled".equals(e.fields().getString("client_id"))));
      assertThat(platform.eventsOf("mqtt.client_disconnect").stream()
          .filter(e -> "stalled".equals(e.fields().getString("client_id"))).findFirst().orElseThrow()
          .fields().getString("reason")).isEqualTo("slow_consumer");

      publishing.join(120_000);
      assertThat(failure.get()).as("the publisher").isNull();
      assertThat(publishing.isAlive()).as("the publisher went on").isFalse();
      Await.until("every message at the other subscriber", Duration.ofSeconds(60), () -> received.get() >= count);
      assertThat(received.get()).isEqualTo(count);
      assertThat(inOrder.get()).as("in order, none missing").isTrue();
    }
  }
}
