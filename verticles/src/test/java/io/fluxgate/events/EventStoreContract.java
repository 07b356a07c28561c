package io.fluxgate.events;

import static org.assertj.core.api.Assertions.assertThat;


import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.Streams;
import io.fluxgate.events.EventStore.StartFrom;
import io.fluxgate.events.EventStore.Subscription;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.EventLogFixture;
import io.fluxgate.testing.StoreBackend;
import io.fluxgate.testing.TestStore;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link EventStore} promises durable consumers, run against each real store by a subclass: ordered
 * at-least-once delivery, retries then dead letters, a cursor per consumer, replay or "from now", de-duplication.
 */
abstract class EventStoreContract {

  static final Duration WAIT = Duration.ofSeconds(30);

  EventLogFixture fx;

  /** The store under test: a {@link StoreBackend} constant, or a new store's own {@link TestStore}. */
  abstract TestStore backend();

  /** The URL of the store's server the test runs against ({@code es.url}); the shared one unless overridden. */
  String storeUrl() {
    return backend().url();
  }

  /** The store's settings at {@code url} with {@code overrides}; a subclass adds what its server needs. */
  EventStoreConfig events(String url, Map<String, String> overrides) {
    return backend().events(url, overrides);
  }

  @BeforeEach
  void startEventLog() {
    fx = EventLogFixture.start(backend().database(), events(storeUrl(), Map.of()));
  }

  @AfterEach
  void stopEventLog() {
    if (fx != null) {
      fx.close();
      if (!(backend() instanceof StoreBackend)) {
        backend().purge(fx.config); // the fixture purges only the built-in stores
      }
    }
  }

  List<DomainEvent> append(int from, int count) {
    return append(fx, from, count);
  }

