package io.fluxgate.events.nats;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.Delivery;
import io.fluxgate.events.EventStoreConfig;
import io.nats.client.ConsumeOptions;
import io.nats.client.Message;
import io.vertx.core.Context;
import java.util.ArrayDeque;

/**
 * Feeds the messages of one durable JetStream consumer to its handler one at a time, in order, on the
 * subscriber's Vert.x context; acknowledges each once handled or dead-lettered.
 */
final class NatsConsumerWorker {

  static final int MAX_ACK_PENDING = 256;

  private final String stream;
  private final Context context;
  private final Delivery delivery;
  private final EventStoreConfig config;
  private final ArrayDeque<Message> queue = new ArrayDeque<>();
  private boolean busy;

  NatsConsumerWorker(String stream, Context context, Delivery delivery, EventStoreConfig config) {
    this.stream = stream;
    this.context = context;
    this.delivery = delivery;
    this.config = config;
  }

  ConsumeOptions consumeOptions() {
    return ConsumeOptions.builder().batchSize(64).expiresIn(30_000).build();
  }

  /** Called on a jnats dispatcher thread. */
  void received(Message message) {
    context.runOnContext(v -> {
      queue.add(message);
      next();
    });
  }

  private void next() {
    if (busy || queue.isEmpty()) {
      return;
    }
    Message message = queue.poll();
    DomainEvent event = NatsEventStore.decode(stream, message);
    if (event == null) {
      message.term();
      next();
      return;
    }
    busy = true;
    delivery.deliver(event).onComplete(result -> {
      if (result.succeeded()) {
        message.ack();
      } else {
        message.nakWithDelay(config.backoff(config.maxAttempts()));
      }
      busy = false;
      next();
    });
  }
}
