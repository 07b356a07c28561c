package io.fluxgate.codecs;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.nio.charset.StandardCharsets;

/**
 * Carries a {@link DomainEvent} across the clustered event bus: the stream name, then the contract's JSON body,
 * each length-prefixed. Local delivery passes the (immutable) event itself.
 */
public final class DomainEventCodec implements MessageCodec<DomainEvent, DomainEvent> {

  public static final String NAME = "fluxgate.domain-event";

  @Override
  public void encodeToWire(Buffer buffer, DomainEvent event) {
    byte[] stream = event.stream().getBytes(StandardCharsets.UTF_8);
    buffer.appendInt(stream.length).appendBytes(stream);
    int lengthAt = buffer.length();
    buffer.appendInt(0);
    buffer.appendBuffer(event.toBuffer());
    buffer.setInt(lengthAt, buffer.length() - lengthAt - 4);
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
  public DomainEvent transform(DomainEvent event) {
    return event;
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
