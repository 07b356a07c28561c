package io.fluxgate.events;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.EncodedEvent;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.IntSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the outbox honest: clears the rows of events the store has acknowledged (in batches, not a round trip
 * per event), records the store's refusals, and re-publishes rows that stayed longer than the relay delay, which
 * happens only when the store was unreachable or refused them, or the node stopped between commit and append.
 *
 * <p>Rows are claimed for a lease before they are re-published, so the relays of several nodes never publish one
 * row together. A row older than the store's de-duplication window is first looked for in the store, so a row
 * relayed at any later time never becomes a second copy. A row the store refused {@code es.max_attempts} times
 * while it accepted others moves to the dead-letter table; an outage alone never buries a row.
 */
final class OutboxRelay {

  private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);
  private static final int CLEAR_BATCH = 256;
  private static final int RELAY_BATCH = 500;
  /** Clocks of nodes and the store's server differ by less than this. */
  private static final Duration CLOCK_SLACK = Duration.ofSeconds(5);

  private final Vertx vertx;
  private final Outbox outbox;
  private final EventPublisher publisher;
  private final EventStore store;
  private final EventStoreConfig config;
  private final String claimant = UUID.randomUUID().toString();
  private List<String> toClear = new ArrayList<>();
  private List<String> refused = new ArrayList<>();
  private List<String> refusals = new ArrayList<>();
  private boolean clearing;
  private boolean relaying;
  private boolean buryDue = true;
  private long lastAcknowledged;
  private long round;
  private long claims;
  private long relayed;
  private volatile Outbox.Stats stats = new Outbox.Stats(0, 0, 0);
  private Predicate<String> inFlight = id -> false;
  private IntSupplier room = () -> RELAY_BATCH;

  OutboxRelay(Vertx vertx, Outbox outbox, EventPublisher publisher, EventStore store, EventStoreConfig config) {
    this.vertx = vertx;
    this.outbox = outbox;
    this.publisher = publisher;
    this.store = store;
    this.config = config;
  }

  void skipWhile(Predicate<String> inFlight) {
    this.inFlight = inFlight;
  }

  /** Claims no more rows than the interceptor can hold, so claimed rows do not wait out their lease unsent. */
  void claimAtMost(IntSupplier room) {
    this.room = room;
  }

  /** The store has acknowledged {@code eventId}; its row goes with the next batch. */
  void cleared(String eventId) {
    lastAcknowledged = System.nanoTime();
    toClear.add(eventId);
    if (toClear.size() >= CLEAR_BATCH) {
      flush();
    } else if (toClear.size() == 1) {
      vertx.setTimer(20, id -> flush());
    }
  }

  /** The store refused the outbox event {@code eventId} (or did not answer); its row records why. */
  void refused(String eventId, Throwable cause) {
    refused.add(eventId);
    refusals.add(String.valueOf(cause.getMessage() == null ? cause.toString() : cause.getMessage()));
    if (refused.size() >= CLEAR_BATCH) {
      flush();
    } else if (refused.size() == 1) {
      vertx.setTimer(20, id -> flush());
    }
  }

  /** Whether the store acknowledged an event lately: only then does a refusal say something about the event. */
  private boolean storeAnswering() {
    long recent = Math.max(config.appendTimeout().toNanos() * 2, Duration.ofSeconds(10).toNanos());
    return lastAcknowledged != 0 && System.nanoTime() - lastAcknowledged < recent;
  }

  void flush() {
    if (clearing || (toClear.isEmpty() && refused.isEmpty())) {
      return;
    }
    List<String> batch = toClear;
    List<String> failedIds = refused;
    List<String> errors = refusals;
    toClear = new ArrayList<>();
    refused = new ArrayList<>();
    refusals = new ArrayList<>();
    boolean counted = storeAnswering();
    buryDue |= counted && !failedIds.isEmpty();
    clearing = true;
    Future<Void> cleared = batch.isEmpty() ? Future.succeededFuture() : outbox.clear(batch);
    cleared.onFailure(e ->
            // The rows stay and are relayed later; the store drops the duplicates by event_id.
            LOG.warn("clearing {} outbox rows failed: {}", batch.size(), e.toString()))
        .transform(v -> failedIds.isEmpty() ? Future.<Void>succeededFuture()
            : outbox.recordFailures(failedIds, errors, counted))
        .onComplete(result -> {
          clearing = false;
          if (result.failed()) {
            LOG.warn("recording {} refused outbox events failed: {}", failedIds.size(), result.cause().toString());
          }
          if (!toClear.isEmpty() || !refused.isEmpty()) {
            flush();
          }
        });
  }

  /**
   * One tick: buries exhausted rows, claims and re-publishes rows older than the relay delay (batch after batch
   * while full batches come back and the interceptor has room, so a backlog drains at the store's pace, not one
   * batch a tick), then reads the outbox's figures for the metrics.
   */
  void relay() {
    if (relaying) {
      return;
    }
    relaying = true;
    round++;
    (buryDue ? bury() : Future.<Void>succeededFuture()).onComplete(buried -> {
      if (buried.failed()) {
        finishRound(buried.cause());
      } else {
        claimBatch();
      }
    });
  }

  /** Claims and re-publishes one batch, then the next from a fresh future, so no chain of batches stays in memory. */
  private void claimBatch() {
    int batch = Math.min(RELAY_BATCH, room.getAsInt());
    if (batch <= 0) {
      finishRound(null);
      return;
    }
    outbox.claim(claimant + "/" + (++claims), DomainEvent.nowNanos() - config.relayDelay().toNanos(), lease(), batch)
        .compose(claimed -> republish(claimed).map(claimed.size()))
        .onComplete(result -> {
          if (result.failed()) {
            finishRound(result.cause());
          } else if (result.result() == batch && storeAnswering()) {
            // Only while the store answers: during an outage one batch a tick is enough to notice it is back.
            claimBatch();
          } else {
            finishRound(null);
          }
        });
  }

  private void finishRound(Throwable failure) {
    if (failure != null) {
      LOG.warn("relaying the outbox failed: {}", failure.toString());
    }
    outbox.stats().onComplete(result -> {
      relaying = false;
      if (relayed > 0) {
        LOG.info("relayed {} events from the outbox", relayed);
        relayed = 0;
      }
      if (result.failed()) {
        LOG.warn("reading the outbox's figures failed: {}", result.cause().toString());
        return;
      }
      Outbox.Stats before = stats;
      stats = result.result();
      if (round == 1) {
        LOG.info("outbox: {} events wait for the store, {} dead rows", stats.rows(), stats.deadRows());
      } else if (before.rows() > 0 && stats.rows() == 0) {
        LOG.info("outbox drained: the store holds every committed event");
      }
    });
  }

  private Future<Void> bury() {
    buryDue = false;
    return outbox.buryExhausted(config.maxAttempts()).map(dead -> {
      for (Outbox.DeadRow row : dead) {
        LOG.warn("outbox event {} of {} moved to the dead-letter table after {} refusals: {}"
                + " (list and re-queue with 'fluxgate events outbox')",
            row.eventId(), row.stream(), row.attempts(), row.lastError());
      }
      return null;
    });
  }

  /** Long enough for a claimed row's append to be answered or time out before another relay may take it. */
  private long lease() {
    return config.appendTimeout().toNanos() * 2 + config.relayInterval().toNanos();
  }

  private Future<Void> republish(List<Outbox.Claimed> claimed) {
    List<Outbox.Claimed> fresh = new ArrayList<>();
    List<Outbox.Claimed> old = new ArrayList<>();
    Duration window = store.deduplicationWindow();
    boolean finite = window.compareTo(Duration.ofDays(3650)) < 0;
    long oldBefore = finite ? DomainEvent.nowNanos() - window.minus(CLOCK_SLACK).toNanos() : Long.MIN_VALUE;
    for (Outbox.Claimed row : claimed) {
      if (inFlight.test(row.event().eventId())) {
        continue;
      }
      (row.createdAt() < oldBefore ? old : fresh).add(row);
    }
    publish(fresh);
    if (old.isEmpty()) {
      return Future.succeededFuture();
    }
    // The store may hold these already and no longer remembers their ids: look before publishing again.
    long from = old.stream().mapToLong(Outbox.Claimed::createdAt).min().getAsLong();
    long to = old.stream().mapToLong(Outbox.Claimed::lastAttemptAt).max().getAsLong()
        + config.appendTimeout().toNanos();
    return store.held(old.stream().map(Outbox.Claimed::event).toList(), from, to).map(held -> {
      List<Outbox.Claimed> missing = new ArrayList<>();
      List<String> present = new ArrayList<>();
      for (Outbox.Claimed row : old) {
        if (held.contains(row.event().eventId())) {
          present.add(row.event().eventId());
        } else {
          missing.add(row);
        }
      }
      if (!present.isEmpty()) {
        LOG.info("{} outbox rows older than the store's de-duplication window were in the store already",
            present.size());
        present.forEach(this::cleared);
      }
      publish(missing);
      return null;
    });
  }

  private void publish(List<Outbox.Claimed> rows) {
    rows.forEach(row -> publisher.publishRecorded(new EncodedEvent(row.event(), row.body())));
    relayed += rows.size();
  }

  /** The outbox as the last round saw it, for the metrics. */
  Outbox.Stats stats() {
    return stats;
  }

  /** Completes once every acknowledged row has been cleared (or the attempt to clear it has ended). */
  Future<Void> settle() {
    flush();
    if (!clearing && toClear.isEmpty() && refused.isEmpty()) {
      return Future.succeededFuture();
    }
    Promise<Void> later = Promise.promise();
    vertx.setTimer(10, id -> settle().onComplete(later));
    return later.future();
  }
}
