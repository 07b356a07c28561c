package io.fluxgate.codecs;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * What an MQTT 5 publisher said about its message besides the payload, carried to every subscriber: the payload
 * format indicator (-1 when absent), the message expiry interval in seconds (-1: none), the content type, response
 * topic and correlation data (null when absent) and the user properties as name, value, name, value (empty: none).
 * A message without any of them has no MessageProperties at all.
 */
public record MessageProperties(int payloadFormat, long expirySeconds, String contentType, String responseTopic,
    Buffer correlationData, List<String> userProperties) {

  private static final int FORMAT = 1;
  private static final int EXPIRY = 2;
  private static final int CONTENT_TYPE = 4;
  private static final int RESPONSE_TOPIC = 8;
  private static final int CORRELATION = 16;
  private static final int USER = 32;

  /** The seconds left of the expiry interval after {@code waitedNanos}, or -1 when the message never expires. */
  public long remainingSeconds(long waitedNanos) {
    if (expirySeconds < 0) {
      return -1;
    }
    return Math.max(0, expirySeconds - Math.max(0, waitedNanos) / 1_000_000_000L);
  }

  /** Whether the message is past its expiry interval after {@code waitedNanos}. */
  public boolean expired(long waitedNanos) {
    return expirySeconds >= 0 && waitedNanos >= expirySeconds * 1_000_000_000L;
  }

  /** Appends a flags byte and the fields present. */
  public void encode(Buffer buffer) {
    int flags = (payloadFormat >= 0 ? FORMAT : 0) | (expirySeconds >= 0 ? EXPIRY : 0)
        | (contentType != null ? CONTENT_TYPE : 0) | (responseTopic != null ? RESPONSE_TOPIC : 0)
        | (correlationData != null ? CORRELATION : 0) | (!userProperties.isEmpty() ? USER : 0);
    buffer.appendByte((byte) flags);
    if (payloadFormat >= 0) {
      buffer.appendByte((byte) payloadFormat);
    }
    if (expirySeconds >= 0) {
      buffer.appendUnsignedInt(expirySeconds);
    }
    if (contentType != null) {
      appendString(buffer, contentType);
    }
    if (responseTopic != null) {
      appendString(buffer, responseTopic);
    }
    if (correlationData != null) {
      buffer.appendUnsignedShort(correlationData.length()).appendBuffer(correlationData);
    }
    if (!userProperties.isEmpty()) {
      buffer.appendInt(userProperties.size());
      userProperties.forEach(text -> appendString(buffer, text));
    }
  }

  /** Reads what {@link #encode} wrote at {@code at[0]}, moving it past. */
  public static MessageProperties decode(Buffer buffer, int[] at) {
    int flags = buffer.getByte(at[0]++);
    int format = -1;
    long expiry = -1;
    if ((flags & FORMAT) != 0) {
      format = buffer.getByte(at[0]++);
    }
    if ((flags & EXPIRY) != 0) {
      expiry = buffer.getUnsignedInt(at[0]);
      at[0] += 4;
    }
    String contentType = (flags & CONTENT_TYPE) != 0 ? readString(buffer, at) : null;
    String responseTopic = (flags & RESPONSE_TOPIC) != 0 ? readString(buffer, at) : null;
    Buffer correlation = null;
    if ((flags & CORRELATION) != 0) {
      int length = buffer.getUnsignedShort(at[0]);
      correlation = buffer.getBuffer(at[0] + 2, at[0] + 2 + length);
      at[0] += 2 + length;
    }
    List<String> user = List.of();
    if ((flags & USER) != 0) {
      int count = buffer.getInt(at[0]);
      at[0] += 4;
      String[] texts = new String[count];
      for (int i = 0; i < count; i++) {
        texts[i] = readString(buffer, at);
      }
      user = List.of(texts);
    }
    return new MessageProperties(format, expiry, contentType, responseTopic, correlation, user);
  }

  static void appendString(Buffer buffer, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    buffer.appendUnsignedShort(bytes.length).appendBytes(bytes);
  }

  static String readString(Buffer buffer, int[] at) {
    int length = buffer.getUnsignedShort(at[0]);
    String text = buffer.getString(at[0] + 2, at[0] + 2 + length, "UTF-8");
    at[0] += 2 + length;
    return text;
  }
}
