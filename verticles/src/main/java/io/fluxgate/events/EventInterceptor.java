package io.fluxgate.events;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.EncodedEvent;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbound event-bus interceptor that makes domain events durable: every message on {@code events.<stream>}
 * carrying a {@link DomainEvent} is appended to the {@link EventStore}, and the bus delivers it only after the
 * store has acknowledged it. Appends are pipelined; deliveries of one stream go out in the order the events were
 * published. All state lives on one context, so publishers on any thread are serialised there.
 *
 * <p>When an append fails, an event with an outbox row is left to the {@link OutboxRelay}; any other event waits
 * in a bounded retry buffer and is tried again on every relay tick. At most {@code maxPending} events are held in
 * memory on their way to the store; beyond that an outbox event is left to the relay at once (its bytes are in the
 * database) and a direct event goes straight to the retry buffer.
 */
public final class EventInterceptor implements Handler<DeliveryContext<Object>> {

  private static final Logger LOG = LoggerFactory.getLogger(EventInterceptor.class);
  /** At most this many appends wait for the store at once; it bounds the client's queues, which would block. */
  static final int WINDOW = 4096;

  private final Vertx vertx;
  private final Context context;
  private final EventStore store;
  private final OutboxRelay relay;
  private final int retryCapacity;
  private final int maxPending;
  /** Events in {@link #inOrder}, from append until delivered or failed: what the store's slowness costs in memory. */
  private int held;
  private int peakHeld;
  private final Map<String, ArrayDeque<Pending>> inOrder = new HashMap<>();
  private final ArrayDeque<Pending> retries = new ArrayDeque<>();
  /** Published events not yet handed to the store because {@link #WINDOW} appends are outstanding. */
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
  private int outstanding;
  /** Set while {@link #pump} runs, so completions inside it do not start a nested loop. */
  private boolean pumping;
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  private final ContextHandoff<Pending> incoming;
  private final AtomicLong appended = new AtomicLong();
  private final AtomicLong failedAppends = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong leftToRelay = new AtomicLong();
  private Promise<Void> drained;

  EventInterceptor(Vertx vertx, Context context, EventStore store, OutboxRelay relay, int retryCapacity,
      int maxPending) {
    this.vertx = vertx;
    this.context = context;
    this.store = store;
    this.relay = relay;
    this.retryCapacity = retryCapacity;
    this.maxPending = maxPending;
    this.incoming = new ContextHandoff<>(context, this::append);
  }

  /** One event between "published" and "delivered". */
  private static final class Pending {
    final DeliveryContext<Object> delivery;
    final DomainEvent event;
    final byte[] body;
    final boolean fromOutbox;
    AsyncResult<Void> result;
    int attempt;
    long startedAt;

    Pending(DeliveryContext<Object> delivery, DomainEvent event, byte[] body, boolean fromOutbox) {
      this.delivery = delivery;
      this.event = event;
      this.body = body;
      this.fromOutbox = fromOutbox;
    }
  }

  @Override
  public void handle(DeliveryContext<Object> delivery) {
    // dc.body() is the sent object on every node; message().body() is null for clustered outbound messages.
    Object sent = delivery.body();
    if (!(sent instanceof EncodedEvent || sent instanceof DomainEvent)
        || !delivery.message().address().startsWith(Addresses.EVENTS_PREFIX)) {
      delivery.next();
      return;
    }
    boolean fromOutbox = delivery.message().headers().contains(EventPublisher.OUTBOX_HEADER);
    // An outbox event brings its row's bytes; any other is encoded here, on the publisher's thread, to spread the
    // work off the single appending context.
    Pending pending = sent instanceof EncodedEvent encoded
        ? new Pending(delivery, encoded.event(), encoded.body(), fromOutbox)
        : new Pending(delivery, (DomainEvent) sent, ((DomainEvent) sent).toBytes(), fromOutbox);
    if (Vertx.currentContext() == context) {
      append(pending);
    } else {
      incoming.hand(pending);
    }
  }

  private void append(Pending pending) {
    if (held >= maxPending) {
      overflow(pending);
      return;
    }
    held++;
    peakHeld = Math.max(peakHeld, held);
    pending.result = null;
    pending.startedAt = 0;
    pending.attempt++;
    if (pending.fromOutbox) {
      inFlight.add(pending.event.eventId());
    }
    inOrder.computeIfAbsent(pending.event.stream(), s -> new ArrayDeque<>()).add(pending);
    waiting.add(pending);
    pump();
  }

  /**
   * Hands waiting events to the store while the window has room. A trampoline: a completion that arrives inside
   * {@code store.append} (a store failing at once) only frees its slot, and this loop goes on, so no completion
   * recurses into another append however many fail in a row.
   */
  private void pump() {
    if (pumping) {
      return;
    }
    pumping = true;
    try {
      Pending next;
      while (outstanding < WINDOW && (next = waiting.poll()) != null) {
        submit(next);
      }
    } finally {
      pumping = false;
    }
  }

