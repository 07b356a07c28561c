package io.fluxgate.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.Codecs;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.Streams;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.TestStores;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The interceptor alone, against store doubles that fail in the ways real stores do when the server is down. */
class EventInterceptorTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int EVENTS = 50_000;
  private static final int RETRY_BUFFER = 10_000;

  private Vertx vertx;
  private Context context;
  private final Streams streams = new Streams("unit");
  private final Queue<Throwable> uncaught = new ConcurrentLinkedQueue<>();

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
    vertx.exceptionHandler(uncaught::add);
    Codecs.register(vertx.eventBus());
    context = vertx.getOrCreateContext();
  }

  @AfterEach
  void closeVertx() {
    Await.result(vertx.close());
  }

  private EventInterceptor install(EventStore store) {
    return install(store, RETRY_BUFFER, 100_000);
  }

  private EventInterceptor install(EventStore store, int retryBuffer, int maxPending) {
    OutboxRelay relay = new OutboxRelay(vertx, null, null, null, TestStores.events("sql", ""));
    EventInterceptor interceptor = new EventInterceptor(vertx, context, store, relay, retryBuffer, maxPending);
    vertx.eventBus().addOutboundInterceptor(interceptor);
    return interceptor;
  }

  private DomainEvent viewed(int n) {
    return DomainEvent.occurred(streams.things(), "thing.view", "test-node", DomainEvent.NO_REVISION,
        new JsonObject().put("id", "thing-" + n).put("n", n));
  }

  private void publishDirect(int count) {
    for (int i = 0; i < count; i++) {
      vertx.eventBus().publish(Addresses.events(streams.things()), viewed(i));
    }
  }

  private List<DomainEvent> publishRecorded(int count) {
    List<DomainEvent> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      DomainEvent event = DomainEvent.occurred(streams.things(), "thing.create", "test-node", 1,
          new JsonObject().put("id", "gadget-" + i));
      events.add(event);
      vertx.eventBus().publish(Addresses.events(streams.things()), event,
          new DeliveryOptions().addHeader(EventPublisher.OUTBOX_HEADER, "1"));
    }
    return events;
  }

  /** Reads the interceptor's state on its own context, where it is written. */
  private <T> T onContext(Supplier<T> read) {
    Promise<T> value = Promise.promise();
    context.runOnContext(v -> value.complete(read.get()));
    return Await.result(value.future());
  }

  /** Awaits {@code condition}; a timeout names what the event loop threw meanwhile, which is usually why. */
  private void until(String what, Supplier<Boolean> condition) {
    try {
      Await.until(what, WAIT, condition::get);
    } catch (AssertionError e) {
      List<String> thrown = uncaught.stream().map(Throwable::toString).distinct().limit(3).toList();
      throw new AssertionError(e.getMessage() + "; thrown on the event loop meanwhile: " + uncaught.size() + " "
          + thrown, e);
    }
  }

  /** A store that takes appends and never answers them: what is appended stays outstanding. */
  private static EventStoreDouble neverAnswering() {
    return new EventStoreDouble() {
      @Override
      public Future<Void> append(DomainEvent event, byte[] body) {
        return Promise.<Void>promise().future();
      }
    };
  }

  @Test
  void storeFailingAtOnceAfterAFullWindowNeitherRecursesNorLeaksSlots() {
    HoldThenFailStore store = new HoldThenFailStore();
    EventInterceptor interceptor = install(store);

    publishDirect(EVENTS);
    until("every event taken in (a full window outstanding, the rest waiting)",
        () -> onContext(interceptor::inFlightCount) == EVENTS);
    // The held appends now fail (as jnats' timeouts do); each freed slot starts an append that fails at once.
    context.runOnContext(v -> store.failHeld());

    until("in-flight back to 0", () -> onContext(interceptor::inFlightCount) == 0);
    assertThat(uncaught).as("errors thrown on the event loop").isEmpty();
    assertThat(onContext(() -> interceptor.buffered() + interceptor.dropped())).isEqualTo((long) EVENTS);
    assertThat(interceptor.buffered()).isEqualTo(RETRY_BUFFER);
  }

  @Test
  void aDirectEventIsNotEncodedForAStoreThatLaysOutItsOwnEntries() {
    Queue<Boolean> encoded = new ConcurrentLinkedQueue<>();
    install(new EventStoreDouble() {
      @Override
      public boolean storesBody() {
        return false;
      }

      @Override
      public Future<Void> append(DomainEvent event, byte[] body) {
        encoded.add(body != null);
        return Future.succeededFuture();
      }
    });

    publishDirect(3);

    until("3 appends", () -> encoded.size() == 3);
    assertThat(encoded).containsOnly(false);
  }

  @Test
  void storeThrowingInsteadOfFailingGivesEverySlotBack() {
    EventInterceptor interceptor = install(new EventStoreDouble() {
      @Override
      public Future<Void> append(DomainEvent event, byte[] body) {
        throw new IllegalStateException("Output queue is full");
      }
    });

    // More than a window: each throw used to keep its slot, so the window filled and the rest waited for ever.
    int events = 2 * EventInterceptor.WINDOW + 100;
    publishDirect(events);

    until("every event buffered or dropped",
        () -> onContext(() -> interceptor.buffered() + interceptor.dropped()) == events);
    assertThat(onContext(interceptor::inFlightCount)).isZero();
    assertThat(uncaught).isEmpty();
  }

  @Test
  void holdsAtMostMaxPendingAndSendsTheRestToTheRelayOrTheRetryBuffer() {
    EventInterceptor interceptor = install(neverAnswering(), 50, 100);
    Queue<DomainEvent> delivered = new ConcurrentLinkedQueue<>();
    Await.result(vertx.eventBus().<DomainEvent>consumer(Addresses.events(streams.things()), m -> delivered.add(m.body()))
        .completion());

    publishDirect(100);
    List<DomainEvent> recorded = publishRecorded(30);
    publishDirect(80);

    until("the last direct events in the retry buffer", () -> onContext(interceptor::dropped) == 30);
    assertThat(onContext(interceptor::held)).isEqualTo(100);
    assertThat(onContext(interceptor::peakHeld)).isEqualTo(100);
    assertThat(onContext(interceptor::buffered)).isEqualTo(50);
    assertThat(onContext(interceptor::leftToRelay)).isEqualTo(30);
    assertThat(recorded).as("outbox events over the bound are not marked in flight, so the relay takes them")
        .noneMatch(event -> interceptor.inFlight(event.eventId()));
    assertThat(delivered).isEmpty();
  }

  @Test
  void aStalledContextLetsNoMoreThanMaxPendingWaitInTheHandoff() throws Exception {
    EventInterceptor interceptor = install(neverAnswering(), 50, 100);
    // The interceptor's context busy elsewhere: whatever is published now can only queue in the hand-off.
    CountDownLatch release = stallContext();
    try {
      publishDirect(100);
      List<DomainEvent> recorded = publishRecorded(30);
      publishDirect(80);

      // Decided on this (the publisher's) thread while the context is stalled, not after it has drained the queue.
      assertThat(interceptor.held()).as("events held, the hand-off included").isEqualTo(100);
      assertThat(interceptor.leftToRelay()).as("outbox events over the bound").isEqualTo(30);
      assertThat(interceptor.buffered()).as("direct events over the bound, in the retry buffer").isEqualTo(50);
      assertThat(interceptor.dropped()).as("direct events beyond the retry buffer").isEqualTo(30);
      assertThat(recorded).noneMatch(event -> interceptor.inFlight(event.eventId()));
    } finally {
      release.countDown();
    }
    until("the admitted events taken in on the context", () -> onContext(interceptor::inFlightCount) == 100);
    assertThat(onContext(interceptor::peakHeld)).isEqualTo(100);
  }

  @Test
  void anOutboxEventWaitingInTheHandoffIsAlreadyInFlightSoTheRelayLeavesItsRow() throws Exception {
    EventInterceptor interceptor = install(neverAnswering());
    CountDownLatch release = stallContext();
    try {
      List<DomainEvent> recorded = publishRecorded(5);
      // Still in the hand-off (the context is stalled); a relay tick that ran now would re-publish them otherwise.
      assertThat(recorded).allMatch(event -> interceptor.inFlight(event.eventId()));
    } finally {
      release.countDown();
    }
  }

  /** Keeps the interceptor's context busy until the returned latch is counted down. */
  private CountDownLatch stallContext() throws InterruptedException {
    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    context.runOnContext(v -> {
      busy.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertThat(busy.await(30, TimeUnit.SECONDS)).isTrue();
    return release;
  }

  /** Keeps the first window of appends unanswered, fails every later one at once (an already-failed future). */
  private static final class HoldThenFailStore extends EventStoreDouble {
    private final List<Promise<Void>> held = new ArrayList<>();

    @Override
    public Future<Void> append(DomainEvent event, byte[] body) {
      if (held.size() < EventInterceptor.WINDOW) {
        Promise<Void> promise = Promise.promise();
        held.add(promise);
        return promise.future();
      }
      return Future.failedFuture("nats: connection is down");
    }

    void failHeld() {
      for (Promise<Void> promise : held) {
        promise.tryFail("no acknowledgement: timed out");
      }
    }
  }

  /** A store with appends only; the interceptor never subscribes. */
  abstract static class EventStoreDouble implements EventStore {
    @Override
    public Future<Subscription> subscribe(String stream, String consumer, StartFrom from, EventHandler handler) {
      return Future.failedFuture("not in this double");
    }

    @Override
    public Future<Subscription> tail(String stream, StartFrom from, Handler<DomainEvent> handler) {
      return Future.failedFuture("not in this double");
    }

    @Override

    public Future<Long> readToEnd(String stream, Handler<DomainEvent> handler) {

      return Future.failedFuture("not read in this test");

    }


    @Override
    public Future<Void> close() {
      return Future.succeededFuture();
    }
  }
}
