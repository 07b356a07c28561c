package io.fluxgate.codecs;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class ThingAccessCodecTest {

  private final ThingAccessCodec codec = new ThingAccessCodec();

  @Test
  void roundTripsAnAccessQuestionAfterOtherBytes() {
    for (ThingAccess.Action action : ThingAccess.Action.values()) {
      ThingAccess access = new ThingAccess("4c8f2b1e-6a0d-4f7e-9b3c-2d1e0f9a8b7c", "kanal-ü-7", action);
      Buffer wire = Buffer.buffer().appendString("prefix");
      codec.encodeToWire(wire, access);
      assertThat(codec.decodeFromWire(6, wire)).isEqualTo(access);
    }
  }

  @Test
  void mapsActionsToTheConnectionActionTheyNeed() {
    assertThat(ThingAccess.Action.PUBLISH.policy()).isEqualTo("m_write");
    assertThat(ThingAccess.Action.SUBSCRIBE.policy()).isEqualTo("m_read");
  }
}