  private void submit(Pending pending) {
    outstanding++;
    pending.startedAt = System.nanoTime();
    int attempt = pending.attempt;
    Future<Void> appended;
    try {
      appended = store.append(pending.event, pending.body);
    } catch (RuntimeException e) {
      // A store that throws instead of failing its future must not keep the slot.
      appended = Future.failedFuture(e);
    }
    appended.onComplete(result -> completed(pending, attempt, result));
  }

  private void completed(Pending pending, int attempt, AsyncResult<Void> result) {
    outstanding--;
    try {
      // A late answer to an attempt that already timed out (and may have been retried) changes nothing.
      if (pending.attempt == attempt && pending.result == null) {
        pending.result = result;
        deliverInOrder(pending.event.stream());
      }
    } finally {
      pump();
    }
  }

  /** Fails appends the store has not answered within {@code timeout}, so one lost answer cannot stall a stream. */
  void expire(Duration timeout) {
    long now = System.nanoTime();
    for (String stream : List.copyOf(inOrder.keySet())) {
      ArrayDeque<Pending> queue = inOrder.get(stream);
      boolean expired = false;
      for (Pending pending : queue) {
        if (pending.result == null && pending.startedAt == 0) {
          break;
        }
        if (pending.result == null && now - pending.startedAt > timeout.toNanos()) {
          pending.result = Future.failedFuture("no acknowledgement from the event store within " + timeout);
          expired = true;
        } else if (pending.result == null) {
          break;
        }
      }
      if (expired) {
        deliverInOrder(stream);
      }
    }
  }

  private void deliverInOrder(String stream) {
    ArrayDeque<Pending> queue = inOrder.get(stream);
    Pending head;
    while ((head = queue.peek()) != null && head.result != null) {
      queue.poll();
      held--;
      if (head.fromOutbox) {
        inFlight.remove(head.event.eventId());
      }
      try {
        if (head.result.succeeded()) {
          appended.incrementAndGet();
          if (head.fromOutbox) {
            relay.cleared(head.event.eventId());
          }
          head.delivery.next();
        } else {
          failed(head);
        }
      } catch (RuntimeException e) {
        // One failing delivery must not strand the events queued behind it on this stream.
        LOG.error("delivering event {} of {} failed", head.event.eventId(), stream, e);
      }
    }
    if (queue.isEmpty()) {
      inOrder.remove(stream);
      if (drained != null && inOrder.isEmpty()) {
        drained.tryComplete();
      }
    }
  }

  private void failed(Pending pending) {
    failedAppends.incrementAndGet();
    if (pending.fromOutbox) {
      relay.refused(pending.event.eventId(), pending.result.cause());
      return;
    }
    buffer(pending);
  }

  /** Holds nothing more while {@code maxPending} events wait for the store. */
  private void overflow(Pending pending) {
    if (pending.fromOutbox) {
      // Neither delivered nor kept nor marked in flight: the relay republishes its row once the store catches up.
      leftToRelay.incrementAndGet();
      LOG.debug("event {} left to the outbox relay: {} events wait for the store", pending.event.eventId(), held);
      return;
    }
    buffer(pending);
  }

  private void buffer(Pending pending) {
    if (retries.size() >= retryCapacity) {
      Pending oldest = retries.poll();
      if (oldest != null) {
        dropped.incrementAndGet();
        LOG.warn("retry buffer full: dropped {} event {} of {}",
            oldest.event.operation(), oldest.event.eventId(), oldest.event.stream());
      }
    }
    if (retryCapacity > 0) {
      retries.add(pending);
    } else {
      dropped.incrementAndGet();
    }
  }

  /** Tries the buffered direct events again; runs on the interceptor's context. */
  void retryBuffered() {
    int n = retries.size();
    for (int i = 0; i < n; i++) {
      append(retries.poll());
    }
  }

  /** Whether {@code eventId} is being appended right now (the relay leaves such rows alone). */
  boolean inFlight(String eventId) {
    return inFlight.contains(eventId);
  }

  /** Completes when no append is outstanding, so the store can be closed without cutting one off. */
  Future<Void> drain() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      if (inOrder.isEmpty()) {
        done.complete();
      } else {
        drained = done;
      }
    });
    return done.future();
  }

  long appended() {
    return appended.get();
  }

  long failedAppends() {
    return failedAppends.get();
  }

  long dropped() {
    return dropped.get();
  }

  int buffered() {
    return retries.size();
  }

  long leftToRelay() {
    return leftToRelay.get();
  }

  /** Events held in memory on their way to the store, at most {@code maxPending}. */
  int held() {
    return held;
  }

  /** The most events ever held at once. */
  int peakHeld() {
    return peakHeld;
  }

  /** Read from the metrics thread: an approximate figure is all a gauge needs. */
  int inFlightCount() {
    return outstanding + waiting.size();
  }
}
