package io.fluxgate.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;

/** What a Paho (3.1.1) client receives, in order, and whether it lost its connection. */
public final class MqttInbox implements MqttCallback {

  public final BlockingQueue<Received> messages = new LinkedBlockingQueue<>();
  public volatile Throwable lost;

  /** One received message with its topic. */
  public record Received(String topic, MqttMessage message) {
    public String text() {
      return new String(message.getPayload(), StandardCharsets.UTF_8);
    }
  }

  /** An inbox set as {@code client}'s callback. */
  public static MqttInbox of(MqttClient client) {
    MqttInbox inbox = new MqttInbox();
    client.setCallback(inbox);
    return inbox;
  }

  /** MQTT 3.1.1 options that sign in as a thing of the things API (its {@code id} and {@code credentials.secret}). */
  public static MqttConnectOptions signIn(String thingId, String key, boolean clean) {
    MqttConnectOptions options = new MqttConnectOptions();
    options.setUserName(thingId);
    options.setPassword(key.toCharArray());
    options.setCleanSession(clean);
    options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    options.setAutomaticReconnect(false);
    options.setConnectionTimeout(10);
    // Paho frees an in-flight slot on its callback thread after a blocking publish has returned; under load that
    // thread lags and its window of 10 refused a publish ("Too many publishes in progress", 32202) twice in CI.
    options.setMaxInflight(100);
    return options;
  }

  /** The same, for a thing as the things API answered it. */
  public static MqttConnectOptions signIn(JsonObject thing) {
    return signIn(thing.getString("id"), thing.getJsonObject("credentials").getString("secret"), true);
  }

  @Override
  public void connectionLost(Throwable cause) {
    lost = cause;
  }

  @Override
  public void messageArrived(String topic, MqttMessage message) {
    messages.add(new Received(topic, message));
  }

  @Override
  public void deliveryComplete(IMqttDeliveryToken token) {
  }

  /** The next message; fails the test when none comes within 10 s. */
  public Received next() throws InterruptedException {
    Received received = messages.poll(10, TimeUnit.SECONDS);
    assertThat(received).as("a message within 10 s").isNotNull();
    return received;
  }

  public String nextText() throws InterruptedException {
    return next().text();
  }

  /**
   * The next message is {@code text}: a marker published after what must not arrive, so nothing came before it.
   * There is no waiting for nothing to happen.
   */
  public void assertNextIs(String text) throws InterruptedException {
    assertThat(next().text()).as("the next message (nothing before it)").isEqualTo(text);
  }
}
