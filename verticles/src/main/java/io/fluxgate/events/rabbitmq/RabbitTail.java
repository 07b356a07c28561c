package io.fluxgate.events.rabbitmq;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.EventStore.StartFrom;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;

/** Follows one stream queue from its first message or from the next one, without a stored offset. */
final class RabbitTail extends StreamQueueReader {

  private final StartFrom from;
  private final Handler<DomainEvent> handler;

  RabbitTail(RabbitEventStore store, String stream, StartFrom from, Handler<DomainEvent> handler, Context context) {
    super(store, stream, context);
    this.from = from;
    this.handler = handler;
  }

  Future<Void> start() {
    store.register(this);
    if (from == StartFrom.BEGINNING) {
      return consumeFrom("first");
    }
    // "next" would attach after consume-ok and could miss an event appended in between: start after a marker.
    return store.end(stream, context).compose(marker -> {
      nextOffset = marker + 1;
      return consumeFrom(nextOffset);
    });
  }

  @Override
  Future<Void> reopen() {
    return consumeFrom("first");
  }

  @Override
  Future<Void> handle(DomainEvent event, long offset) {
    if (!stopping) {
      handler.handle(event);
    }
    return Future.succeededFuture();
  }
}
