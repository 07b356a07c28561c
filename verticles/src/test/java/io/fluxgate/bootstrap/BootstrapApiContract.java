package io.fluxgate.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.testing.Await;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bootstrap API over real HTTP on a whole node (users, things, bootstrap, MQTT), against the database a
 * subclass picks: configs, the device bootstrap (plain and secure), the state that connects the thing for real, the
 * refusals, and the bootstrap-stream event of every call, none carrying a secret.
 */
abstract class BootstrapApiContract {

  /** The key devices share with the service for the secure bootstrap, given in configuration. */
  static final byte[] ENCRYPT_KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  @TempDir
  Path dataDir;

  BootstrapPlatform node;
  /** Every secret a test handed to or got from the service: none may show up in an event. */
  final List<String> secrets = new ArrayList<>();

  abstract BootstrapPlatform.Backend backend();

  @BeforeEach
  void start() {
    node = BootstrapPlatform.start("bootstrap-api", dataDir, "all", backend(), Map.of(
        "FG_BOOTSTRAP_ENCRYPT_KEY", Base64.getEncoder().encodeToString(ENCRYPT_KEY),
        "FG_BOOTSTRAP_MAX_FAILURES", "3"));
  }

  @AfterEach
  void stop() {
    try {
      for (DomainEvent event : node.events) {
        String json = event.toJson().encode();
        for (String secret : secrets) {
          assertThat(json).as(event.operation() + " carries a secret").doesNotContain(secret);
        }
      }
    } finally {
      node.close();
      node.backend.cleanUp();
    }
  }

  static SelfSignedCertificate certificate() {
    return SelfSignedCertificate.create("device.example.com");
  }

  static String read(String path) {
    try {
      return Files.readString(Path.of(path));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  JsonObject newConfig(String externalId, String externalKey, String... channels) {
    secrets.add(externalKey);
    return new JsonObject().put("external_id", externalId).put("external_key", externalKey)
        .put("channels", new JsonArray(List.of(channels)));
  }

  static void assertError(HttpResponse<Buffer> response, int status, String messagePart) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    assertThat(response.getHeader("Content-Type")).isEqualTo("application/json");
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.fieldNames()).containsExactlyInAnyOrder("error", "message");
    assertThat(body.getString("message")).contains(messagePart);
  }

  DomainEvent awaitBootstrapEvent(String operation, String thingId) {
    return node.awaitEvent(operation, e -> thingId.equals(e.fields().getString("thing_id")));
  }

