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
import io.vertx.core.internal.ContextInternal;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
 * memory on their way to the store, counting those still being handed to the interceptor's context: the bound is
 * checked on the publisher's thread, so a stalled context cannot make the hand-off grow. Beyond it an outbox event
 * is left to the relay at once (its bytes are in the database) and a direct event goes straight to the retry buffer.
 *
 * <p>Order across a failure: once an outbox event of a stream has failed (or been left to the relay by the bound, or
 * the node started with rows of the stream in the outbox), the stream is <em>held</em>. Its new outbox events are
 * parked in memory, within the same bound, instead of overtaking the rows that wait; the relay publishes those rows
 * oldest first and, once it has taken every one that is not parked, releases the parked events behind them and the
 * hold ends. Parked events that would pass the bound are left to the relay too, and the relay takes them in order.
 *
 * <p>Delivery goes home: an acknowledged event published on another event loop is handed back to that event loop
 * (one task per burst) and delivered there, on its publisher's context, so the bus completes the publish in place
 * instead of posting one task, and often a wake-up, per event to the publisher. The order of a stream's deliveries
 * stays the order of its appends: while events of a stream wait at one event loop, the stream's next events are
 * delivered from there as well, whoever published them.
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
  /**
   * Events admitted and not yet delivered or failed, in the hand-off or in {@link #inOrder}: what the store's (or
   * this context's) slowness costs in memory. Written from publishers' threads and the context.
   */
  private final AtomicInteger held = new AtomicInteger();
  /** Raised on the context, and to the bound by a publisher's thread that finds the bound reached. */
  private volatile int peakHeld;
  private final Map<String, ArrayDeque<Pending>> inOrder = new HashMap<>();
  /** Direct events waiting for the store; guarded by itself, since a publisher's thread may add to it. */
  private final ArrayDeque<Pending> retries = new ArrayDeque<>();
  /** Published events not yet handed to the store because {@link #WINDOW} appends are outstanding. */
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
  /** Streams held behind their outbox rows; only the context touches it. */
  private final Map<String, Hold> holds = new HashMap<>();
  /** Streams an outbox event of which the bound left to the relay, marked on the publisher's thread. */
  private final Set<String> leftByBound = ConcurrentHashMap.newKeySet();
  private int parked;
  /** Relayed events on their way to the store, by stream. */
  private final Map<String, int[]> relaying = new HashMap<>();
  private int outstanding;
  /** Set while {@link #pump} runs, so completions inside it do not start a nested loop. */
  private boolean pumping;
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  private final ContextHandoff<Pending> incoming;
  /** The interceptor's own event loop (null on a worker context): its events are delivered in place. */
  private final Executor ownLoop;
  /** The event loops acknowledged events are delivered on, by event loop (as many as Vert.x has). Context only. */
  private final Map<Executor, Home> homes = new HashMap<>();
  /** Per stream, where its last events were handed for delivery; swept once delivered. Context only. */
  private final Map<String, StreamHome> streamHomes = new HashMap<>();
  private int sweepStreamHomesAt = 1024;
  private final boolean storesBody;
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
    this.storesBody = store.storesBody();
    this.ownLoop = loopOf((ContextInternal) context);
  }

  /** The event loop of {@code context}, or null for a worker (or no) context: those are not delivered at home. */
  private static Executor loopOf(ContextInternal context) {
    return context != null && context.isEventLoopContext() ? context.nettyEventLoop() : null;
  }

  /** One event between "published" and "delivered". */
  private static final class Pending {
    final DeliveryContext<Object> delivery;
    final DomainEvent event;
    final byte[] body;
    final boolean fromOutbox;
    /** Published again by the relay from its row, rather than by its command. */
    final boolean relayed;
    /** The publisher's event-loop context, when it is not the interceptor's: the event is delivered there. */
    final ContextInternal origin;
    AsyncResult<Void> result;
    int attempt;
    long startedAt;

    Pending(DeliveryContext<Object> delivery, DomainEvent event, byte[] body, boolean fromOutbox, boolean relayed,
        ContextInternal origin) {
      this.delivery = delivery;
      this.event = event;
      this.body = body;
      this.fromOutbox = fromOutbox;
      this.relayed = relayed;
      this.origin = origin;
    }
  }

  /** A stream whose outbox rows go to the store before any newer event of it. */
  private static final class Hold {
    final ArrayDeque<Pending> parked = new ArrayDeque<>();
    /** New events are left to the relay, not parked, until the relay next reads the outbox. */
    boolean overflowed;
    long overflows;
    /** The stream's last outbox append failed: the relay tries its oldest row alone until one succeeds. */
    boolean failing;

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
    String outboxMark = delivery.message().headers().get(EventPublisher.OUTBOX_HEADER);
    boolean fromOutbox = outboxMark != null;
    DomainEvent event = sent instanceof EncodedEvent encoded ? encoded.event() : (DomainEvent) sent;
    boolean admitted = admit();
    if (!admitted) {
      // The context may already have given parked events back to the relay, and never see the count this high.
      peakHeld = maxPending;
    }
    if (!admitted && fromOutbox) {
      // Marked before any later event of the stream is handed over: none of them may overtake this row.
      leftByBound.add(event.stream());
      if (EventPublisher.RELAYED.equals(outboxMark)) {
        // The relay's copy: its row's lease ends, so the relay takes the row again before the rows behind it.
        refuse(event, BOUND_REACHED);
      }
      leftToRelay(event);
      return;
    }
    // An outbox event brings its row's bytes; any other is encoded here, on the publisher's thread, to spread the
    // work off the single appending context, unless the store lays the event out itself.
    byte[] body = sent instanceof EncodedEvent encoded ? encoded.body() : storesBody ? event.toBytes() : null;
    Pending pending = new Pending(delivery, event, body, fromOutbox, EventPublisher.RELAYED.equals(outboxMark),
        origin());
    if (!admitted) {
      buffer(pending);
      return;
    }
    if (fromOutbox) {
      // Marked before the hand-off: a relay claiming its row meanwhile must leave it to this append.
      inFlight.add(event.eventId());
    }
    if (Vertx.currentContext() == context) {
      append(pending);
    } else {
      incoming.hand(pending);
    }
  }

  /**
   * The context publishing on this thread, if it is an event-loop context running on its own event loop and that
   * loop is not the interceptor's: its events are delivered back on it.
   */
  private ContextInternal origin() {
    ContextInternal current = ContextInternal.current();
    if (current == null || !current.isEventLoopContext() || !current.inThread()) {
      return null;
    }
    Executor loop = current.nettyEventLoop();
    return loop == ownLoop ? null : current;
  }

  private static final IllegalStateException BOUND_REACHED =
      new IllegalStateException("es.max_pending events were held; the relay takes the row again") {
        @Override
        public synchronized Throwable fillInStackTrace() {
          return this;
        }
      };

  /** Tells the relay, on the context, that an outbox event never reached the store (which says nothing about it). */
  private void refuse(DomainEvent event, Throwable cause) {
    if (Vertx.currentContext() == context) {
      relay.refused(event.eventId(), cause, OutboxRelay.NOT_COUNTED);
    } else {
      context.runOnContext(v -> relay.refused(event.eventId(), cause, OutboxRelay.NOT_COUNTED));
    }
  }

  /** Counts one more event held, unless {@code maxPending} are held already (then nothing changes). */
  private boolean admit() {
    // Compare-and-set, not increment-then-undo: another thread must never see the count above the bound.
    int now;
    do {
      now = held.get();
      if (now >= maxPending) {
        return false;
      }
    } while (!held.compareAndSet(now, now + 1));
    return true;
  }

  /** Takes an admitted event in on the context, behind the events of its stream published before it. */
  private void append(Pending pending) {
    peakHeld = Math.max(peakHeld, held.get());
    if (!leftByBound.isEmpty()) {
      absorbBound();
    }
    if (pending.fromOutbox && !pending.relayed && !holds.isEmpty()) {
      Hold hold = holds.get(pending.event.stream());
      if (hold != null) {
        park(hold, pending);
        return;
      }
    }
    enqueue(pending);
  }

  private void enqueue(Pending pending) {
    if (pending.relayed) {
      relaying.computeIfAbsent(pending.event.stream(), s -> new int[1])[0]++;
    }
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
      held.decrementAndGet();
      if (head.relayed) {
        int[] count = relaying.get(stream);
        if (--count[0] == 0) {
          relaying.remove(stream);
        }
      }
      if (head.fromOutbox) {
        inFlight.remove(head.event.eventId());
      }
      try {
        if (head.result.succeeded()) {
          appended.incrementAndGet();
          if (head.fromOutbox) {
            relay.cleared(head.event.eventId());
            if (!holds.isEmpty()) {
              Hold hold = holds.get(stream);
              if (hold != null) {
                hold.failing = false;
              }
            }
          }
          deliver(head, stream);
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
      forgetDelivered(stream);
      if (drained != null && inOrder.isEmpty()) {
        drained.tryComplete();
      }
    }
  }

  /**
   * Delivers an acknowledged event: at its publisher's event loop, or behind the stream's events still waiting at an
   * event loop, or here. Context only.
   */
  private void deliver(Pending pending, String stream) {
    StreamHome last = streamHomes.get(stream);
    Home home;
    if (last != null && !last.delivered()) {
      // Events of the stream wait there: this one follows them, whoever published it.
      home = last.home;
    } else {
      home = pending.origin == null ? null : homes.computeIfAbsent(pending.origin.nettyEventLoop(), Home::new);
    }
    if (home == null) {
      if (last != null) {
        streamHomes.remove(stream);
      }
      pending.delivery.next();
      return;
    }
    home.hand(pending);
    if (last == null) {
      if (streamHomes.size() >= sweepStreamHomesAt) {
        streamHomes.values().removeIf(StreamHome::delivered);
        // Doubling, so that many streams waiting behind a slow event loop do not cost a sweep per event.
        sweepStreamHomesAt = Math.max(1024, 2 * streamHomes.size());
      }
      streamHomes.put(stream, new StreamHome(home, home.handed));
    } else {
      last.home = home;
      last.handed = home.handed;
    }
  }

  /** Drops the stream's home once its events have been delivered, so the map holds only streams on the way. */
  private void forgetDelivered(String stream) {
    StreamHome last = streamHomes.get(stream);
    if (last != null && last.delivered()) {
      streamHomes.remove(stream);
    }
  }

  /** Where a stream's last events were handed for delivery, and the count that tells when they are delivered. */
  private static final class StreamHome {
    Home home;
    long handed;

    StreamHome(Home home, long handed) {
      this.home = home;
      this.handed = handed;
    }

    boolean delivered() {
      return home.delivered.get() >= handed;
    }
  }

  /**
   * One event loop's deliveries, in the order they were handed over: one task per burst on that loop. Each event is
   * delivered on its publisher's context (the bus then completes the publish in place), or, for an event that
   * follows another publisher's events of its stream, outside any context, as the interceptor's context would.
   */
  private static final class Home {
    private static final int BURST = 512;

    final Executor loop;
    final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    final AtomicBoolean scheduled = new AtomicBoolean();
    /** Events handed over; written by the interceptor's context only. */
    long handed;
    /** Events delivered; written by the event loop only, after each delivery, and read by the interceptor. */
    final AtomicLong delivered = new AtomicLong();

    Home(Executor loop) {
      this.loop = loop;
    }

    void hand(Pending pending) {
      handed++;
      queue.add(pending);
      schedule();
    }

    /** Whether everything handed over has been delivered (read by the interceptor's context). */
    boolean idle() {
      return delivered.get() >= handed;
    }

    private void schedule() {
      if (scheduled.compareAndSet(false, true)) {
        try {
          loop.execute(this::drain);
        } catch (java.util.concurrent.RejectedExecutionException e) {
          // The event loop is shutting down: deliver here rather than strand the queue.
          scheduled.set(false);
          drain();
        }
      }
    }

    private void drain() {
      // Cleared first: an event added while draining either is polled below or schedules another drain.
      scheduled.set(false);
      Pending pending;
      int handled = 0;
      try {
        while ((pending = queue.poll()) != null) {
          try {
            if (pending.origin != null && pending.origin.nettyEventLoop() == loop) {
              pending.origin.dispatch(pending.delivery, Home::next);
            } else {
              next(pending.delivery);
            }
          } finally {
            delivered.lazySet(delivered.get() + 1);
          }
          // A bounded burst per task, so a long run of deliveries cannot keep the loop from its other work.
          if (++handled == BURST) {
            return;
          }
        }
      } finally {
        // Also after a throw out of a delivery: what is left is delivered by the next task, never stranded.
        if (!queue.isEmpty()) {
          schedule();
        }
      }
    }

    private static void next(DeliveryContext<Object> delivery) {
      try {
        delivery.next();
      } catch (RuntimeException e) {
        // One failing delivery must not strand the events queued behind it.
        LOG.error("delivering event to {} failed", delivery.message().address(), e);
      }
    }
  }

  private void failed(Pending pending) {
    failedAppends.incrementAndGet();
    if (pending.fromOutbox) {
      Hold hold = holds.computeIfAbsent(pending.event.stream(), s -> new Hold());
      hold.failing = true;

      relay.refused(pending.event.eventId(), pending.result.cause(), pending.startedAt);
      return;
    }
    buffer(pending);
  }

  private void park(Hold hold, Pending pending) {
    if (hold.overflowed) {
      leave(pending);
      return;
    }
    hold.parked.add(pending);
    parked++;
  }

  /** An admitted outbox event given back to the relay: its row is taken in order later. */
  private void leave(Pending pending) {
    held.decrementAndGet();
    inFlight.remove(pending.event.eventId());
    leftToRelay(pending.event);
  }

  /** Holds the streams whose events the bound left to the relay, and gives their parked events to it as well. */
  private void absorbBound() {
    for (java.util.Iterator<String> it = leftByBound.iterator(); it.hasNext(); ) {
      String stream = it.next();
      it.remove();
      Hold hold = holds.computeIfAbsent(stream, s -> new Hold());
      hold.overflowed = true;
      hold.overflows++;
      parked -= hold.parked.size();
      hold.parked.forEach(this::leave);
      hold.parked.clear();
    }
  }

  /** Holds {@code stream} behind its outbox rows (at start, for the rows a previous run left). Context only. */
  void hold(String stream) {
    holds.computeIfAbsent(stream, s -> new Hold());
  }

  /** The streams held behind their outbox rows. Context only. */
  Set<String> heldStreams() {
    absorbBound();
    return Set.copyOf(holds.keySet());
  }

  /**
   * A held stream as the relay sees it when it reads the outbox: whether its appends fail, whether relayed events of
   * it are on their way to the store, the ids of its parked events, and the mark {@link #release} compares.
   */
  record HeldStream(boolean failing, boolean relaying, Set<String> parked, long mark) {}

  /**
   * The relay is about to read the outbox: parking resumes for {@code stream} (a held one), and the answer is what
   * the relay needs to know of it, copied, since the claim's filter runs wherever the database answers. Context only.
   */
  HeldStream claiming(String stream) {
    Hold hold = holds.get(stream);
    hold.overflowed = false;
    Set<String> parkedIds = new java.util.HashSet<>(hold.parked.size() * 2);
    hold.parked.forEach(pending -> parkedIds.add(pending.event.eventId()));
    return new HeldStream(hold.failing, relaying.containsKey(stream), parkedIds, hold.overflows);
  }

  /**
   * The relay has published every row of {@code stream} that is not parked: the parked events follow them and the
   * hold ends, unless one was left to the relay since {@code mark}. Context only.
   */
  boolean release(String stream, long mark) {
    absorbBound();
    Hold hold = holds.get(stream);
    if (hold == null || hold.overflows != mark) {
      return false;
    }
    holds.remove(stream);
    parked -= hold.parked.size();
    hold.parked.forEach(this::enqueue);
    return true;
  }

  /** Events parked behind their streams' outbox rows. */
  int parkedCount() {
    return parked;
  }

  /** An outbox event over the bound: neither delivered nor kept nor marked in flight, its row is relayed later. */
  private void leftToRelay(DomainEvent event) {
    leftToRelay.incrementAndGet();
    LOG.debug("event {} left to the outbox relay: {} events wait for the store", event.eventId(), held.get());
  }

  /** Keeps a direct event for a later attempt; the oldest goes when the buffer is full. Any thread. */
  private void buffer(Pending pending) {
    Pending oldest = null;
    boolean kept = false;
    synchronized (retries) {
      if (retryCapacity > 0 && retries.size() >= retryCapacity) {
        oldest = retries.poll();
      }
      if (retryCapacity > 0) {
        retries.add(pending);
        kept = true;
      }
    }
    if (oldest != null || !kept) {
      dropped.incrementAndGet();
    }
    if (oldest != null) {
      LOG.warn("retry buffer full: dropped {} event {} of {}",
          oldest.event.operation(), oldest.event.eventId(), oldest.event.stream());
    }
  }

  /** Tries the buffered direct events again, as far as the bound lets; runs on the interceptor's context. */
  void retryBuffered() {
    int n = buffered();
    for (int i = 0; i < n; i++) {
      Pending next;
      synchronized (retries) {
        next = retries.poll();
      }
      if (next == null) {
        return;
      }
      if (admit()) {
        append(next);
      } else {
        buffer(next);
      }
    }
  }

  /** Whether {@code eventId} is being appended right now (the relay leaves such rows alone). */
  boolean inFlight(String eventId) {
    return inFlight.contains(eventId);
  }

  /**
   * Completes when no append is outstanding and every acknowledged event has been delivered (also those handed back
   * to their publishers' event loops), so the store can be closed without cutting one off.
   */
  Future<Void> drain() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      if (inOrder.isEmpty()) {
        done.complete();
      } else {
        drained = done;
      }
    });
    return done.future().compose(v -> deliveredAtHome());
  }

  /** Completes once every home has delivered what it was handed; polled, since it is asked only when stopping. */
  private Future<Void> deliveredAtHome() {
    Promise<Void> delivered = Promise.promise();
    context.runOnContext(v -> {
      if (homes.values().stream().allMatch(Home::idle)) {
        delivered.complete();
      } else {
        vertx.setTimer(5, id -> deliveredAtHome().onComplete(delivered));
      }
    });
    return delivered.future();
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
    synchronized (retries) {
      return retries.size();
    }
  }

  long leftToRelay() {
    return leftToRelay.get();
  }

  /** Events held in memory on their way to the store (the hand-off included), at most {@code maxPending}. */
  int held() {
    return held.get();
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
