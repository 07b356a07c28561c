package io.fluxgate.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.testing.Await;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttServer;
import io.vertx.mqtt.MqttServerOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The coalescing handler on a real vertx-mqtt server: it must reach the socket, and must not hold packets back. */
class FlushCoalescingTest {

  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    Await.result(vertx.close());
  }

  @Test
  void deliversEveryPacketOfABurstInOrder() {
    AtomicBoolean installed = new AtomicBoolean();
    int port = serve(endpoint -> {
      installed.set(FlushCoalescing.install(endpoint));
      for (int i = 0; i < 1_000; i++) {
        endpoint.publish("t", Buffer.buffer(Integer.toString(i)), MqttQoS.AT_MOST_ONCE, false, false);
      }
    });
    List<String> received = receive(port);

    Await.until("1 000 messages", Duration.ofSeconds(10), () -> received.size() == 1_000);
    assertThat(installed).as("vertx-mqtt's socket reachable").isTrue();
    for (int i = 0; i < 1_000; i++) {
      assertThat(received.get(i)).isEqualTo(Integer.toString(i));
    }
  }

  @Test
  void flushesWhatWaitsBeforeTheConnectionCloses() {
    int port = serve(endpoint -> {
      FlushCoalescing.install(endpoint);
      for (int i = 0; i < 50; i++) {
        endpoint.publish("t", Buffer.buffer(Integer.toString(i)), MqttQoS.AT_MOST_ONCE, false, false);
      }
      endpoint.close();
    });
    List<String> received = receive(port);

    Await.until("50 messages before the close", Duration.ofSeconds(10), () -> received.size() == 50);
  }

  /** A server that runs {@code burst} on a connection's event loop once it has subscribed. */
  private int serve(Consumer<MqttEndpoint> burst) {
    MqttServer server = MqttServer.create(vertx, new MqttServerOptions().setPort(0).setHost("127.0.0.1"))
        .endpointHandler(endpoint -> {
          endpoint.subscribeHandler(subscribe -> {
            endpoint.subscribeAcknowledge(subscribe.messageId(), List.of(MqttQoS.AT_MOST_ONCE));
            burst.accept(endpoint);
          });
          endpoint.accept(false);
        });
    return Await.result(server.listen()).actualPort();
  }

  private List<String> receive(int port) {
    List<String> received = new CopyOnWriteArrayList<>();
    MqttClient client = MqttClient.create(vertx, new MqttClientOptions().setClientId("reader"));
    client.publishHandler(message -> received.add(message.payload().toString()));
    Await.result(client.connect(port, "127.0.0.1"));
    client.subscribe("t", 0);
    return received;
  }
}
