package io.fluxgate.codecs;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.nio.charset.StandardCharsets;

/**
 * Carries a {@link ChannelMessage} across the cluster in a compact binary form: created (8 bytes), QoS (1, with the
 * retain flag in bit 6 and "properties follow" in bit 7), four length-prefixed UTF-8 strings, the payload with its
 * length, then the MQTT 5 properties if any (a message without them costs nothing more). Local delivery passes the
 * message itself.
 */
public final class ChannelMessageCodec implements MessageCodec<ChannelMessage, ChannelMessage> {

  @Override
  public void encodeToWire(Buffer buffer, ChannelMessage message) {
    buffer.appendLong(message.created()).appendByte((byte) (message.qos() | (message.retain() ? RETAIN : 0)
        | (message.properties() != null ? PROPERTIES : 0)));
    appendString(buffer, message.channelId());
    appendString(buffer, message.subtopic());
    appendString(buffer, message.publisher());
    appendString(buffer, message.protocol());
    buffer.appendInt(message.payload().length()).appendBuffer(message.payload());
    if (message.properties() != null) {
      message.properties().encode(buffer);
    }
  }

  private static final int RETAIN = 0x40;
  private static final int PROPERTIES = 0x80;

  private static void appendString(Buffer buffer, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    buffer.appendUnsignedShort(bytes.length).appendBytes(bytes);
  }

  @Override
  public ChannelMessage decodeFromWire(int pos, Buffer buffer) {
    long created = buffer.getLong(pos);
    int flags = buffer.getByte(pos + 8) & 0xFF;
    int[] at = {pos + 9};
    String channel = readString(buffer, at);
    String subtopic = readString(buffer, at);
    String publisher = readString(buffer, at);
    String protocol = readString(buffer, at);
    int length = buffer.getInt(at[0]);
    Buffer payload = buffer.getBuffer(at[0] + 4, at[0] + 4 + length);
    at[0] += 4 + length;
    MessageProperties properties = (flags & PROPERTIES) != 0 ? MessageProperties.decode(buffer, at) : null;
    return new ChannelMessage(channel, subtopic, publisher, protocol, flags & 3, payload, created,
        (flags & RETAIN) != 0, properties, null);
  }

  private static String readString(Buffer buffer, int[] at) {
    int length = buffer.getUnsignedShort(at[0]);
    String text = buffer.getString(at[0] + 2, at[0] + 2 + length, "UTF-8");
    at[0] += 2 + length;
    return text;
  }

  @Override
  public ChannelMessage transform(ChannelMessage message) {
    return message;
  }

  @Override
  public String name() {
    return "fluxgate.channel-message";
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
