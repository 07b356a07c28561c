package io.fluxgate.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.PlatformNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A service that asks another over the bus answers 503 with a message that says what is missing when no node runs
 * the other service, and when the one holding it does not answer (as a node that just died) within
 * {@code node.bus_timeout} instead of the bus's 30 s.
 */
@Timeout(120)
class ServiceRequestsTest {

  @TempDir
  Path dir;

  private static void assertUnavailable(HttpResponse<Buffer> response, String says) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(503);
    assertThat(response.getHeader("Content-Type")).isEqualTo("application/json");
    assertThat(response.bodyAsJsonObject().getString("error")).isEqualTo("service unavailable");
    assertThat(response.bodyAsJsonObject().getString("message")).contains(says);
    assertThat(response.getHeader("Retry-After")).isEqualTo("1");
  }

  @Test
  void theThingsApiWithoutAUsersServiceAnswers503AndASilentOneWithinTheTimeout() {
    try (PlatformNode node = PlatformNode.start(PlatformNode.env("things-only", dir.resolve("t"), "things",
        Map.of("FG_NODE_BUS_TIMEOUT", "300ms")), false)) {
      assertUnavailable(Await.result(node.http.get(node.port("things"), "127.0.0.1", "/things")
          .bearerTokenAuthentication("any-token").send()), "no node runs the users service");

      // A users service that took the address and never answers, as one on a node that just died would.
      Await.result(node.node.vertx().eventBus().consumer(Addresses.USERS_IDENTIFY, message -> { }).completion());
      long started = System.nanoTime();
      var silent = Await.result(node.http.get(node.port("things"), "127.0.0.1", "/things")
          .bearerTokenAuthentication("any-token").send());
      assertUnavailable(silent, "the users service did not answer within 300ms");
      assertThat((System.nanoTime() - started) / 1_000_000).as("answered after the timeout, not the bus's 30 s")
          .isBetween(250L, 10_000L);
    }
  }

  @Test
  void theHttpAdapterWithoutAThingsServiceAnswers503AndASilentOneWithinTheTimeout() {
    try (PlatformNode node = PlatformNode.start(PlatformNode.env("http-only", dir.resolve("h"), "http",
        Map.of("FG_NODE_BUS_TIMEOUT", "300ms")), false)) {
      assertUnavailable(Await.result(node.http.post(node.port("http"), "127.0.0.1", "/channels/c1/messages")
          .putHeader("Authorization", "Thing some-key").putHeader("Content-Type", "application/json")
          .sendBuffer(Buffer.buffer("{}"))), "no node runs the things service");

      Await.result(node.node.vertx().eventBus().consumer(Addresses.THINGS_IDENTIFY, message -> { }).completion());
      assertUnavailable(Await.result(node.http.post(node.port("http"), "127.0.0.1", "/channels/c1/messages")
          .putHeader("Authorization", "Thing some-key").putHeader("Content-Type", "application/json")
          .sendBuffer(Buffer.buffer("{}"))), "the things service did not answer within 300ms");
    }
  }
}
