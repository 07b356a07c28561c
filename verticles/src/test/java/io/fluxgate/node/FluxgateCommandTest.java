package io.fluxgate.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: help, and configuration errors that stop the start with a clear message and status 2. */
class FluxgateCommandTest {

  private record Outcome(int status, String out, String err) {}

  private static Outcome run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Fluxgate.run(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Outcome(status, out.toString(), err.toString());
  }

  @Test
  void helpListsTheCommandsAndTheirOptions() {
    Outcome top = run(Map.of(), "--help");
    assertThat(top.status()).isZero();
    assertThat(top.out()).contains("serve", "events");

    Outcome serve = run(Map.of(), "serve", "--help");
    assertThat(serve.out()).contains("--config", "--roles", "--cluster");

    Outcome tail = run(Map.of(), "events", "tail", "--help");
    assertThat(tail.out()).contains("--stream", "--from");
  }

  @Test
  void rejectsAnUnknownEventStoreType() {
    Outcome outcome = run(Map.of("FG_ES_TYPE", "kafka"), "serve");
    assertThat(outcome.status()).isEqualTo(Fluxgate.CONFIG_ERROR);
    assertThat(outcome.err()).contains("es.type", "FG_ES_TYPE", "kafka", "sql, nats");
  }

  @Test
  void rejectsAPortThatIsNotANumber() {
    Outcome outcome = run(Map.of("FG_USERS_HTTP_PORT", "90o2"), "serve");
    assertThat(outcome.status()).isEqualTo(Fluxgate.CONFIG_ERROR);
    assertThat(outcome.err()).contains("users.http_port", "FG_USERS_HTTP_PORT", "90o2", "0 to 65535");
  }

  @Test
  void rejectsAResetPageThatIsNotAnAbsoluteUrl() {
    Outcome outcome = run(Map.of("FG_USERS_RESET_URL", "/password/reset"), "serve");
    assertThat(outcome.status()).isEqualTo(Fluxgate.CONFIG_ERROR);
    assertThat(outcome.err()).contains("users.reset_url", "FG_USERS_RESET_URL", "absolute");
  }

  @Test
  void rejectsATokenKeyShorterThan32BytesWithoutPrintingIt(@TempDir Path dir) {
    Outcome outcome = run(Map.of("FG_USERS_TOKEN_KEY", "only-twenty-one-byte", "FG_DATA_DIR", dir.toString()),
        "serve");
    assertThat(outcome.status()).isEqualTo(Fluxgate.CONFIG_ERROR);
    assertThat(outcome.err()).contains("users.token_key", "FG_USERS_TOKEN_KEY", "32 bytes")
        .doesNotContain("only-twenty-one-byte");
  }

