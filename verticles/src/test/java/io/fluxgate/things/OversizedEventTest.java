package io.fluxgate.things;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.testing.Await;
import io.fluxgate.testing.PlatformNode;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A write whose event no store would take is refused before it commits, so it cannot jam the outbox. */
class OversizedEventTest {

  @TempDir
  Path dataDir;

  @Test
  void aThingWhoseEventIsAboveTheLimitIsRefusedWith413AndNotCreated() {
    try (PlatformNode node = PlatformNode.start(PlatformNode.env("big", dataDir, "users,things", Map.of()), false)) {
      // Under the API's 1 MiB body limit, above the 1 000 000-byte event limit (NATS refuses 1 MiB).
      JsonObject thing = new JsonObject().put("name", "big")
          .put("metadata", new JsonObject().put("blob", "x".repeat(1_000_100)));
      var refused = Await.result(node.http.post(node.port("things"), "127.0.0.1", "/things")
          .bearerTokenAuthentication(node.admin()).sendJsonObject(thing));
      assertThat(refused.statusCode()).isEqualTo(413);
      assertThat(refused.bodyAsJsonObject().getString("error")).isEqualTo("request body too large");
      assertThat(refused.bodyAsJsonObject().getString("message")).contains("thing.create", "es.max_event_bytes");

      var listed = Await.result(node.http.get(node.port("things"), "127.0.0.1", "/things")
          .bearerTokenAuthentication(node.admin()).send());
      assertThat(listed.bodyAsJsonObject().getLong("total")).as("nothing was created").isZero();
    }
  }
}
