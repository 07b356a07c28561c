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
  private static final DomainEventCodec PLAIN = new DomainEventCodec();

  @Override
  public void encodeToWire(Buffer buffer, EncodedEvent encoded) {
    byte[] stream = encoded.event().stream().getBytes(StandardCharsets.UTF_8);
    buffer.appendInt(stream.length).appendBytes(stream);
    buffer.appendInt(encoded.body().length).appendBytes(encoded.body());
  }

  @Override
  public DomainEvent decodeFromWire(int pos, Buffer buffer) {
    // The same layout as a plain event's, so the receiving side is that codec's.
    return PLAIN.decodeFromWire(pos, buffer);
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