  /** Appends things events numbered {@code from} on to {@code fx}'s store, waiting for every acknowledgement. */
  static List<DomainEvent> append(EventLogFixture fx, int from, int count) {
    List<DomainEvent> events = new ArrayList<>();
    List<Future<Void>> acks = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      DomainEvent event = fx.thingEvent("thing.create", i);
      events.add(event);
      acks.add(fx.store().append(event));
    }
    Await.result(Future.all(acks));
    return events;
  }

  static List<String> ids(Iterable<DomainEvent> events) {
    List<String> ids = new ArrayList<>();
    events.forEach(e -> ids.add(e.eventId()));
    return ids;
  }

  Subscription recordInto(Queue<DomainEvent> seen, String consumer, StartFrom from) {
    return Await.result(fx.store().subscribe(fx.streams().things(), consumer, from, event -> {
      seen.add(event);
      return Future.succeededFuture();
    }));
  }

  @Test
  void deliversEveryEventInStreamOrderToADurableConsumer() {
    List<DomainEvent> appended = append(0, 300);
    Queue<DomainEvent> seen = new ConcurrentLinkedQueue<>();
    recordInto(seen, "bootstrap", StartFrom.BEGINNING);

    Await.until("300 events handled", WAIT, () -> seen.size() >= 300);
    assertThat(ids(seen)).containsExactlyElementsOf(ids(appended));
    DomainEvent first = seen.peek();
    assertThat(first).isEqualTo(appended.get(0));
  }

  @Test
  void twoConsumersOfOneStreamEachSeeEveryEvent() {
    Queue<DomainEvent> bootstrap = new ConcurrentLinkedQueue<>();
    Queue<DomainEvent> audit = new ConcurrentLinkedQueue<>();
    recordInto(bootstrap, "bootstrap", StartFrom.BEGINNING);
    recordInto(audit, "audit", StartFrom.BEGINNING);

    List<DomainEvent> appended = append(0, 100);

    Await.until("both consumers saw 100 events", WAIT, () -> bootstrap.size() >= 100 && audit.size() >= 100);
    assertThat(ids(bootstrap)).containsExactlyElementsOf(ids(appended));
    assertThat(ids(audit)).containsExactlyElementsOf(ids(appended));
  }

  @Test
  void restartedConsumerResumesFromItsCursor() {
    append(0, 20);
    Queue<DomainEvent> first = new ConcurrentLinkedQueue<>();
    Subscription running = recordInto(first, "bootstrap", StartFrom.BEGINNING);
    Await.until("first 20 handled", WAIT, () -> first.size() >= 20);
    // Let the consumer record its position before it stops.
    Await.result(running.stop());

    List<DomainEvent> later = append(20, 5);
    Queue<DomainEvent> second = new ConcurrentLinkedQueue<>();
    recordInto(second, "bootstrap", StartFrom.BEGINNING);

    Await.until("the 5 newer events", WAIT, () -> second.size() >= 5);
    sleep(300);
    assertThat(ids(second)).containsExactlyElementsOf(ids(later));
  }

  @Test
  void newConsumerFromNowSkipsTheHistoryAndFromBeginningReplaysIt() {
    List<DomainEvent> history = append(0, 10);
    Queue<DomainEvent> fromNow = new ConcurrentLinkedQueue<>();
    Queue<DomainEvent> replay = new ConcurrentLinkedQueue<>();
    recordInto(fromNow, "live", StartFrom.NOW);
    recordInto(replay, "replay", StartFrom.BEGINNING);

    List<DomainEvent> fresh = append(10, 3);

    Await.until("replay saw 13", WAIT, () -> replay.size() >= 13);
    Await.until("live saw 3", WAIT, () -> fromNow.size() >= 3);
    List<DomainEvent> all = new ArrayList<>(history);
    all.addAll(fresh);
    assertThat(ids(replay)).containsExactlyElementsOf(ids(all));
    assertThat(ids(fromNow)).containsExactlyElementsOf(ids(fresh));
  }

  @Test
  void tailFromNowSkipsTheHistoryAndFromBeginningShowsIt() {
    List<DomainEvent> history = append(0, 10);
    Queue<DomainEvent> fromNow = new ConcurrentLinkedQueue<>();
    Queue<DomainEvent> fromBeginning = new ConcurrentLinkedQueue<>();
    Subscription now = Await.result(fx.store().tail(fx.streams().things(), StartFrom.NOW, fromNow::add));
    Subscription beginning = Await.result(fx.store().tail(fx.streams().things(), StartFrom.BEGINNING,
        fromBeginning::add));

    List<DomainEvent> fresh = append(10, 3);

    Await.until("the tail from the beginning saw 13", WAIT, () -> fromBeginning.size() >= 13);
    Await.until("the tail from now saw 3", WAIT, () -> fromNow.size() >= 3);
    List<DomainEvent> all = new ArrayList<>(history);
    all.addAll(fresh);
    assertThat(ids(fromBeginning)).containsExactlyElementsOf(ids(all));
    assertThat(ids(fromNow)).containsExactlyElementsOf(ids(fresh));
    Await.result(now.stop());
    Await.result(beginning.stop());
  }

  @Test
  void retriesAFailingHandlerThenDeadLettersTheEventAndGoesOn() {
    List<DomainEvent> appended = append(0, 5);
    DomainEvent poison = appended.get(2);
    Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    Queue<DomainEvent> handled = new ConcurrentLinkedQueue<>();
    Await.result(fx.store().subscribe(fx.streams().things(), "bootstrap", StartFrom.BEGINNING, event -> {
      attempts.computeIfAbsent(event.eventId(), id -> new AtomicInteger()).incrementAndGet();
      if (event.eventId().equals(poison.eventId())) {
        return Future.failedFuture("thing " + event.fields().getString("id") + " cannot be handled");
      }
      handled.add(event);
      return Future.succeededFuture();
    }));
    Queue<DomainEvent> deadLetters = new ConcurrentLinkedQueue<>();
    Await.result(fx.store().tail(Streams.deadLetters(fx.streams().things()), StartFrom.BEGINNING, deadLetters::add));

    Await.until("the 4 good events handled", WAIT, () -> handled.size() >= 4);
    Await.until("one dead letter", WAIT, () -> deadLetters.size() >= 1);

    assertThat(attempts.get(poison.eventId()).get()).isEqualTo(fx.config.maxAttempts());
    assertThat(ids(handled)).containsExactlyElementsOf(
        ids(List.of(appended.get(0), appended.get(1), appended.get(3), appended.get(4))));
    DomainEvent parked = deadLetters.peek();
    assertThat(parked.operation()).isEqualTo(Delivery.DEAD_LETTER);
    assertThat(parked.fields().getString("consumer")).isEqualTo("bootstrap");
    assertThat(parked.fields().getString("error")).contains("cannot be handled");
    assertThat(parked.fields().getInteger("attempts")).isEqualTo(fx.config.maxAttempts());
    assertThat(DomainEvent.fromJson(poison.stream(), parked.fields().getJsonObject("event"))).isEqualTo(poison);
  }

  @Test
  void aHandlerThatFailsOnceIsRetriedAndNotDeadLettered() {
    List<DomainEvent> appended = append(0, 3);
    AtomicInteger calls = new AtomicInteger();
    Queue<DomainEvent> handled = new ConcurrentLinkedQueue<>();
    Await.result(fx.store().subscribe(fx.streams().things(), "bootstrap", StartFrom.BEGINNING, event -> {
      if (calls.incrementAndGet() == 1) {
        return Future.failedFuture("database busy");
      }
      handled.add(event);
      return Future.succeededFuture();
    }));
    Queue<DomainEvent> deadLetters = new ConcurrentLinkedQueue<>();
    Await.result(fx.store().tail(Streams.deadLetters(fx.streams().things()), StartFrom.BEGINNING, deadLetters::add));

    Await.until("3 handled", WAIT, () -> handled.size() >= 3);
    sleep(300);
    assertThat(ids(handled)).containsExactlyElementsOf(ids(appended));
    assertThat(deadLetters).isEmpty();
  }

  @Test
  void appendingTheSameEventTwiceStoresItOnce() {
    DomainEvent event = fx.thingEvent("thing.create", 1);
    Await.result(fx.store().append(event));
    Await.result(fx.store().append(event));
    DomainEvent next = fx.thingEvent("thing.update", 2);
    Await.result(fx.store().append(next));

    Queue<DomainEvent> seen = new ConcurrentLinkedQueue<>();
    Await.result(fx.store().tail(fx.streams().things(), StartFrom.BEGINNING, seen::add));
    Await.until("2 events", WAIT, () -> seen.size() >= 2);
    sleep(300);
    assertThat(ids(seen)).containsExactly(event.eventId(), next.eventId());
  }

  /**
   * Two instances of one consumer name (two nodes): each event is handled by one of them, once, and each sees its
   * share in stream order (the store may split the stream between them or let one read while the other stands by).
   */
  @Test
  void twoInstancesOfOneConsumerNameHandleEachEventOnceInOrder() {
    Queue<DomainEvent> first = new ConcurrentLinkedQueue<>();
    Queue<DomainEvent> second = new ConcurrentLinkedQueue<>();
    Subscription one = recordInto(first, "bootstrap", StartFrom.BEGINNING);
    Subscription two = recordInto(second, "bootstrap", StartFrom.BEGINNING);
    List<DomainEvent> appended = new ArrayList<>();
    for (int round = 0; round < 10; round++) {
      appended.addAll(append(round * 20, 20));
    }
    Await.until("200 events handled", WAIT, () -> first.size() + second.size() >= 200);
    // Stopped, both hand over nothing more: a duplicate would be in the lists now.
    Await.result(Future.all(one.stop(), two.stop()));
    List<String> all = new ArrayList<>(ids(first));
    all.addAll(ids(second));
    assertThat(all).as("each event handled once").containsExactlyInAnyOrderElementsOf(ids(appended));
    for (Queue<DomainEvent> seen : List.of(first, second)) {
      assertThat(ids(seen)).as("each instance's share in stream order").isSortedAccordingTo(String::compareTo);
    }
  }

  @Test
  void readToEndReplaysTheStreamUpToTheLastEventOfTheCallInOrder() {
    List<DomainEvent> first = append(0, 30);
    Queue<DomainEvent> read = new ConcurrentLinkedQueue<>();
    assertThat(Await.result(fx.store().readToEnd(fx.streams().things(), read::add))).isEqualTo(30L);
    assertThat(ids(read)).containsExactlyElementsOf(ids(first));

    List<DomainEvent> all = new ArrayList<>(first);
    all.addAll(append(30, 10));
    Queue<DomainEvent> again = new ConcurrentLinkedQueue<>();
    assertThat(Await.result(fx.store().readToEnd(fx.streams().things(), again::add))).isEqualTo(40L);
    assertThat(ids(again)).containsExactlyElementsOf(ids(all));
    assertThat(Await.result(fx.store().readToEnd(fx.streams().users(), e -> { }))).isZero();
  }

  /**
   * As if a node died after the store acknowledged its events and before it cleared their outbox rows, and came
   * back later than the store's de-duplication window (where the store has a short one): the relay sends the rows
   * again, and each event is still in the stream once.
   */
  @Test
  void outboxRowsRelayedAfterTheDeduplicationWindowLeaveEachEventOnce() throws Exception {
    fx.stopEventLog();
    EventStore store = Await.result(EventStores.open(fx.vertx, fx.config, fx.db));
    List<DomainEvent> acknowledged = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      DomainEvent event = fx.thingEvent("thing.create", i);
      acknowledged.add(event);
      Await.result(store.append(event));
    }
    Duration window = store.deduplicationWindow();
    Await.result(store.close());
    Await.result(fx.db.inTransaction(conn -> new Outbox(fx.db).record(conn, acknowledged)));
    if (window.compareTo(Duration.ofSeconds(10)) < 0) {
      // Past the window: from here on only the store's look-up (held) or a reader keeps the copy out.
      sleep(window.toMillis() + 1_000);
    }

    EventLogFixture second = EventLogFixture.start(fx.vertx, fx.dbConfig, fx.config);
    Await.until("the outbox drained", WAIT, () -> Await.result(second.log.outbox().size()) == 0);
    DomainEvent last = second.thingEvent("thing.update", 9);
    Await.result(second.store().append(last));
    Queue<DomainEvent> stored = new ConcurrentLinkedQueue<>();
    Await.result(second.store().tail(second.streams().things(), StartFrom.BEGINNING, stored::add));
    Await.until("the stream read up to the last event", WAIT, () -> ids(stored).contains(last.eventId()));
    List<DomainEvent> all = new ArrayList<>(acknowledged);
    all.add(last);
    assertThat(ids(stored)).as("each event once").containsExactlyElementsOf(ids(all));
    second.stopEventLog();
    Await.result(second.db.close());
  }

  @Test
  void anEventAboveTheSizeLimitIsRefusedBeforeItsCommandCommits() {
    Await.result(fx.db.inTransaction(conn -> conn.query("CREATE TABLE gadgets (id VARCHAR(64) PRIMARY KEY)")
        .execute()));
    Throwable refusal = Await.failure(fx.log.publisher().commit(conn -> {
      DomainEvent big = DomainEvent.occurred(fx.streams().things(), "thing.create", "test-node", 1, new JsonObject()
          .put("id", "gadget-big").put("blob", "x".repeat(fx.config.maxEventBytes() + 100)));
      return conn.preparedQuery(fx.db.sql("INSERT INTO gadgets (id) VALUES (?)")).execute(Tuple.of("gadget-big"))
          .map(rows -> Change.of("gadget-big", big));
    }));
    assertThat(refusal).isInstanceOf(Outbox.EventTooLarge.class)
        .hasMessageContaining(String.valueOf(fx.config.maxEventBytes()));
    long gadgets = Await.result(fx.db.inTransaction(conn -> conn.query("SELECT COUNT(*) AS n FROM gadgets").execute()))
        .iterator().next().getLong("n");
    assertThat(gadgets).as("the command's change is rolled back").isZero();
    assertThat(Await.result(fx.log.outbox().size())).isZero();
    // The stream goes on: a normal event after the refusal is stored and read back.
    List<DomainEvent> after = append(0, 1);
    Queue<DomainEvent> read = new ConcurrentLinkedQueue<>();
    Await.result(fx.store().readToEnd(fx.streams().things(), read::add));
    assertThat(ids(read)).containsExactlyElementsOf(ids(after));
  }

  /** A things-stream event of entity {@code thing-<n % entities>}, numbered {@code n}: several events per entity. */
  DomainEvent entityEvent(int n, int entities) {
    return DomainEvent.occurred(fx.streams().things(), "thing.update", "test-node", n / entities + 1L,
        new JsonObject().put("id", "thing-" + (n % entities)).put("n", n));
  }

  /** Each entity's events in the order {@code seen} has them, by their {@code n}. */
  static Map<String, List<Integer>> perEntity(Iterable<DomainEvent> seen) {
    Map<String, List<Integer>> byEntity = new java.util.TreeMap<>();
    seen.forEach(e -> byEntity.computeIfAbsent(e.fields().getString("id"), id -> new ArrayList<>())
        .add(e.fields().getInteger("n")));
    return byEntity;
  }

  /**
   * A node dies while its durable consumer is in the middle of an event: its handler never answers, its connections
   * to the store are reset (a cut proxy) and its Vert.x goes without the subscription or the store being stopped.
   * The consumer restarted on another node goes on from its cursor: every event handled at least once, none
   * skipped, each entity's events in order on each node.
   */
  @Test
  void aConsumerWhoseNodeDiesResumesFromItsCursorOnTheNextNode() throws Exception {
    fx.stopEventLog();
    Map<String, String> overrides = new java.util.HashMap<>(StoreBackend.quickTakeOver());
    overrides.put("FG_ES_PREFIX", fx.config.prefix());
    io.fluxgate.testing.TcpProxy proxy = backend().hasServer() ? io.fluxgate.testing.TcpProxy.to(storeUrl()) : null;
    Vertx dying = Vertx.vertx();
    io.fluxgate.codecs.Codecs.register(dying.eventBus());
    EventLogFixture next = null;
    try {
      EventStoreConfig viaProxy = events(proxy == null ? "" : proxy.url(storeUrl()), overrides);
      io.fluxgate.sql.Database dyingDb = Await.result(io.fluxgate.sql.Database.open(dying, fx.dbConfig));
      EventStore dyingStore = Await.result(EventStores.open(dying, viaProxy, dyingDb));
      List<DomainEvent> appended = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        appended.add(entityEvent(i, 5));
        Await.result(dyingStore.append(appended.get(i)));
      }
      Queue<DomainEvent> first = new ConcurrentLinkedQueue<>();
      Promise<Void> never = Promise.promise();
      Await.result(dyingStore.subscribe(fx.streams().things(), "bootstrap", StartFrom.BEGINNING, event -> {
        first.add(event);
        return first.size() < 12 ? Future.succeededFuture() : never.future();
      }));
      Await.until("12 events handed to the dying node", WAIT, () -> first.size() >= 12);

      if (proxy != null) {
        proxy.cut();
        // The server has seen the connections die; closing the store now only ends the client's own reconnect
        // threads (jnats, amqp-client), which would otherwise try the proxy's port for the rest of the run.
        try {
          Await.result(dyingStore.close(), Delivery.STOP_GRACE.plusSeconds(5));
        } catch (AssertionError e) {
          // A store that cannot close over reset connections is still a dead node; Vert.x goes next.
        }
      }
      // Closed without stopping anything: Vert.x's own connections (SQL pool, Redis) go with it.
      Await.result(dying.close());

      next = EventLogFixture.start(fx.vertx, fx.dbConfig, events(storeUrl(), overrides));
      Queue<DomainEvent> second = new ConcurrentLinkedQueue<>();
      Await.result(next.store().subscribe(fx.streams().things(), "bootstrap", StartFrom.BEGINNING, event -> {
        second.add(event);
        return Future.succeededFuture();
      }));
      for (int i = 30; i < 40; i++) {
        appended.add(entityEvent(i, 5));
        Await.result(next.store().append(appended.get(i)));
      }
      List<String> handledBefore = ids(first).subList(0, 11);
      Await.until("every event handled at least once", WAIT, () -> {
        List<String> handled = new ArrayList<>(handledBefore);
        handled.addAll(ids(second));
        return handled.containsAll(ids(appended));
      });
      if (!keepsStreamOrderAcrossACrash()) {
        return;
      }
      List<String> handledFirstTime = new ArrayList<>(new java.util.LinkedHashSet<>(ids(second)));
      handledFirstTime.removeAll(handledBefore);
      assertThat(handledFirstTime).as("the resumed node skips nothing after the dying node's last handled event")
          .containsExactlyElementsOf(ids(appended.subList(11, appended.size())));
      for (Queue<DomainEvent> node : List.of(first, second)) {
        perEntity(node).forEach((entity, ns) ->
            assertThat(ns).as("events of %s in order on one node", entity).isSorted());
      }
      next.stopEventLog();
      Await.result(next.db.close());
    } finally {
      if (proxy != null) {
        proxy.close();
      }
      dying.close();
    }
  }

  /**
   * Whether a consumer resumed after a crash gets the events the dead instance held before newer ones. NATS does
   * not: JetStream redelivers them only after {@code es.nats_ack_wait} and meanwhile hands the resumed instance
   * newer messages, so there an entity's order is restored by {@code revision} (see docs/events.md).
   */
  boolean keepsStreamOrderAcrossACrash() {
    return true;
  }

  /**
   * Stopping a consumer whose handler never answers finishes within a bound (the node's shutdown must not hang);
   * the event it held is delivered again to the next instance of the consumer.
   */
  @Test
  void stoppingAConsumerWhoseHandlerNeverAnswersFinishesInBoundedTime() {
    List<DomainEvent> appended = append(0, 3);
    Queue<DomainEvent> seen = new ConcurrentLinkedQueue<>();
    Promise<Void> never = Promise.promise();
    Subscription stuck = Await.result(fx.store().subscribe(fx.streams().things(), "bootstrap", StartFrom.BEGINNING,
        event -> {
          seen.add(event);
          return never.future();
        }));
    Await.until("the first event handed over", WAIT, () -> seen.size() >= 1);

    long started = System.nanoTime();
    Await.result(stuck.stop(), Delivery.STOP_GRACE.plusSeconds(5));
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Delivery.STOP_GRACE.plusSeconds(5));

    Queue<DomainEvent> again = new ConcurrentLinkedQueue<>();
    recordInto(again, "bootstrap", StartFrom.BEGINNING);
    Await.until("the 3 events handled by the next instance", WAIT,
        () -> ids(again).containsAll(ids(appended)));
    assertThat(ids(again).get(0)).as("the unanswered event comes again first").isEqualTo(appended.get(0).eventId());
  }

  /** A deployed verticle, for an event-loop context of the test's own. */
  static final class Loop extends VerticleBase {
    Context context() {
      return context;
    }
  }

  /** Two event-loop contexts on two different event-loop threads. */
  List<Context> twoEventLoops() {
    List<Context> loops = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < 8 && loops.size() < 2; i++) {
      Loop loop = new Loop();
      Await.result(fx.vertx.deployVerticle(loop));
      Promise<Thread> thread = Promise.promise();
      loop.context().runOnContext(v -> thread.complete(Thread.currentThread()));
      Thread t = Await.result(thread.future());
      if (!threads.contains(t)) {
        threads.add(t);
        loops.add(loop.context());
      }
    }
    assertThat(loops).as("two event loops").hasSize(2);
    return loops;
  }

  /** Appends {@code rounds} times {@code count} events from {@code context}, each round after the last completed. */
  Future<Void> appendFrom(Context context, int from, int rounds, int count, Queue<String> wrongContext) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> appendRound(context, from, rounds, count, wrongContext, done));
    return done.future();
  }

  private void appendRound(Context context, int from, int rounds, int count, Queue<String> wrongContext,
      Promise<Void> done) {
    if (rounds == 0) {
      done.complete();
      return;
    }
    List<Future<Void>> acks = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      acks.add(fx.store().append(fx.thingEvent("thing.create", i)).andThen(r -> {
        if (Vertx.currentContext() != context) {
          wrongContext.add("append of " + context + " completed on " + Vertx.currentContext());
        }
      }));
    }
    Future.all(acks).onComplete(r -> {
      if (r.failed()) {
        done.fail(r.cause());
      } else {
        appendRound(context, from + count, rounds - 1, count, wrongContext, done);
      }
    });
  }

  @Test
  void appendCompletesOnTheCallingContextWhileAnotherEventLoopAppends() {
    List<Context> loops = twoEventLoops();
    Queue<String> wrongContext = new ConcurrentLinkedQueue<>();

    Future<Void> first = appendFrom(loops.get(0), 0, 10, 100, wrongContext);
    Future<Void> second = appendFrom(loops.get(1), 10_000, 10, 100, wrongContext);

    Await.result(Future.all(first, second), Duration.ofSeconds(60));
    assertThat(wrongContext).as("appends completed on another context").isEmpty();
  }

  /**
   * Opening and closing a store complete on the calling context too: the event log starts its relay timer where
   * the open completes, and that timer must run on the interceptor's context (RabbitMQ's open once completed on the
   * topology client's context, and the relay raced the interceptor from another event loop).
   */
  @Test
  void openAndCloseCompleteOnTheCallingContext() {
    Context caller = twoEventLoops().get(0);
    Queue<String> wrongContext = new ConcurrentLinkedQueue<>();
    Promise<Void> done = Promise.promise();
    caller.runOnContext(v -> EventStores.open(fx.vertx, fx.config, fx.db)
        .compose(store -> {
          if (Vertx.currentContext() != caller) {
            wrongContext.add("open completed on " + Vertx.currentContext());
          }
          return store.close();
        })
        .onComplete(closed -> {
          if (Vertx.currentContext() != caller) {
            wrongContext.add("close completed on " + Vertx.currentContext());
          }
          done.handle(closed);
        }));
    Await.result(done.future(), WAIT);
    assertThat(wrongContext).as("open or close completed on another context").isEmpty();
  }

  @Test
  void subscribeAndTailHandOverOnTheCallingContextWhileAnotherEventLoopAppends() {
    List<Context> loops = twoEventLoops();
    Context subscriber = loops.get(0);
    Queue<String> wrongContext = new ConcurrentLinkedQueue<>();
    AtomicInteger handled = new AtomicInteger();
    AtomicInteger tailed = new AtomicInteger();
    Handler<String> check = what -> {
      if (Vertx.currentContext() != subscriber) {
        wrongContext.add(what + " ran on " + Vertx.currentContext());
      }
    };
    Promise<Void> started = Promise.promise();
    subscriber.runOnContext(v -> {
      Future<Subscription> durable = fx.store().subscribe(fx.streams().things(), "bootstrap", StartFrom.BEGINNING,
          event -> {
            check.handle("subscribe delivery");
            handled.incrementAndGet();
            return Future.succeededFuture();
          }).andThen(r -> check.handle("subscribe completion"));
      Future<Subscription> tail = fx.store().tail(fx.streams().things(), StartFrom.BEGINNING, event -> {
        check.handle("tail delivery");
        tailed.incrementAndGet();
      }).andThen(r -> check.handle("tail completion"));
      Future.all(durable, tail).<Void>mapEmpty().onComplete(started);
    });
    Await.result(started.future());

    Await.result(appendFrom(loops.get(1), 0, 5, 100, wrongContext), Duration.ofSeconds(60));

    Await.until("500 events handled and tailed", WAIT, () -> handled.get() >= 500 && tailed.get() >= 500);
    assertThat(wrongContext).as("handlers or completions on another context").isEmpty();
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
