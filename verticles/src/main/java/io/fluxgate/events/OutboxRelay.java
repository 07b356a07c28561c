package io.fluxgate.events;

import io.fluxgate.codecs.DomainEvent;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the outbox honest: clears the rows of events the store has acknowledged (in batches, not a round trip
 * per event), and re-publishes rows that stayed longer than the relay delay, which happens only when the store
 * was unreachable or the node stopped between commit and append.
 */
final class OutboxRelay {

  private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);
  private static final int CLEAR_BATCH = 256;
  private static final int RELAY_BATCH = 500;

  private final Vertx vertx;
  private final Outbox outbox;
  private final EventPublisher publisher;
  private final EventStoreConfig config;
  private List<String> toClear = new ArrayList<>();
  private boolean clearing;
  private boolean relaying;
  private Predicate<String> inFlight = id -> false;

  OutboxRelay(Vertx vertx, Outbox outbox, EventPublisher publisher, EventStoreConfig config) {
    this.vertx = vertx;
    this.outbox = outbox;
    this.publisher = publisher;
    this.config = config;
  }

  void skipWhile(Predicate<String> inFlight) {
    this.inFlight = inFlight;
  }

  /** The store has acknowledged {@code eventId}; its row goes with the next batch. */
  void cleared(String eventId) {
    toClear.add(eventId);
    if (toClear.size() >= CLEAR_BATCH) {
      flush();
    } else if (toClear.size() == 1) {
      vertx.setTimer(20, id -> flush());
    }
  }

  void flush() {
    if (clearing || toClear.isEmpty()) {
      return;
    }
    List<String> batch = toClear;
    toClear = new ArrayList<>();
    clearing = true;
    outbox.clear(batch).onComplete(result -> {
      clearing = false;
      if (result.failed()) {
        // The rows stay and are relayed later; the store drops the duplicates by event_id.
        LOG.warn("clearing {} outbox rows failed: {}", batch.size(), result.cause().toString());
      }
      if (!toClear.isEmpty()) {
        flush();
      }
    });
  }

  /** Re-publishes outbox rows older than the relay delay that are not being appended right now. */
  void relay() {
    if (relaying) {
      return;
    }
    relaying = true;
    long before = DomainEvent.nowNanos() - config.relayDelay().toNanos();
    outbox.due(before, RELAY_BATCH).onComplete(result -> {
      relaying = false;
      if (result.failed()) {
        LOG.warn("reading the outbox failed: {}", result.cause().toString());
        return;
      }
      int relayed = 0;
      for (DomainEvent event : result.result()) {
        if (!inFlight.test(event.eventId())) {
          publisher.publishRecorded(event);
          relayed++;
        }
      }
      if (relayed > 0) {
        LOG.info("relayed {} events from the outbox", relayed);
      }
    });
  }

  /** Completes once every acknowledged row has been cleared (or the attempt to clear it has ended). */
  Future<Void> settle() {
    flush();
    if (!clearing && toClear.isEmpty()) {
      return Future.succeededFuture();
    }
    Promise<Void> later = Promise.promise();
    vertx.setTimer(10, id -> settle().onComplete(later));
    return later.future();
  }
}
