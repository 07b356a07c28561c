package io.fluxgate.codecs;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class ChannelMessageCodecTest {

  @Test
  void roundTripsAMessageAfterOtherBytes() {
    ChannelMessageCodec codec = new ChannelMessageCodec();
    ChannelMessage message = new ChannelMessage("c-1", "room/ü", "thing-9", "mqtt", 2,
        Buffer.buffer(new byte[] {0, 1, 2, (byte) 255}), 1_795_733_849_183_624_088L);
    Buffer wire = Buffer.buffer().appendString("xyz");
    codec.encodeToWire(wire, message);
    ChannelMessage decoded = codec.decodeFromWire(3, wire);
    assertThat(decoded.channelId()).isEqualTo("c-1");
    assertThat(decoded.subtopic()).isEqualTo("room/ü");
    assertThat(decoded.publisher()).isEqualTo("thing-9");
    assertThat(decoded.protocol()).isEqualTo("mqtt");
    assertThat(decoded.qos()).isEqualTo(2);
    assertThat(decoded.payload().getBytes()).containsExactly(0, 1, 2, 255);
    assertThat(decoded.created()).isEqualTo(1_795_733_849_183_624_088L);
    assertThat(decoded.topic()).isEqualTo("channels/c-1/messages/room/ü");
  }
}