  @Test
  void rejectsAStoredTokenKeyShorterThan32Bytes(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("users-token.key"), "short");
    Outcome outcome = run(Map.of("FG_DATA_DIR", dir.toString()), "serve");
    assertThat(outcome.status()).isEqualTo(Fluxgate.CONFIG_ERROR);
    assertThat(outcome.err()).contains("users-token.key", "32 bytes").doesNotContain("short\n");
  }

  @Test
  void rejectsAThingsKeyOfTheWrongSizeWithoutPrintingIt(@TempDir Path dir) {
    String sixteenBytes = java.util.Base64.getEncoder().encodeToString(new byte[16]);
    Outcome outcome = run(Map.of("FG_THINGS_KEY", sixteenBytes, "FG_DATA_DIR", dir.toString()), "serve");
    assertThat(outcome.status()).isEqualTo(Fluxgate.CONFIG_ERROR);
    assertThat(outcome.err()).contains("things.key", "FG_THINGS_KEY", "32 bytes").doesNotContain(sixteenBytes);
  }

  @Test
  void rejectsAnUnknownRole() {
    Outcome outcome = run(Map.of(), "serve", "--roles", "users,teleport");
    assertThat(outcome.status()).isEqualTo(Fluxgate.CONFIG_ERROR);
    assertThat(outcome.err()).contains("--roles", "teleport", "users, things, bootstrap, http");
  }

  @Test
  void rejectsADatabaseUrlItCannotUseWithoutPrintingItsPassword() {
    Outcome outcome = run(Map.of("FG_DB_URL", "mysql://admin:hunter2@db:3306/x"), "serve");
    assertThat(outcome.status()).isEqualTo(Fluxgate.CONFIG_ERROR);
    assertThat(outcome.err()).contains("db.url", "FG_DB_URL").doesNotContain("hunter2");
  }

  @Test
  void rejectsAConfigurationFileThatIsNotJson(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("fluxgate.json");
    Files.writeString(file, "{ \"es\": { \"type\": \"sql\" ");
    Outcome outcome = run(Map.of(), "serve", "--config", file.toString());
    assertThat(outcome.status()).isEqualTo(Fluxgate.CONFIG_ERROR);
    assertThat(outcome.err()).contains(file.toString(), "not a JSON object");
  }

  @Test
  void rejectsAMissingConfigurationFile(@TempDir Path dir) {
    Outcome outcome = run(Map.of(), "serve", "--config", dir.resolve("nope.json").toString());
    assertThat(outcome.status()).isEqualTo(Fluxgate.CONFIG_ERROR);
    assertThat(outcome.err()).contains("nope.json", "does not exist");
  }

  @Test
  @org.junit.jupiter.api.Timeout(60)
  void aStoreItCannotReachStopsTheStartWithItsReason(@TempDir Path dir) {
    String unreachable = "nats://127.0.0.1:" + io.fluxgate.testing.TestStores.freePort();
    Outcome outcome = run(Map.of("FG_ES_TYPE", "nats", "FG_ES_URL", unreachable, "FG_DATA_DIR", dir.toString(),
        "FG_METRICS_ENABLED", "false", "FG_USERS_HTTP_PORT", "0", "FG_THINGS_HTTP_PORT", "0",
        "FG_BOOTSTRAP_HTTP_PORT", "0", "FG_HTTP_ADAPTER_PORT", "0", "FG_MQTT_PORT", "0", "FG_MQTT_WS_PORT", "0"),
        "serve");
    assertThat(outcome.status()).isEqualTo(Fluxgate.CONFIG_ERROR);
    assertThat(outcome.err()).contains("es.url (FG_ES_URL)", unreachable, "no NATS server answers there")
        .doesNotContain("\tat ");
  }

  @Test
  @org.junit.jupiter.api.Timeout(60)
  void anEventSizeLimitAboveTheNatsServersMaxPayloadStopsTheStartWithExit2(@TempDir Path dir) {
    Map<String, String> env = new java.util.HashMap<>(Map.of("FG_ES_TYPE", "nats",
        "FG_ES_URL", io.fluxgate.testing.TestStores.NATS_URL, "FG_DATA_DIR", dir.toString(),
        "FG_METRICS_ENABLED", "false", "FG_USERS_HTTP_PORT", "0", "FG_THINGS_HTTP_PORT", "0",
        "FG_BOOTSTRAP_HTTP_PORT", "0", "FG_HTTP_ADAPTER_PORT", "0", "FG_MQTT_PORT", "0", "FG_MQTT_WS_PORT", "0"));
    env.put("FG_ES_MAX_EVENT_BYTES", "2000000");
    Outcome outcome = run(env, "serve");
    assertThat(outcome.status()).isEqualTo(Fluxgate.CONFIG_ERROR);
    assertThat(outcome.err()).contains("es.max_event_bytes (FG_ES_MAX_EVENT_BYTES) = 2000000", "max_payload")
        .doesNotContain("\tat ");
  }

  @Test
  @org.junit.jupiter.api.Timeout(60)
  void aNatsPasswordRefusedStopsTheStartWithExit2NamingTheSetting(@TempDir Path dir) throws Exception {
    try (io.fluxgate.testing.PrivateNatsServer nats = io.fluxgate.testing.PrivateNatsServer.withUser("fluxgate",
        "the-right-one")) {
      nats.start();
      String url = "nats://fluxgate:not-this-one@127.0.0.1:" + nats.url().substring(nats.url().lastIndexOf(':') + 1);
      Outcome outcome = run(Map.of("FG_ES_TYPE", "nats", "FG_ES_URL", url, "FG_DATA_DIR", dir.toString(),
          "FG_METRICS_ENABLED", "false", "FG_USERS_HTTP_PORT", "0", "FG_THINGS_HTTP_PORT", "0",
          "FG_BOOTSTRAP_HTTP_PORT", "0", "FG_HTTP_ADAPTER_PORT", "0", "FG_MQTT_PORT", "0", "FG_MQTT_WS_PORT", "0"),
          "serve");
      assertThat(outcome.status()).isEqualTo(Fluxgate.CONFIG_ERROR);
      assertThat(outcome.err()).contains("es.url (FG_ES_URL)", "NATS refused the credentials")
          .doesNotContain("not-this-one").doesNotContain("\tat ");
    }
  }

  @Test
  @org.junit.jupiter.api.Timeout(60)
  void aRabbitMqPasswordRefusedStopsTheStartWithExit2NamingTheSetting(@TempDir Path dir) {
    Outcome outcome = run(Map.of("FG_ES_TYPE", "rabbitmq", "FG_ES_URL", "amqp://guest:not-this-one@127.0.0.1:5672/%2f",
        "FG_DATA_DIR", dir.toString(), "FG_METRICS_ENABLED", "false", "FG_USERS_HTTP_PORT", "0",
        "FG_THINGS_HTTP_PORT", "0", "FG_BOOTSTRAP_HTTP_PORT", "0", "FG_HTTP_ADAPTER_PORT", "0", "FG_MQTT_PORT", "0",
        "FG_MQTT_WS_PORT", "0"), "serve");
    assertThat(outcome.status()).isEqualTo(Fluxgate.CONFIG_ERROR);
    assertThat(outcome.err()).contains("es.url (FG_ES_URL)", "amqp://guest:***@127.0.0.1:5672/%2f",
        "refused the user name or password").doesNotContain("not-this-one").doesNotContain("\tat ");
  }

  @Test
  void environmentOverridesTheFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("fluxgate.json");
    Files.writeString(file, "{\"es\": {\"type\": \"nats\", \"max_attempts\": 0}}");
    Outcome fromFile = run(Map.of(), "serve", "--config", file.toString());
    assertThat(fromFile.err()).contains("es.max_attempts", "'0'");
    Outcome overridden = run(Map.of("FG_ES_MAX_ATTEMPTS", "many"), "serve", "--config", file.toString());
    assertThat(overridden.err()).contains("FG_ES_MAX_ATTEMPTS", "'many'");
  }
}
