package io.fluxgate.codecs;

import io.vertx.core.eventbus.EventBus;

/** Registers Fluxgate's event-bus codecs; every node must do it, since the codec name travels on the wire. */
public final class Codecs {

  private Codecs() {}

  public static void register(EventBus bus) {
    bus.registerDefaultCodec(DomainEvent.class, new DomainEventCodec());
    bus.registerDefaultCodec(EncodedEvent.class, new EncodedEventCodec());
    bus.registerDefaultCodec(ThingAccess.class, new ThingAccessCodec());
    bus.registerDefaultCodec(ChannelMessage.class, new ChannelMessageCodec());
    bus.registerDefaultCodec(UserRequest.class, new UserRequestCodec());
  }
}
