package io.fluxgate.codecs;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.nio.charset.StandardCharsets;

/**
 * Sends an {@link EncodedEvent} and delivers the {@link DomainEvent} inside it: consumers see the same type as for
 * a plain event. On the wire it writes the same layout as {@link DomainEventCodec}, from the bytes it carries.
 */
public final class EncodedEventCodec implements MessageCodec<EncodedEvent, DomainEvent> {

  public static final String NAME = "fluxgate.encoded-event";

  @Override
  public void encodeToWire(Buffer buffer, EncodedEvent encoded) {
    byte[] stream = encoded.event().stream().getBytes(StandardCharsets.UTF_8);
    buffer.appendInt(stream.length).appendBytes(stream);
    buffer.appendInt(encoded.body().length).appendBytes(encoded.body());
  }

  @Override
  public DomainEvent decodeFromWire(int pos, Buffer buffer) {
    int streamLength = buffer.getInt(pos);
    pos += 4;
    String stream = buffer.getString(pos, pos + streamLength, "UTF-8");
    pos += streamLength;
    int bodyLength = buffer.getInt(pos);
    pos += 4;
    return DomainEvent.fromBuffer(stream, buffer.getBuffer(pos, pos + bodyLength));
  }

  @Override
  public DomainEvent transform(EncodedEvent encoded) {
    return encoded.event();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
