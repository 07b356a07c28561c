package io.fluxgate.codecs;

import java.util.Objects;

/**
 * A {@link DomainEvent} travelling with its contract JSON already encoded (for instance the bytes of its outbox
 * row), so that nothing on its way to the store encodes it again. On the bus it is delivered as the plain event.
 *
 * @param event the event
 * @param body its contract JSON as UTF-8, {@link DomainEvent#toBytes()} or the bytes it was stored as; never changed
 */
public record EncodedEvent(DomainEvent event, byte[] body) {

  public EncodedEvent {
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(body, "body");
  }

  /** {@code event} with its body encoded now. */
  public static EncodedEvent of(DomainEvent event) {
    return new EncodedEvent(event, event.toBytes());
  }
}
