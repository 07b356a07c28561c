package io.fluxgate.events;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.DomainEvent;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import java.util.ArrayDeque;
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
 * in a bounded retry buffer and is tried again on every relay tick.
 */
public final class EventInterceptor implements Handler<DeliveryContext<Object>> {

  private static final Logger LOG = LoggerFactory.getLogger(EventInterceptor.class);

  private final Vertx vertx;
  private final Context context;
  private final EventStore store;
  private final OutboxRelay relay;
  private final int retryCapacity;
  private final Map<String, ArrayDeque<Pending>> inOrder = new HashMap<>();
  private final ArrayDeque<Pending> retries = new ArrayDeque<>();
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  private final AtomicLong appended = new AtomicLong();
  private final AtomicLong failedAppends = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private Promise<Void> drained;

  EventInterceptor(Vertx vertx, Context context, EventStore store, OutboxRelay relay, int retryCapacity) {
    this.vertx = vertx;
    this.context = context;
    this.store = store;
    this.relay = relay;
    this.retryCapacity = retryCapacity;
  }

  /** One event between "published" and "delivered". */
  private static final class Pending {
    final DeliveryContext<Object> delivery;
    final DomainEvent event;
    final boolean fromOutbox;
    AsyncResult<Void> result;

    Pending(DeliveryContext<Object> delivery, DomainEvent event, boolean fromOutbox) {
      this.delivery = delivery;
      this.event = event;
      this.fromOutbox = fromOutbox;
    }
  }

  @Override
  public void handle(DeliveryContext<Object> delivery) {
    // dc.body() is the sent object on every node; message().body() is null for clustered outbound messages.
    if (!(delivery.body() instanceof DomainEvent event)
        || !delivery.message().address().startsWith(Addresses.EVENTS_PREFIX)) {
      delivery.next();
      return;
    }
    Pending pending = new Pending(delivery, event,
        delivery.message().headers().contains(EventPublisher.OUTBOX_HEADER));
    if (Vertx.currentContext() == context) {
      append(pending);
    } else {
      context.runOnContext(v -> append(pending));
    }
  }

  private void append(Pending pending) {
    pending.result = null;
    inFlight.add(pending.event.eventId());
    inOrder.computeIfAbsent(pending.event.stream(), s -> new ArrayDeque<>()).add(pending);
    store.append(pending.event).onComplete(result -> {
      pending.result = result;
      deliverInOrder(pending.event.stream());
    });
  }

  private void deliverInOrder(String stream) {
    ArrayDeque<Pending> queue = inOrder.get(stream);
    Pending head;
    while ((head = queue.peek()) != null && head.result != null) {
      queue.poll();
      inFlight.remove(head.event.eventId());
      if (head.result.succeeded()) {
        appended.incrementAndGet();
        head.delivery.next();
        if (head.fromOutbox) {
          relay.cleared(head.event.eventId());
        }
      } else {
        failed(head);
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
      LOG.debug("event {} stays in the outbox: {}", pending.event.eventId(), pending.result.cause().toString());
      return;
    }
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
}
