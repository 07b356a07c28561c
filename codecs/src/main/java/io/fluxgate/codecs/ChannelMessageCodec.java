package io.fluxgate.codecs;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.nio.charset.StandardCharsets;

/**
 * Carries a {@link ChannelMessage} across the cluster in a compact binary form: created (8 bytes), QoS (1), four
 * length-prefixed UTF-8 strings, then the payload with its length. Local delivery passes the message itself.
 */
public final class ChannelMessageCodec implements MessageCodec<ChannelMessage, ChannelMessage> {

  @Override
  public void encodeToWire(Buffer buffer, ChannelMessage message) {
    buffer.appendLong(message.created()).appendByte((byte) message.qos());
    appendString(buffer, message.channelId());
    appendString(buffer, message.subtopic());
    appendString(buffer, message.publisher());
    appendString(buffer, message.protocol());
    buffer.appendInt(message.payload().length()).appendBuffer(message.payload());
  }

  private static void appendString(Buffer buffer, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    buffer.appendUnsignedShort(bytes.length).appendBytes(bytes);
  }

  @Override
  public ChannelMessage decodeFromWire(int pos, Buffer buffer) {
    long created = buffer.getLong(pos);
    int qos = buffer.getByte(pos + 8);
    int[] at = {pos + 9};
    String channel = readString(buffer, at);
    String subtopic = readString(buffer, at);
    String publisher = readString(buffer, at);
    String protocol = readString(buffer, at);
    int length = buffer.getInt(at[0]);
    Buffer payload = buffer.getBuffer(at[0] + 4, at[0] + 4 + length);
    return new ChannelMessage(channel, subtopic, publisher, protocol, qos, payload, created);
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
