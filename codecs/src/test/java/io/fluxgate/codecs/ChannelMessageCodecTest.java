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

  @Test
  void roundTripsMqtt5PropertiesAndTheRetainFlagButNotTheOrigin() {
    ChannelMessageCodec codec = new ChannelMessageCodec();
    MessageProperties properties = new MessageProperties(1, 3600, "text/plain; charset=utf-8", "channels/c-1/messages/re",
        Buffer.buffer(new byte[] {9, 8, 7}), java.util.List.of("k", "v", "k", "v2", "ü", ""));
    ChannelMessage message = new ChannelMessage("c-1", "", "thing-9", "mqtt", 1, Buffer.buffer("x"), 42L, true,
        properties, new Object());
    Buffer wire = Buffer.buffer();
    codec.encodeToWire(wire, message);
    ChannelMessage decoded = codec.decodeFromWire(0, wire);
    assertThat(decoded.qos()).isEqualTo(1);
    assertThat(decoded.retain()).isTrue();
    assertThat(decoded.origin()).as("a session never crosses the cluster").isNull();
    assertThat(decoded.payload().toString()).isEqualTo("x");
    MessageProperties back = decoded.properties();
    assertThat(back.payloadFormat()).isEqualTo(1);
    assertThat(back.expirySeconds()).isEqualTo(3600);
    assertThat(back.contentType()).isEqualTo("text/plain; charset=utf-8");
    assertThat(back.responseTopic()).isEqualTo("channels/c-1/messages/re");
    assertThat(back.correlationData().getBytes()).containsExactly(9, 8, 7);
    assertThat(back.userProperties()).containsExactly("k", "v", "k", "v2", "ü", "");
  }

  @Test
  void aMessageWithoutPropertiesCostsNoMoreBytesThanBefore() {
    ChannelMessageCodec codec = new ChannelMessageCodec();
    Buffer wire = Buffer.buffer();
    codec.encodeToWire(wire, new ChannelMessage("c", "s", "p", "mqtt", 0, Buffer.buffer("abc"), 1L));
    // created 8, QoS and flags 1, three 1-byte strings and "mqtt" with their 2-byte lengths, payload length and bytes.
    assertThat(wire.length()).isEqualTo(8 + 1 + 3 * 3 + 2 + 4 + 4 + 3);
    ChannelMessage decoded = codec.decodeFromWire(0, wire);
    assertThat(decoded.properties()).isNull();
    assertThat(decoded.retain()).isFalse();
  }

  @Test
  void anExpiryIntervalCountsDownWithTheTimeWaited() {
    MessageProperties tenSeconds = new MessageProperties(-1, 10, null, null, null, java.util.List.of());
    assertThat(tenSeconds.remainingSeconds(3_500_000_000L)).isEqualTo(7);
    assertThat(tenSeconds.expired(9_999_999_999L)).isFalse();
    assertThat(tenSeconds.expired(10_000_000_000L)).isTrue();
    assertThat(new MessageProperties(-1, -1, "t", null, null, java.util.List.of()).expired(Long.MAX_VALUE)).isFalse();
  }
}
