package io.fluxgate.events;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.Streams;
import io.fluxgate.events.EventStore.EventHandler;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands one event to a durable consumer's handler: retried with back-off, then parked on the dead-letter stream.
 * The same rules for every store, so consumers behave alike whichever log is configured.
 */
public final class Delivery {

  /** The operation of a dead-letter entry; its {@code event} field is the event that could not be handled. */
  public static final String DEAD_LETTER = "event.dead_letter";

  /**
   * How long stopping a consumer waits for a handler still at work before it gives up on it; the event it held is
   * delivered again at the next start (every store's stop is bounded by this).
   */
  public static final java.time.Duration STOP_GRACE = java.time.Duration.ofSeconds(5);

  private static final Logger LOG = LoggerFactory.getLogger(Delivery.class);

  private final Vertx vertx;
  private final EventStoreConfig config;
  private final String consumer;
  private final EventHandler handler;
  private final Function<DomainEvent, Future<Void>> deadLetters;

  public Delivery(
      Vertx vertx,
      EventStoreConfig config,
      String consumer,
      EventHandler handler,
      Function<DomainEvent, Future<Void>> deadLetters) {
    this.vertx = vertx;
    this.config = config;
    this.consumer = consumer;
    this.handler = handler;
    this.deadLetters = deadLetters;
  }

  /** Completes when the event was handled or dead-lettered (so it may be acknowledged); fails only if parking it failed. */
  public Future<Void> deliver(DomainEvent event) {
    return attempt(event, 1);
  }

  private Future<Void> attempt(DomainEvent event, int attempt) {
    return call(event).recover(error -> {
      if (attempt >= config.maxAttempts()) {
        LOG.warn("consumer {} gave up on {} {} after {} attempts: {}",
            consumer, event.operation(), event.eventId(), attempt, error.toString());
        return deadLetters.apply(deadLetter(event, error, attempt));
      }
      Promise<Void> pause = Promise.promise();
      vertx.setTimer(config.backoff(attempt).toMillis(), id -> pause.complete());
      return pause.future().compose(v -> attempt(event, attempt + 1));
    });
  }

  private Future<Void> call(DomainEvent event) {
    try {
      Future<Void> result = handler.handle(event);
      return result == null ? Future.failedFuture("handler returned no future") : result;
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private DomainEvent deadLetter(DomainEvent event, Throwable error, int attempts) {
    return DomainEvent.occurred(
        Streams.deadLetters(event.stream()),
        DEAD_LETTER,
        event.instance(),
        DomainEvent.NO_REVISION,
        new JsonObject()
            .put("consumer", consumer)
            .put("error", String.valueOf(error.getMessage()))
            .put("attempts", attempts)
            .put("event", event.toJson()));
  }
}