  @Test
  void createsViewsListsUpdatesAndRemovesConfigsEachWithItsEvent() {
    String alice = node.user("alice");
    String c1 = node.channel(alice, "c1", new JsonObject().put("floor", 3));
    String c2 = node.channel(alice, "c2", new JsonObject());
    var created = node.bootstrap("POST", "/things/configs", alice, newConfig("ext-1", "ext-key-0001", c1, c2)
        .put("content", "{\"interval\":5}").put("name", "Pump One"));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    JsonObject config = created.bodyAsJsonObject();
    String thingId = config.getString("thing_id");
    assertThat(created.getHeader("Location")).isEqualTo("/things/configs/" + thingId);
    secrets.add(config.getString("mainflux_key"));
    // The thing was created by the things service, for alice.
    var thing = node.things("GET", "/things/" + thingId, alice, null);
    assertThat(thing.statusCode()).isEqualTo(200);
    assertThat(thing.bodyAsJsonObject().getString("name")).isEqualTo("Pump One");
    assertThat(config.getString("mainflux_key"))
        .isEqualTo(thing.bodyAsJsonObject().getJsonObject("credentials").getString("secret"));
    DomainEvent create = awaitBootstrapEvent("config.create", thingId);
    assertThat(create.fields().getString("external_id")).isEqualTo("ext-1");
    assertThat(create.fields().getInteger("state")).isZero();
    assertThat(create.fields().getString("name")).isEqualTo("Pump One");
    assertThat(create.fields().getString("content")).isEqualTo("{\"interval\":5}");
    assertThat(create.fields().getJsonArray("channels")).containsExactly(c1, c2);
    assertThat(create.revision()).isEqualTo(1);

    var view = node.bootstrap("GET", "/things/configs/" + thingId, alice, null);
    assertThat(view.statusCode()).isEqualTo(200);
    JsonObject viewed = view.bodyAsJsonObject();
    assertThat(viewed.getString("external_key")).isEqualTo("ext-key-0001");
    assertThat(viewed.getJsonArray("channels")).containsExactly(
        new JsonObject().put("id", c1).put("name", "c1").put("metadata", new JsonObject().put("floor", 3)),
        new JsonObject().put("id", c2).put("name", "c2"));
    awaitBootstrapEvent("config.view", thingId);

    // A config for an existing thing gets that thing's key.
    JsonObject existing = node.thing(alice, "t2");
    secrets.add(existing.getJsonObject("credentials").getString("secret"));
    JsonObject second = node.config(alice, newConfig("ext-2", "ext-key-0002").put("thing_id",
        existing.getString("id")).put("name", "other"));
    assertThat(second.getString("mainflux_key")).isEqualTo(existing.getJsonObject("credentials").getString("secret"));

    assertThat(list(alice, "").getLong("total")).isEqualTo(2);
    assertThat(list(alice, "?name=PUMP").getJsonArray("configs")).hasSize(1);
    assertThat(list(alice, "?name=PUMP").getJsonArray("configs").getJsonObject(0).getString("thing_id"))
        .isEqualTo(thingId);
    assertThat(list(alice, "?external_id=ext-2").getJsonArray("configs").getJsonObject(0).getString("thing_id"))
        .isEqualTo(existing.getString("id"));
    assertThat(list(alice, "?external_id=ext").getLong("total")).isZero();
    assertThat(list(alice, "?state=0").getLong("total")).isEqualTo(2);
    assertThat(list(alice, "?state=1").getLong("total")).isZero();
    JsonObject page = list(alice, "?limit=1&offset=1");
    assertThat(page.getJsonArray("configs")).hasSize(1);
    assertThat(page.getLong("total")).isEqualTo(2);
    assertThat(page.getJsonArray("configs").getJsonObject(0).containsKey("external_key")).isFalse();
    assertError(node.bootstrap("GET", "/things/configs?state=2", alice, null), 400, "state");
    DomainEvent listed = node.awaitEvent("config.list", e -> "1".equals(e.fields().getString("state")));
    assertThat(listed.fields().getLong("total")).isZero();

    String bob = node.user("bob");
    assertError(node.bootstrap("GET", "/things/configs/" + thingId, bob, null), 403, "another user");
    assertThat(list(bob, "").getLong("total")).isZero();
    assertThat(list(node.admin(), "").getLong("total")).isGreaterThanOrEqualTo(2);

    var updated = node.bootstrap("PUT", "/things/configs/" + thingId, alice,
        new JsonObject().put("name", "Pump 1").put("content", "v2"));
    assertThat(updated.statusCode()).as(updated.bodyAsString()).isEqualTo(200);
    DomainEvent update = awaitBootstrapEvent("config.update", thingId);
    assertThat(update.fields().getString("name")).isEqualTo("Pump 1");
    assertThat(update.fields().getString("content")).isEqualTo("v2");
    assertThat(update.revision()).isEqualTo(2);

    SelfSignedCertificate cert = certificate();
    String clientKey = read(cert.privateKeyPath());
    secrets.add(clientKey.lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow());
    var certs = node.bootstrap("PATCH", "/things/configs/certs/" + thingId, alice, new JsonObject()
        .put("client_cert", read(cert.certificatePath())).put("client_key", clientKey)
        .put("ca_cert", read(cert.certificatePath())));
    assertThat(certs.statusCode()).as(certs.bodyAsString()).isEqualTo(200);
    assertThat(certs.bodyAsJsonObject().getString("client_key")).isEqualTo(clientKey);
    DomainEvent certUpdate = awaitBootstrapEvent("cert.update", thingId);
    assertThat(certUpdate.fields().getString("client_cert")).isEqualTo(read(cert.certificatePath()));
    assertThat(certUpdate.fields().containsKey("client_key")).isFalse();

    var connections = node.bootstrap("PUT", "/things/configs/connections/" + thingId, alice,
        new JsonObject().put("channels", new JsonArray().add(c2)));
    assertThat(connections.statusCode()).as(connections.bodyAsString()).isEqualTo(200);
    assertThat(awaitBootstrapEvent("thing.update_connections", thingId).fields().getJsonArray("channels"))
        .containsExactly(c2);

    JsonObject after = node.bootstrap("GET", "/things/configs/" + thingId, alice, null).bodyAsJsonObject();
    assertThat(after.getString("name")).isEqualTo("Pump 1");
    assertThat(after.getString("content")).isEqualTo("v2");
    assertThat(after.getString("client_key")).isEqualTo(clientKey);
    assertThat(after.getJsonArray("channels")).containsExactly(new JsonObject().put("id", c2).put("name", "c2"));

    assertThat(node.bootstrap("DELETE", "/things/configs/" + thingId, alice, null).statusCode()).isEqualTo(204);
    awaitBootstrapEvent("config.remove", thingId);
    assertError(node.bootstrap("GET", "/things/configs/" + thingId, alice, null), 404, thingId);
    assertThat(list(alice, "").getLong("total")).isEqualTo(1);
  }

