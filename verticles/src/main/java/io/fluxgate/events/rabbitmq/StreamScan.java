package io.fluxgate.events.rabbitmq;

import io.fluxgate.codecs.DomainEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import java.util.UUID;

/**
 * Reads a stream queue from {@code start} up to an end marker it publishes once it consumes: a stream queue has no
 * "last offset" to ask for over AMQP 0-9-1, so the marker is the positive sign that everything before it was read.
 */
final class StreamScan extends StreamQueueReader {

  private final Object start;
  private final Handler<DomainEvent> each;
  private final String markerId = UUID.randomUUID().toString();
  private final Promise<Long> end = Promise.promise();
  private long count;

  /** Hands every event before the marker to {@code each}; {@code start} as {@code x-stream-offset} takes it. */
  StreamScan(RabbitEventStore store, String stream, Object start, Handler<DomainEvent> each, Context context) {
    super(store, stream, context);
    this.start = start;
    this.each = each;
  }

  /** Completes with the marker's offset once every message before it went by. */
  Future<Long> run() {
    store.register(this);
    consumeFrom(start)
        .compose(v -> store.publishMarker(stream, markerId, context))
        .onFailure(e -> {
          end.tryFail(e);
          stop();
        });
    return end.future();
  }

  /** How many events went to {@code each}. */
  long count() {
    return count;
  }

  /** Ends the scan early, with the offset reached so far. */
  void enough() {
    end.tryComplete(nextOffset - 1);
    stop();
  }

  @Override
  Future<Void> handle(DomainEvent event, long offset) {
    if (!end.future().isComplete()) {
      count++;
      each.handle(event);
    }
    return Future.succeededFuture();
  }

  @Override
  void marker(String id, long offset) {
    if (id.equals(markerId)) {
      end.tryComplete(offset);
      stop();
    }
  }

  @Override
  Future<Void> reopen() {
    return consumeFrom(start);
  }
}
