package io.fluxgate.codecs;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class UserRequestCodecTest {

  private final UserRequestCodec codec = new UserRequestCodec();

  @Test
  void roundTripsTokenAndFieldsAfterOtherBytes() {
    UserRequest request = new UserRequest("eyJ.token-ü", new JsonObject().put("thing_ids", new JsonArray().add("t1"))
        .put("channel_ids", new JsonArray().add("c1").add("c2")));
    Buffer wire = Buffer.buffer().appendString("prefix");
    codec.encodeToWire(wire, request);
    assertThat(codec.decodeFromWire(6, wire)).isEqualTo(request);
  }

  @Test
  void neverPrintsTheToken() {
    assertThat(new UserRequest("secret-token", new JsonObject().put("thing_id", "t")).toString())
        .doesNotContain("secret-token").contains("thing_id");
  }
}
