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
 * subscriber's Vert.x context; acknowledges each once handled or dead-lettered. Messages waiting behind a slow or
 * retrying handler get in-progress acknowledgements, so JetStream does not deliver them again out of order.
 */
final class NatsConsumerWorker {

  static final int MAX_ACK_PENDING = 256;
  /** How long one pull request waits on the server: a stopped instance's last one is gone this long after it. */
  private static final long PULL_EXPIRES_MS = 5_000;
  /** Messages given back at a stop come again after the stopped instance's last pull expired, not into it. */
  private static final java.time.Duration GIVE_BACK_DELAY = java.time.Duration.ofMillis(PULL_EXPIRES_MS + 1_000);

  private final String stream;
  private final Context context;
  private final Delivery delivery;
  private final EventStoreConfig config;
  private final ArrayDeque<Message> queue = new ArrayDeque<>();
  private Message current;
  private boolean busy;
  private boolean stopped;
  private final long keepAlive;

  NatsConsumerWorker(String stream, Context context, Delivery delivery, EventStoreConfig config) {
    this.stream = stream;
    this.context = context;
    this.delivery = delivery;
    this.config = config;
    // A third of the ack wait: two in-progress acknowledgements may be late before JetStream gives up on one.
    long every = Math.max(100, ((NatsSettings) config.store()).ackWait().toMillis() / 3);
    this.keepAlive = context.owner().setPeriodic(every, every, id -> context.runOnContext(v -> inProgress()));
  }

  /** Tells JetStream that every message this worker holds is still being worked on. */
  private void inProgress() {
    if (current != null) {
      current.inProgress();
    }
    queue.forEach(Message::inProgress);
  }

  /** Stops the in-progress acknowledgements and gives back what it holds, so the next instance gets it at once. */
  io.vertx.core.Future<Void> stop() {
    context.owner().cancelTimer(keepAlive);
    io.vertx.core.Promise<Void> given = io.vertx.core.Promise.promise();
    context.runOnContext(v -> {
      stopped = true;
      if (current != null) {
        current.nakWithDelay(GIVE_BACK_DELAY);
      }
      queue.forEach(message -> message.nakWithDelay(GIVE_BACK_DELAY));
      queue.clear();
      given.complete();
    });
    return given.future();
  }

  ConsumeOptions consumeOptions() {
    return ConsumeOptions.builder().batchSize(64).expiresIn(PULL_EXPIRES_MS).build();
  }

  /** Called on a jnats dispatcher thread. */
  void received(Message message) {
    context.runOnContext(v -> {
      queue.add(message);
      next();
    });
  }

  private void next() {
    if (stopped) {
      queue.forEach(message -> message.nakWithDelay(GIVE_BACK_DELAY));
      queue.clear();
      return;
    }
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
    current = message;
    delivery.deliver(event).onComplete(result -> {
      current = null;
      if (stopped) {
        // Given back at the stop: the next instance handles it.
        return;
      }
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
