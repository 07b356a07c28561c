package io.fluxgate.events;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.EncodedEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the outbox honest: clears the rows of events the store has acknowledged (in batches, not a round trip
 * per event), records the store's refusals, and re-publishes rows that stayed longer than the relay delay, which
 * happens only when the store was unreachable or refused them, or the node stopped between commit and append.
 *
 * <p>Rows are claimed for a lease before they are re-published, so the relays of several nodes never publish one
 * row together. A failed attempt ends its lease, so the row is taken again before the newer rows of its stream; the
 * rows of a stream the {@link EventInterceptor} holds are taken whatever their age, one at a time while the stream's
 * appends fail, and once every one of them is published the interceptor's parked events follow. A row older than the store's de-duplication window is first looked for in the store, so a row
 * relayed at any later time never becomes a second copy. A row the store refused {@code es.max_attempts} times
 * while it accepted others moves to the dead-letter table; an outage alone never buries a row.
 */
final class OutboxRelay {

  private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);
  private static final int CLEAR_BATCH = 256;
  private static final int RELAY_BATCH = 500;
  /** Stands for the start of an attempt the store refused outright ({@link EventStore.Refused}). */
  private static final long REFUSED_BY_STORE = Long.MIN_VALUE;
  /** Stands for the start of an attempt that never reached the store: its failure never counts. */
  static final long NOT_COUNTED = Long.MAX_VALUE;
  /** An event is published this soon after its command commits, or it is parked or left to the relay already. */
  private static final Duration PUBLISHING = Duration.ofSeconds(1);
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
  private List<Long> refusedStarts = new ArrayList<>();
  /** Refusals reported and refusals recorded in the outbox, so a claim can wait for the ones before it. */
  private long refusalsReported;
  private long refusalsRecorded;
  private EventInterceptor interceptor;
  private Context context;
  private boolean clearing;
  private boolean relaying;
  private boolean buryDue = true;
  private long lastAcknowledged;
  private long round;
  private long claims;
  private long relayed;
  private volatile Outbox.Stats stats = new Outbox.Stats(0, 0, 0);

  OutboxRelay(Vertx vertx, Outbox outbox, EventPublisher publisher, EventStore store, EventStoreConfig config) {
    this.vertx = vertx;
    this.outbox = outbox;
    this.publisher = publisher;
    this.store = store;
    this.config = config;
  }

  /**
   * Relays for {@code interceptor}, on its context: leaves its in-flight rows alone and follows the streams it
   * holds.
   */
  void follow(EventInterceptor interceptor, Context context) {
    this.interceptor = interceptor;
    this.context = context;
  }

  /**
   * {@code result}, completed on the interceptor's context: the database's client may answer on a thread of its
   * own, and the relay's state and the interceptor's holds belong to that one context.
   */
  private <T> Future<T> here(Future<T> result) {
    if (context == null) {
      return result;
    }
    Promise<T> there = Promise.promise();
    result.onComplete(done -> {
      if (Vertx.currentContext() == context) {
        there.handle(done);
      } else {
        context.runOnContext(v -> there.handle(done));
      }
    });
    return there.future();
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

  /**
   * The store refused the outbox event {@code eventId} (or did not answer) in the attempt started at
   * {@code startedAt} ({@link System#nanoTime()}); its row records why.
   */
  void refused(String eventId, Throwable cause, long startedAt) {
    refused.add(eventId);
    refusals.add(String.valueOf(cause.getMessage() == null ? cause.toString() : cause.getMessage()));
    refusedStarts.add(cause instanceof EventStore.Refused ? REFUSED_BY_STORE : startedAt);
    refusalsReported++;
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
    List<Long> starts = refusedStarts;
    long reported = refusalsReported;
    toClear = new ArrayList<>();
    refused = new ArrayList<>();
    refusals = new ArrayList<>();
    refusedStarts = new ArrayList<>();
    // A failure says something about the event only if the store refused it outright, or acknowledged another event
    // after the attempt began: during an outage neither happens, and no row moves towards the dead letter.
    List<Boolean> counted = new ArrayList<>(starts.size());
    starts.forEach(start -> counted.add(start == REFUSED_BY_STORE
        || (start != NOT_COUNTED && lastAcknowledged != 0 && lastAcknowledged - start > 0)));
    buryDue |= counted.contains(true);
    clearing = true;
    Future<Void> cleared = batch.isEmpty() ? Future.succeededFuture() : here(outbox.clear(batch));
    cleared.onFailure(e ->
            // The rows stay and are relayed later; the store drops the duplicates by event_id.
            LOG.warn("clearing {} outbox rows failed: {}", batch.size(), e.toString()))
        .transform(v -> failedIds.isEmpty() ? Future.<Void>succeededFuture()
            : here(outbox.recordFailures(claimant, failedIds, errors, counted)))
        .onComplete(result -> {
          clearing = false;
          refusalsRecorded = reported;
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
    claimBatch();
  }

  private Future<Void> refusalsRecorded(long reported) {
    flush();
    if (refusalsRecorded >= reported) {
      return Future.succeededFuture();
    }
    Promise<Void> later = Promise.promise();
    vertx.setTimer(5, id -> refusalsRecorded(reported).onComplete(later));
    return later.future();
  }

  /** Claims and re-publishes one batch, then the next from a fresh future, so no chain of batches stays in memory. */
  private void claimBatch() {
    // The refusals reported so far end their rows' leases first, or newer rows would be taken before them; a row
    // they exhausted goes to the dead letter before it could be tried once more.
    refusalsRecorded(refusalsReported)
        .compose(v -> buryDue ? bury() : Future.<Void>succeededFuture())
        .onComplete(buried -> {
          if (buried.failed()) {
            finishRound(buried.cause());
          } else {
            claimRecorded();
          }
        });
  }

  private void claimRecorded() {
    // Parked events are held but not claimed rows: they do not shrink the room for the rows ahead of them.
    int room = interceptor == null ? RELAY_BATCH
        : config.maxPending() - interceptor.held() + interceptor.parkedCount();
    int batch = Math.min(RELAY_BATCH, room);
    if (batch <= 0) {
      finishRound(null);
      return;
    }
    // What the interceptor holds, read here on its context: the claim's filter runs wherever the database answers.
    Map<String, EventInterceptor.HeldStream> held = new HashMap<>();
    if (interceptor != null) {
      interceptor.heldStreams().forEach(stream -> held.put(stream, interceptor.claiming(stream)));
    }
    Set<String> incomplete = new HashSet<>();
    Set<String> pastParked = new HashSet<>();
    Set<String> probed = new HashSet<>();
    Map<String, Integer> taken = new HashMap<>();
    long justCommitted = DomainEvent.nowNanos() - PUBLISHING.toNanos();
    here(outbox.claim(claimant, DomainEvent.nowNanos() - config.relayDelay().toNanos(), lease(), batch, held.keySet(),
            claimant + "/" + (++claims), row -> {
              String stream = row.event().stream();
              String id = row.event().eventId();
              EventInterceptor.HeldStream hold = held.get(stream);
              if (interceptor != null && interceptor.inFlight(id)) {
                if (hold != null && hold.parked().contains(id)) {
                  pastParked.add(stream);
                } else if (hold != null) {
                  incomplete.add(stream);
                }
                return false;
              }
              if (hold == null) {
                return true;
              }
              // Behind a parked event and just committed: its publication may be on the way, to be parked next, and
              // relayed now it would go before the parked event. (Seq order is not publication order across entities,
              // so an older row behind a parked one is one that failed or was left to the relay: it is taken.)
              if (pastParked.contains(stream) && row.createdAt() > justCommitted) {
                incomplete.add(stream);
                return false;
              }
              // While a stream's appends fail, its oldest row goes alone, once the one before has been answered: that
              // answer tells whether the store is back, and no newer row (nor a parked event) is stored while an
              // older one fails. A row the store refuses outright goes to the dead letter after es.max_attempts.
              if (hold.failing()) {
                incomplete.add(stream);
                if (hold.relaying() || !probed.add(stream)) {
                  return false;
                }
              }
              taken.merge(stream, 1, Integer::sum);
              return true;
            }))
        .compose(claim -> {
          incomplete.addAll(claim.incomplete());
          return republish(claim.taken()).onFailure(e -> {
            // Not published: their leases end now, or newer rows would be taken before them.
            claim.taken().forEach(row -> refused(row.event().eventId(), e, NOT_COUNTED));
          }).map(v -> {
            // Released once every row of the stream the claim could see is either taken now or parked.
            held.forEach((stream, hold) -> {
              long rows = claim.unleased().getOrDefault(stream, 0L);
              if (!incomplete.contains(stream) && rows == taken.getOrDefault(stream, 0) + hold.parked().size()) {
                interceptor.release(stream, hold.mark());
              }
            });
            return claim.taken().size();
          });
        })
        .onComplete(result -> {
          if (result.failed()) {
            finishRound(result.cause());
          } else if (result.result() >= batch && storeAnswering()) {
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
    here(outbox.stats()).onComplete(result -> {
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
    return here(outbox.buryExhausted(config.maxAttempts())).map(dead -> {
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

  /** Publishes the claimed rows oldest first, leaving out those the store turns out to hold already. */
  private Future<Void> republish(List<Outbox.Claimed> claimed) {
    List<Outbox.Claimed> old = new ArrayList<>();
    Duration window = store.deduplicationWindow();
    boolean finite = window.compareTo(Duration.ofDays(3650)) < 0;
    long oldBefore = finite ? DomainEvent.nowNanos() - window.minus(CLOCK_SLACK).toNanos() : Long.MIN_VALUE;
    for (Outbox.Claimed row : claimed) {
      if (row.createdAt() < oldBefore) {
        old.add(row);
      }
    }
    if (old.isEmpty()) {
      publish(claimed);
      return Future.succeededFuture();
    }
    // The store may hold these already and no longer remembers their ids: look before publishing again.
    long from = old.stream().mapToLong(Outbox.Claimed::createdAt).min().getAsLong();
    long to = old.stream().mapToLong(Outbox.Claimed::lastAttemptAt).max().getAsLong()
        + config.appendTimeout().toNanos();
    return here(store.held(old.stream().map(Outbox.Claimed::event).toList(), from, to)).map(held -> {
      List<Outbox.Claimed> missing = new ArrayList<>();
      List<String> present = new ArrayList<>();
      for (Outbox.Claimed row : claimed) {
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
    rows.forEach(row -> publisher.publishRelayed(new EncodedEvent(row.event(), row.body())));
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
