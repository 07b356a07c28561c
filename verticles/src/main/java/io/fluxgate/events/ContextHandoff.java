package io.fluxgate.events;

import io.vertx.core.Context;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Hands items from any thread to one Vert.x context in arrival order, with one context task per burst instead of
 * one per item: the hot paths (bus publish to interceptor, store acknowledgement to appender) pass through here.
 */
public final class ContextHandoff<T> {

  private static final int BURST = 512;

  private final Context context;
  private final Consumer<T> receiver;
  private final ConcurrentLinkedQueue<T> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();

  public ContextHandoff(Context context, Consumer<T> receiver) {
    this.context = context;
    this.receiver = receiver;
  }

  /** Queues {@code item}; the receiver gets it on the context, after every item queued before it by this thread. */
  public void hand(T item) {
    pending.incrementAndGet();
    queue.add(item);
    if (scheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> drain());
    }
  }

  /** How many items wait for the context (cheap, unlike the queue's size). */
  public int pending() {
    return pending.get();
  }

  private void drain() {
    // Cleared first: an item added while draining either is polled below or schedules another drain.
    scheduled.set(false);
    T item;
    int handled = 0;
    while ((item = queue.poll()) != null) {
      pending.decrementAndGet();
      receiver.accept(item);
      // A bounded burst per task, so a busy producer cannot keep the context from its other work.
      if (++handled == BURST) {
        if (scheduled.compareAndSet(false, true)) {
          context.runOnContext(v -> drain());
        }
        return;
      }
    }
  }
}
