package io.fluxgate.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.testing.MqttInbox;
import io.fluxgate.testing.PlatformNode;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With a certificate configured, MQTT (TCP and WebSocket) speaks TLS, and a plain-text client gets nowhere. */
class MqttTlsTest {

  @Test
  void servesMqttOverTlsWhenACertificateIsConfigured(@TempDir Path dir) throws Exception {
    SelfSignedCertificate certificate = SelfSignedCertificate.create("localhost");
    try (PlatformNode platform = PlatformNode.start(PlatformNode.env("tls-node", dir, "users,things,mqtt", Map.of(
        "FG_MQTT_TLS_CERT", certificate.certificatePath(), "FG_MQTT_TLS_KEY", certificate.privateKeyPath())),
        false)) {
      String channel = platform.channel("secure");
      JsonObject thing = platform.thing("secure-device");
      platform.connect(thing.getString("id"), channel);
      MqttConnectOptions options = MqttInbox.signIn(thing);
      options.setHttpsHostnameVerificationEnabled(false);
      options.setSocketFactory(trustingEverything().getSocketFactory());

      MqttClient tls = new MqttClient("ssl://127.0.0.1:" + platform.port("mqtt"), "tls-client", new MemoryPersistence());
      MqttInbox received = MqttInbox.of(tls);
      tls.connect(options);
      tls.subscribe("channels/" + channel + "/messages", 1);
      MqttClient wss = new MqttClient("wss://127.0.0.1:" + platform.port("ws") + "/mqtt", "wss-client",
          new MemoryPersistence());
      wss.connect(options);
      wss.publish("channels/" + channel + "/messages", "over wss".getBytes(StandardCharsets.UTF_8), 1, false);
      assertThat(received.nextText()).isEqualTo("over wss");

      MqttClient plain = new MqttClient("tcp://127.0.0.1:" + platform.port("mqtt"), "plain", new MemoryPersistence());
      MqttConnectOptions plainOptions = MqttInbox.signIn(thing);
      plainOptions.setConnectionTimeout(3);
      boolean plainConnected;
      try {
        plain.connect(plainOptions);
        plainConnected = true;
      } catch (MqttException e) {
        plainConnected = false;
      }
      assertThat(plainConnected).isFalse();
      wss.disconnect();
      tls.disconnect();
      for (MqttClient client : new MqttClient[] {tls, wss, plain}) {
        client.close(true);
      }
    }
  }

  /** The test's own self-signed certificate is the one to trust. */
  private static SSLContext trustingEverything() throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    return context;
  }
}