  JsonObject list(String token, String query) {
    var response = node.bootstrap("GET", "/things/configs" + query, token, null);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  @Test
  void refusesBadInputPreciselyAndChangesNothing() {
    String alice = node.user("alice");
    String bob = node.user("bob");
    String mine = node.channel(alice, "mine", new JsonObject());
    String bobs = node.channel(bob, "bobs", new JsonObject());
    node.config(alice, newConfig("taken", "ext-key-0003", mine));
    long things = node.things("GET", "/things?status=all", alice, null).bodyAsJsonObject().getLong("total");

    assertError(node.bootstrap("POST", "/things/configs", alice, newConfig("e1", "k-0000001",
        UUID.randomUUID().toString())), 404, "no channel");
    assertError(node.bootstrap("POST", "/things/configs", alice, newConfig("e2", "k-0000002", mine, bobs)), 403,
        "another user");
    assertError(node.bootstrap("POST", "/things/configs", alice, newConfig("taken", "k-0000003", mine)), 409,
        "has a config already");
    assertError(node.bootstrap("POST", "/things/configs", alice, newConfig("e3", "k-0000004")
        .put("client_cert", "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----")), 400,
        "client_cert");
    assertError(node.bootstrap("POST", "/things/configs", alice, newConfig("e4", "k-0000005")
        .put("client_key", "not a key")), 400, "client_key");
    assertError(node.bootstrap("POST", "/things/configs", alice, newConfig("e5", "k-0000006")
        .put("content", "x".repeat(ConfigFields.MAX_CONTENT + 1))), 400, "content is longer");
    assertError(node.bootstrap("POST", "/things/configs", alice, new JsonObject().put("external_id", "e6")), 400,
        "external_key");
    assertError(node.bootstrap("POST", "/things/configs", alice, newConfig("e7", "k-0000007")
        .put("thing_id", node.thing(bob, "bobs-thing").getString("id"))), 403, "another user");
    assertError(node.bootstrap("POST", "/things/configs", alice, newConfig("e8", "k-0000008")
        .put("channels", "not-an-array")), 400, "channels");
    assertError(node.bootstrap("POST", "/things/configs", null, newConfig("e9", "k-0000009")), 401, "Bearer");
    var plain = Await.result(node.platform.http.post(node.port(), "127.0.0.1", "/things/configs")
        .bearerTokenAuthentication(alice).putHeader("Content-Type", "text/plain")
        .sendBuffer(Buffer.buffer(newConfig("e10", "k-0000010").encode())));
    assertError(plain, 415, "application/json");

    String configId = list(alice, "").getJsonArray("configs").getJsonObject(0).getString("thing_id");
    assertError(node.bootstrap("PUT", "/things/configs/connections/" + configId, alice,
        new JsonObject().put("channels", new JsonArray().add(bobs))), 403, "another user");
    assertError(node.bootstrap("PUT", "/things/configs/" + configId, alice, new JsonObject().put("name", "n")), 400,
        "content");
    assertError(node.bootstrap("PATCH", "/things/configs/certs/" + configId, alice,
        new JsonObject().put("ca_cert", "garbage")), 400, "ca_cert");
    assertError(node.bootstrap("PUT", "/things/state/" + configId, alice, new JsonObject().put("state", 2)), 400,
        "state");
    assertError(node.bootstrap("PUT", "/things/configs/" + configId, bob,
        new JsonObject().put("name", "n").put("content", "c")), 403, "another user");
    assertError(node.bootstrap("DELETE", "/things/configs/" + configId, bob, null), 403, "another user");

    // Nothing changed: one config as it was, no thing created by a refused request, one config.create.
    JsonObject only = node.bootstrap("GET", "/things/configs/" + configId, alice, null).bodyAsJsonObject();
    assertThat(only.getString("external_id")).isEqualTo("taken");
    assertThat(only.getJsonArray("channels")).hasSize(1);
    assertThat(only.getInteger("state")).isZero();
    assertThat(list(alice, "").getLong("total")).isEqualTo(1);
    assertThat(node.things("GET", "/things?status=all", alice, null).bodyAsJsonObject().getLong("total"))
        .isEqualTo(things);
    assertThat(node.eventsOf("config.create")).hasSize(1);
    assertThat(node.eventsOf("config.update")).isEmpty();
    assertThat(node.eventsOf("cert.update")).isEmpty();
    assertThat(node.eventsOf("thing.update_connections")).isEmpty();
  }

  @Test
  void aDeviceGetsItsConfigWithTheRightKeyOnlyPlainOrEncrypted() throws Exception {
    String alice = node.user("alice");
    String channel = node.channel(alice, "telemetry", new JsonObject().put("unit", "C"));
    SelfSignedCertificate cert = certificate();
    String clientKey = read(cert.privateKeyPath());
    JsonObject config = node.config(alice, newConfig("dev-42", "ext-key-0042", channel).put("content", "hello")
        .put("client_cert", read(cert.certificatePath())).put("client_key", clientKey));
    String thingId = config.getString("thing_id");
    secrets.add(config.getString("mainflux_key"));

    var answer = node.deviceBootstrap("dev-42", "ext-key-0042");
    assertThat(answer.statusCode()).as(answer.bodyAsString()).isEqualTo(200);
    JsonObject device = answer.bodyAsJsonObject();
    assertThat(device.getString("thing_id")).isEqualTo(thingId);
    assertThat(device.getString("thing_key")).isEqualTo(config.getString("mainflux_key"));
    assertThat(device.getJsonArray("channels")).as("the reference's BootstrapConfig: channel ids")
        .containsExactly(channel);
    assertThat(device.getString("content")).isEqualTo("hello");
    assertThat(device.getString("client_cert")).isEqualTo(read(cert.certificatePath()));
    assertThat(device.getString("client_key")).isEqualTo(clientKey);
    DomainEvent success = node.awaitEvent("thing.bootstrap", e -> e.fields().getBoolean("success"));
    assertThat(success.fields().getString("external_id")).isEqualTo("dev-42");
    assertThat(success.fields().getString("thing_id")).isEqualTo(thingId);

    assertError(node.deviceBootstrap("dev-42", "ext-key-wrong"), 401, "external key");
    node.awaitEvent("thing.bootstrap", e -> !e.fields().getBoolean("success")
        && thingId.equals(e.fields().getString("thing_id")));
    assertError(node.deviceBootstrap("dev-unknown", "ext-key-0042"), 404, "dev-unknown");
    DomainEvent unknown = node.awaitEvent("thing.bootstrap", e -> "dev-unknown".equals(
        e.fields().getString("external_id")));
    assertThat(unknown.fields().getBoolean("success")).isFalse();
    assertThat(unknown.fields().containsKey("thing_id")).isFalse();

    // The secure variant: the key goes encrypted, the same JSON comes back encrypted.
    DeviceCipher deviceSide = new DeviceCipher(ENCRYPT_KEY);
    var secure = Await.result(node.platform.http.get(node.port(), "127.0.0.1", "/things/bootstrap/secure/dev-42")
        .putHeader("Authorization", "Thing " + HexFormat.of().formatHex(
            deviceSide.encrypt("ext-key-0042".getBytes(StandardCharsets.UTF_8)))).send());
    assertThat(secure.statusCode()).isEqualTo(200);
    assertThat(secure.getHeader("Content-Type")).isEqualTo("application/octet-stream");
    assertThat(secure.bodyAsString()).doesNotContain(thingId);
    assertThat(decryptWithJdk(secure.body().getBytes())).isEqualTo(device);
    var wrongSecure = Await.result(node.platform.http.get(node.port(), "127.0.0.1", "/things/bootstrap/secure/dev-42")
        .putHeader("Authorization", "Thing " + HexFormat.of().formatHex(
            new DeviceCipher(new byte[32]).encrypt("ext-key-0042".getBytes(StandardCharsets.UTF_8)))).send());
    assertError(wrongSecure, 401, "external key");
  }

  @Test
  void aCopyOfTheDatabaseHoldsNoSecretInClearYetTheOwnerReadsThemBack() {
    String alice = node.user("alice");
    SelfSignedCertificate cert = certificate();
    String clientKey = read(cert.privateKeyPath());
    JsonObject config = node.config(alice, newConfig("sealed-dev", "external-key-in-the-clear-0042")
        .put("client_cert", read(cert.certificatePath())).put("client_key", clientKey));
    String thingKey = config.getString("mainflux_key");
    secrets.add(thingKey);

    String dump = node.databaseDump();
    assertThat(dump).contains("sealed-dev").doesNotContain("external-key-in-the-clear-0042");
    assertThat(dump).doesNotContain(thingKey);
    clientKey.lines().filter(line -> !line.startsWith("-----"))
        .forEach(line -> assertThat(dump).as("a line of the private key").doesNotContain(line));
    JsonObject viewed = node.bootstrap("GET", "/things/configs/" + config.getString("thing_id"), alice, null)
        .bodyAsJsonObject();
    assertThat(viewed.getString("external_key")).isEqualTo("external-key-in-the-clear-0042");
    assertThat(viewed.getString("mainflux_key")).isEqualTo(thingKey);
    assertThat(viewed.getString("client_key")).isEqualTo(clientKey);
  }

  /** What a device does with the secure answer: AES-256-GCM, the first 12 bytes the IV, the tag at the end. */
  static JsonObject decryptWithJdk(byte[] answer) throws Exception {
    javax.crypto.Cipher cipher = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(javax.crypto.Cipher.DECRYPT_MODE, new javax.crypto.spec.SecretKeySpec(ENCRYPT_KEY, "AES"),
        new javax.crypto.spec.GCMParameterSpec(128, answer, 0, 12));
    return new JsonObject(Buffer.buffer(cipher.doFinal(answer, 12, answer.length - 12)));
  }

  @Test
  void repeatedFailedAttemptsForOneExternalIdAreRefusedWith429() {
    String alice = node.user("alice");
    node.config(alice, newConfig("guessed", "ext-key-right"));
    node.config(alice, newConfig("neighbour", "ext-key-other"));
    for (int i = 0; i < 3; i++) {
      assertError(node.deviceBootstrap("guessed", "guess-" + i), 401, "external key");
    }
    var refused = node.deviceBootstrap("guessed", "ext-key-right");
    assertError(refused, 429, "too many failed");
    assertThat(Long.parseLong(refused.getHeader("Retry-After"))).as("seconds until the id is taken again")
        .isPositive();
    assertThat(node.deviceBootstrap("neighbour", "ext-key-other").statusCode()).isEqualTo(200);
    Await.until("five failed thing.bootstrap events", Duration.ofSeconds(20), () -> node.eventsOf("thing.bootstrap")
        .stream().filter(e -> !e.fields().getBoolean("success")).count() >= 4);
  }

  @Test
  void changingTheStateConnectsAndDisconnectsTheThingForReal() throws Exception {
    String alice = node.user("alice");
    String channel = node.channel(alice, "commands", new JsonObject());
    String thingId = node.config(alice, newConfig("mqtt-dev", "ext-key-mqtt", channel)).getString("thing_id");
    JsonObject device = node.deviceBootstrap("mqtt-dev", "ext-key-mqtt").bodyAsJsonObject();
    secrets.add(device.getString("thing_key"));

    var client = new org.eclipse.paho.mqttv5.client.MqttAsyncClient("tcp://127.0.0.1:" + node.platform.port("mqtt"),
        "bootstrapped", new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
    var options = new org.eclipse.paho.mqttv5.client.MqttConnectionOptions();
    options.setUserName(device.getString("thing_id"));
    options.setPassword(device.getString("thing_key").getBytes(StandardCharsets.UTF_8));
    client.connect(options).waitForCompletion(10_000);
    try {
      String topic = "channels/" + channel + "/messages";
      assertThat(publish(client, topic)).isEqualTo(0x87);

      assertThat(node.bootstrap("PUT", "/things/state/" + thingId, alice, new JsonObject().put("state", 1))
          .statusCode()).isEqualTo(204);
      assertThat(awaitBootstrapEvent("thing.change_state", thingId).fields().getInteger("state")).isEqualTo(1);
      Await.until("the publish accepted", Duration.ofSeconds(10), () -> publish(client, topic) == 0);
      assertThat(list(alice, "?state=1").getLong("total")).isEqualTo(1);

      assertThat(node.bootstrap("PUT", "/things/state/" + thingId, alice, new JsonObject().put("state", 0))
          .statusCode()).isEqualTo(204);
      node.awaitEvent("thing.change_state", e -> e.fields().getInteger("state") == 0);
      Await.until("the publish refused", Duration.ofSeconds(10), () -> publish(client, topic) == 0x87);
      // Deactivating keeps the channel list, so activating again connects the same channels.
      JsonObject view = node.bootstrap("GET", "/things/configs/" + thingId, alice, null).bodyAsJsonObject();
      assertThat(view.getJsonArray("channels")).hasSize(1);
      assertThat(view.getInteger("state")).isZero();
    } finally {
      client.disconnect().waitForCompletion(10_000);
      client.close();
    }
  }

  /** The reason code of a QoS 1 publish: 0 accepted, 0x87 not authorized. */
  static int publish(org.eclipse.paho.mqttv5.client.MqttAsyncClient client, String topic) {
    try {
      var token = client.publish(topic, new org.eclipse.paho.mqttv5.common.MqttMessage(
          "reading".getBytes(StandardCharsets.UTF_8), 1, false, null));
      token.waitForCompletion(10_000);
      return token.getReasonCodes()[0];
    } catch (org.eclipse.paho.mqttv5.common.MqttException e) {
      throw new IllegalStateException(e);
    }
  }
}
