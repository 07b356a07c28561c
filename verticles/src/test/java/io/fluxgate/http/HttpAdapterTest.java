package io.fluxgate.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.ChannelMessage;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.PlatformNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP message adapter against the reference's http.yml: Basic authentication with the thing key as password,
 * percent-decoded subtopics, and SenML checked when a body says it is SenML. Messages are read where the adapter
 * hands them to the MQTT adapter of its node.
 */
@Timeout(120)
class HttpAdapterTest {

  @TempDir
  Path dir;

  PlatformNode platform;
  final BlockingQueue<ChannelMessage> published = new LinkedBlockingQueue<>();
  String channel;
  String key;

  @BeforeEach
  void start() {
    platform = PlatformNode.start(PlatformNode.env("http", dir, "users,things,http", Map.of()), false);
    Await.result(platform.node.vertx().eventBus().<ChannelMessage>consumer(ChannelMessage.LOCAL_ADDRESS,
        m -> published.add(m.body())).completion());
    JsonObject thing = platform.thing("sensor");
    key = thing.getJsonObject("credentials").getString("secret");
    channel = platform.channel("readings");
    platform.connect(thing.getString("id"), channel);
  }

  @AfterEach
  void stop() {
    platform.close();
  }

  HttpResponse<Buffer> send(String path, String authorization, String contentType, String body) {
    var request = platform.http.post(platform.port("http"), "127.0.0.1", path)
        .putHeader("Content-Type", contentType);
    if (authorization != null) {
      request.putHeader("Authorization", authorization);
    }
    return Await.result(request.sendBuffer(Buffer.buffer(body)));
  }

  ChannelMessage next() throws InterruptedException {
    ChannelMessage message = published.poll(10, TimeUnit.SECONDS);
    assertThat(message).as("a published message").isNotNull();
    return message;
  }

  static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void basicAuthenticationTakesTheThingKeyAsPassword() throws Exception {
    var accepted = send("/channels/" + channel + "/messages", basic("anyone", key), "text/plain", "hello");
    assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
    assertThat(next().payload().toString()).isEqualTo("hello");

    assertThat(send("/channels/" + channel + "/messages", basic("anyone", "not-the-key"), "text/plain", "x")
        .statusCode()).isEqualTo(401);
    assertThat(send("/channels/" + channel + "/messages", basic(key, ""), "text/plain", "x").statusCode())
        .isEqualTo(401);
    var garbage = send("/channels/" + channel + "/messages", "Basic %%%", "text/plain", "x");
    assertThat(garbage.statusCode()).isEqualTo(401);
    assertThat(garbage.bodyAsJsonObject().getString("error")).isEqualTo("missing or invalid credentials provided");
    assertThat(send("/channels/" + channel + "/messages", "Thing " + key, "text/plain", "y").statusCode())
        .isEqualTo(202);
    assertThat(next().payload().toString()).isEqualTo("y");
  }

  @Test
  void subtopicsArePercentDecodedOnce() throws Exception {
    assertThat(send("/channels/" + channel + "/messages/room%201/temp%2Fc/pct%2525", "Thing " + key,
        "text/plain", "x").statusCode()).isEqualTo(202);
    assertThat(next().subtopic()).isEqualTo("room 1/temp/c/pct%25");

    assertThat(send("/channels/" + channel + "/messages/a+b", "Thing " + key, "text/plain", "x").statusCode())
        .as("a wildcard is no topic to publish on, written or escaped").isEqualTo(400);
    assertThat(send("/channels/" + channel + "/messages/a%23", "Thing " + key, "text/plain", "x").statusCode())
        .isEqualTo(400);
    assertThat(send("/channels/" + channel + "/messages/a%zz", "Thing " + key, "text/plain", "x").statusCode())
        .isEqualTo(400);
    assertThat(published.poll(0, TimeUnit.SECONDS)).as("nothing refused was published").isNull();
  }

  @Test
  void senmlIsCheckedWhenTheBodySaysItIsSenml() throws Exception {
    String path = "/channels/" + channel + "/messages";
    String senml = "application/senml+json";
    assertThat(send(path, "Thing " + key, senml,
        "[{\"bn\":\"dev1/\",\"bt\":1.7e9,\"n\":\"temp\",\"u\":\"Cel\",\"v\":21.5},{\"n\":\"on\",\"vb\":true}]")
        .statusCode()).isEqualTo(202);
    next();
    for (String bad : new String[] {"not json", "{\"n\":\"temp\",\"v\":1}", "[]", "[1]", "[{\"v\":1}]",
        "[{\"n\":\"temp\"}]", "[{\"n\":\"temp\",\"v\":\"warm\"}]", "[{\"n\":\"temp\",\"v\":1,\"vs\":\"x\"}]",
        "[{\"n\":\" bad name\",\"v\":1}]", "[{\"n\":\"t\",\"v\":1,\"t\":\"now\"}]"}) {
      var refused = send(path, "Thing " + key, senml, bad);
      assertThat(refused.statusCode()).as(bad).isEqualTo(400);
      assertThat(refused.bodyAsJsonObject().getString("message")).as(bad).startsWith("malformed SenML");
    }
    assertThat(send(path, "Thing " + key, "application/json", "not SenML at all").statusCode())
        .as("only a body declared SenML is held to SenML").isEqualTo(202);
    assertThat(next().payload().toString()).isEqualTo("not SenML at all");
    assertThat(published.poll(0, TimeUnit.SECONDS)).isNull();
  }
}
