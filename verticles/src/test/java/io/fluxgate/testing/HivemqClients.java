package io.fluxgate.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5ConnectBuilder;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManagerFactory;

/**
 * HiveMQ MQTT 5 clients of a test node over TCP, TLS, WebSocket or WSS, signed in as things; those still connected
 * are disconnected on close.
 */
public final class HivemqClients implements AutoCloseable {

  /** How a client reaches the node: TLS ones trust the node's own certificate. */
  public enum Transport {
    TCP, TLS, WEBSOCKET, WSS;

    public boolean tls() {
      return this == TLS || this == WSS;
    }

    public boolean webSocket() {
      return this == WEBSOCKET || this == WSS;
    }
  }

  private final Transport transport;
  private final int port;
  private final TrustManagerFactory trust;
  private final List<Mqtt5BlockingClient> clients = new CopyOnWriteArrayList<>();

  /**
   * Clients over {@code transport} to {@code port} (the node's MQTT port, or its WebSocket port for WebSocket and
   * WSS); {@code certificatePath}, a PEM file, is the certificate TLS clients trust (null without TLS).
   */
  public HivemqClients(Transport transport, int port, String certificatePath) {
    this.transport = transport;
    this.port = port;
    this.trust = transport.tls() ? trusting(certificatePath) : null;
  }

  /** A client that is not connected yet; a null {@code clientId} sends an empty one for the server to assign. */
  public Mqtt5BlockingClient client(String clientId) {
    Mqtt5ClientBuilder builder = Mqtt5Client.builder().serverHost("127.0.0.1").serverPort(port);
    if (clientId != null) {
      builder.identifier(clientId);
    }
    if (transport.tls()) {
      // The certificate is for "localhost" and the node listens on 127.0.0.1: the chain is checked, not the name.
      builder.sslConfig().trustManagerFactory(trust).hostnameVerifier((host, session) -> true).applySslConfig();
    }
    if (transport.webSocket()) {
      builder.webSocketConfig().serverPath("mqtt").applyWebSocketConfig();
    }
    Mqtt5BlockingClient client = builder.buildBlocking();
    clients.add(client);
    return client;
  }

  /** A CONNECT of {@code client} signed in as a thing, to be completed and sent. */
  public static Mqtt5ConnectBuilder.Send<Mqtt5ConnAck> signIn(Mqtt5BlockingClient client, String thingId,
      String key) {
    return client.connectWith().simpleAuth().username(thingId).password(key.getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth();
  }

  /** What {@code client} receives from now on, in order (ask before subscribing, so nothing is missed). */
  public static Mqtt5BlockingClient.Mqtt5Publishes inbox(Mqtt5BlockingClient client) {
    return client.publishes(MqttGlobalPublishFilter.ALL);
  }

  /** The next message; fails the test when none comes within 10 s. */
  public static Mqtt5Publish next(Mqtt5BlockingClient.Mqtt5Publishes inbox) throws InterruptedException {
    Optional<Mqtt5Publish> received = inbox.receive(10, TimeUnit.SECONDS);
    assertThat(received).as("a message within 10 s").isPresent();
    return received.get();
  }

  /** The next message is {@code text}: a marker sent after what must not arrive, so nothing came before it. */
  public static Mqtt5Publish assertNextIs(Mqtt5BlockingClient.Mqtt5Publishes inbox, String text)
      throws InterruptedException {
    Mqtt5Publish received = next(inbox);
    assertThat(text(received)).as("the next message (nothing before it)").isEqualTo(text);
    return received;
  }

  public static String text(Mqtt5Publish publish) {
    return new String(publish.getPayloadAsBytes(), StandardCharsets.UTF_8);
  }

  private static TrustManagerFactory trusting(String certificatePath) {
    try (InputStream pem = Files.newInputStream(Path.of(certificatePath))) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      store.setCertificateEntry("node", CertificateFactory.getInstance("X.509").generateCertificate(pem));
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      return factory;
    } catch (Exception e) {
      throw new IllegalStateException("cannot trust " + certificatePath, e);
    }
  }

  @Override
  public void close() {
    for (Mqtt5BlockingClient client : clients) {
      if (client.getState().isConnected()) {
        try {
          client.disconnect();
        } catch (RuntimeException alreadyGone) {
          // Closing what a test left behind: the server may have ended it meanwhile.
        }
      }
    }
  }
}
