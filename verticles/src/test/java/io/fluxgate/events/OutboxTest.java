package io.fluxgate.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.EventStore.StartFrom;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.EventLogFixture;
import io.fluxgate.testing.PrivateNatsServer;
import io.fluxgate.testing.TappedStore;
import io.fluxgate.testing.TestStores;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/** The outbox: commands succeed while the store is down, and every event reaches the store once it is back. */
class OutboxTest {

  private static final Duration WAIT = Duration.ofSeconds(60);

  /** A command of a made-up service: one gadget row and its gadget.create event, committed together. */
  private static Future<String> createGadget(EventLogFixture fx, int n, List<DomainEvent> emitted) {
    return fx.log.publisher().commit(conn -> {
      String id = "gadget-" + n;
      DomainEvent created = DomainEvent.occurred(fx.streams().things(), "thing.create", "test-node", 1,
          new JsonObject().put("id", id).put("status", "enabled"));
      synchronized (emitted) {
        emitted.add(created);
      }
      return conn.preparedQuery(fx.db.sql("INSERT INTO gadgets (id) VALUES (?)")).execute(Tuple.of(id))
          .map(rows -> Change.of(id, created));
    });
  }

  private static void createGadgetTable(EventLogFixture fx) {
    Await.result(fx.db.inTransaction(conn -> conn.query("CREATE TABLE gadgets (id VARCHAR(64) PRIMARY KEY)")
        .execute()));
  }

  private static long gadgets(EventLogFixture fx) {
    return Await.result(fx.db.inTransaction(conn -> conn.query("SELECT COUNT(*) AS n FROM gadgets").execute()))
        .iterator().next().getLong("n");
  }

  @Test
  void directEventsWaitInTheRetryBufferWhileTheStoreIsDown() throws Exception {
    try (PrivateNatsServer nats = new PrivateNatsServer().start();
        EventLogFixture fx = EventLogFixture.start(TestStores.h2(), TestStores.events("nats", nats.url()))) {
      // Started before the outage and read through it: the client queues nothing while it reconnects.
      Queue<DomainEvent> stored = new ConcurrentLinkedQueue<>();
      Await.result(fx.store().tail(fx.streams().things(), StartFrom.BEGINNING, stored::add));
      nats.stop();
      List<DomainEvent> published = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        DomainEvent viewed = DomainEvent.occurred(fx.streams().things(), "thing.view", "test-node",
            DomainEvent.NO_REVISION, new JsonObject().put("id", "thing-" + i));
        published.add(viewed);
        fx.log.publisher().publish(viewed);
      }
      Await.until("10 events buffered", WAIT, () -> fx.log.stats().buffered() == 10);

      nats.start();
      Await.until("10 events in the store", WAIT, () -> stored.size() >= 10);
      EventStoreContract.sleep(500);
      assertThat(EventStoreContract.ids(stored)).doesNotHaveDuplicates()
          .containsExactlyInAnyOrderElementsOf(EventStoreContract.ids(published));
      assertThat(fx.log.stats().dropped()).isZero();
    }
  }

  @Test
  void moreEventsWaitingBehindAFailedAppendThanOneRelayBatchAllReachTheStoreWithoutFurtherWrites() throws Exception {
    try (PrivateNatsServer nats = new PrivateNatsServer().start();
        EventLogFixture fx = EventLogFixture.start(TestStores.h2(), TestStores.events("nats", nats.url()))) {
      createGadgetTable(fx);
      // Started before the outage and read through it.
      Queue<DomainEvent> stored = new ConcurrentLinkedQueue<>();
      Await.result(fx.store().tail(fx.streams().things(), StartFrom.BEGINNING, stored::add));
      nats.stop();
      List<DomainEvent> emitted = new ArrayList<>();
      List<Future<String>> commits = new ArrayList<>();
      // Past the relay's batch of 500: the events parked behind the first failure fill whole batches of the outbox.
      for (int i = 0; i < 800; i++) {
        commits.add(createGadget(fx, i, emitted));
      }
      Await.result(Future.all(commits), WAIT);
      Await.until("an append failed", WAIT, () -> fx.log.stats().failedAppends() >= 1);

      nats.start();
      Await.until("every event stored, nothing written since", WAIT,
          () -> new HashSet<>(EventStoreContract.ids(stored)).containsAll(EventStoreContract.ids(emitted)));
      Await.until("the outbox drained", WAIT, () -> Await.result(fx.log.outbox().size()) == 0);
      assertThat(EventStoreContract.ids(stored)).doesNotHaveDuplicates();
    }
  }

  @Test
  void anOutageBeyondMaxPendingHoldsNoMoreAndEveryOutboxEventArrivesOnceAfterwards() throws Exception {
    int maxPending = 300;
    int retryBuffer = 100;
    try (PrivateNatsServer nats = new PrivateNatsServer().start();
        EventLogFixture fx = EventLogFixture.start(TestStores.h2(), TestStores.events("nats", nats.url(), Map.of(
            "FG_ES_MAX_PENDING", String.valueOf(maxPending), "FG_ES_RETRY_BUFFER", String.valueOf(retryBuffer))))) {
      nats.stop();
      // Ten times the bound of outbox events, in 20 commands of 150 events each, and some direct events.
      List<DomainEvent> recorded = new ArrayList<>();
      List<Future<Integer>> commits = new ArrayList<>();
      for (int c = 0; c < 20; c++) {
        List<DomainEvent> events = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
          events.add(fx.thingEvent("thing.create", c * 150 + i));
        }
        recorded.addAll(events);
        commits.add(fx.log.publisher().commit(conn -> Future.succeededFuture(new Change<>(events.size(), events))));
      }
      List<DomainEvent> direct = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        DomainEvent viewed = DomainEvent.occurred(fx.streams().things(), "thing.view", "test-node",
            DomainEvent.NO_REVISION, new JsonObject().put("id", "thing-" + i));
        direct.add(viewed);
        fx.log.publisher().publish(viewed);
      }
      Await.result(Future.all(commits), WAIT);
      Await.until("the bound reached and outbox events left to the relay", WAIT,
          () -> fx.log.stats().peakHeld() == maxPending && fx.log.stats().leftToRelay() > 0
              && fx.log.stats().dropped() > 0);
      assertThat(fx.log.stats().peakHeld()).as("events held in memory").isEqualTo(maxPending);
      assertThat(fx.log.stats().buffered()).isLessThanOrEqualTo(retryBuffer);

      nats.start();
      Await.until("the outbox drained and nothing held or in flight", WAIT, () -> {
        var stats = fx.log.stats();
        return stats.inFlight() == 0 && stats.held() == 0 && stats.buffered() == 0
            && Await.result(fx.log.outbox().size()) == 0;
      });
      // Appended after everything else settled: once the tail has it, it has every event stored before it.
      DomainEvent last = fx.thingEvent("thing.update", 1_000_000);
      Await.result(fx.store().append(last));
      Queue<DomainEvent> stored = new ConcurrentLinkedQueue<>();
      Await.result(fx.store().tail(fx.streams().things(), StartFrom.BEGINNING, stored::add));
      Await.until("the stream read up to the last event", WAIT,
          () -> stored.stream().anyMatch(e -> e.eventId().equals(last.eventId())));

      List<String> storedIds = EventStoreContract.ids(stored);
      assertThat(storedIds).as("each event stored at most once").doesNotHaveDuplicates();
      Set<String> storedSet = new HashSet<>(storedIds);
      assertThat(storedIds).as("every outbox event stored").containsAll(EventStoreContract.ids(recorded));
      long directStored = direct.stream().filter(e -> storedSet.contains(e.eventId())).count();
      assertThat(directStored + fx.log.stats().dropped()).as("each direct event stored or counted dropped")
          .isGreaterThanOrEqualTo(direct.size());
      assertThat(fx.log.stats().peakHeld()).isEqualTo(maxPending);
    }
  }

  @Test
  void eventsLeftInTheOutboxByAStoppedNodeAreRelayedAtTheNextStart() {
    var db = TestStores.h2();
    var config = TestStores.events("sql", "");
    List<DomainEvent> left = new ArrayList<>();
    try (EventLogFixture first = EventLogFixture.start(db, config)) {
      first.stopEventLog();
      for (int i = 0; i < 3; i++) {
        left.add(first.thingEvent("thing.create", i));
      }
      // As if the node died between the commit and the append: rows in the outbox, nothing in the store.
      Await.result(first.db.inTransaction(conn -> new Outbox(first.db).record(conn, left)));
    }

    // The in-memory database outlives the first node (DB_CLOSE_DELAY=-1), like a file or a server would.
    try (EventLogFixture second = EventLogFixture.start(db, config)) {
      Queue<DomainEvent> stored = new ConcurrentLinkedQueue<>();
      Await.result(second.store().tail(second.streams().things(), StartFrom.BEGINNING, stored::add));
      Await.until("the 3 left-over events in the store", WAIT, () -> stored.size() >= 3);
      Await.until("the outbox drained", WAIT, () -> Await.result(second.log.outbox().size()) == 0);
      assertThat(EventStoreContract.ids(stored)).containsExactlyElementsOf(EventStoreContract.ids(left));
    }
  }

  /** A store that refuses the events whose ids are in {@code refused}, and appends the rest to {@code store}. */
  private static EventStore refusing(EventStore store, java.util.Set<String> refused) {
    return TappedStore.of(store, (event, body) -> refused.contains(event.eventId())
        ? Future.failedFuture(new EventStore.Refused("maximum payload exceeded (refused by the test's store)"))
        : store.append(event, body));
  }

  @Test
  void anEventTheStoreKeepsRefusingIsDeadLetteredWhileLaterRowsAreRelayed() {
    java.util.Set<String> refused = java.util.concurrent.ConcurrentHashMap.newKeySet();
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), TestStores.events("sql", ""),
        store -> refusing(store, refused))) {
      createGadgetTable(fx);
      List<DomainEvent> emitted = new ArrayList<>();
      Await.result(createGadget(fx, 0, emitted));
      List<DomainEvent> poison = new ArrayList<>();
      // The poison event's id is known only once it exists: refuse every event of gadget 1.
      fx.log.publisher().commit(conn -> {
        DomainEvent created = DomainEvent.occurred(fx.streams().things(), "thing.create", "test-node", 1,
            new JsonObject().put("id", "gadget-poison").put("status", "enabled"));
        refused.add(created.eventId());
        poison.add(created);
        return conn.preparedQuery(fx.db.sql("INSERT INTO gadgets (id) VALUES (?)")).execute(Tuple.of("gadget-poison"))
            .map(rows -> Change.of("gadget-poison", created));
      }).toCompletionStage().toCompletableFuture().join();

      int[] next = {1};
      Await.until("the refused event in the dead-letter table", WAIT, () -> {
        // Writes go on; the store refuses the row outright, so each refusal counts, and the writes behind it in
        // its stream follow once it is dead-lettered.
        Await.result(createGadget(fx, next[0]++, emitted));
        return !Await.result(fx.log.outbox().dead(10)).isEmpty();
      });
      List<Outbox.DeadRow> dead = Await.result(fx.log.outbox().dead(10));
      assertThat(dead).singleElement().satisfies(row -> {
        assertThat(row.eventId()).isEqualTo(poison.get(0).eventId());
        assertThat(row.operation()).isEqualTo("thing.create");
        assertThat(row.attempts()).isEqualTo(fx.config.maxAttempts());
        assertThat(row.lastError()).contains("maximum payload exceeded");
      });
      Await.until("every other event stored and the outbox empty", WAIT,
          () -> Await.result(fx.log.outbox().size()) == 0);
      Queue<DomainEvent> stored = new ConcurrentLinkedQueue<>();
      Await.result(fx.store().tail(fx.streams().things(), StartFrom.BEGINNING, stored::add));
      Await.until("the good events in the store", WAIT, () -> stored.size() >= emitted.size());

      refused.clear();
      assertThat(Await.result(fx.log.outbox().requeue(poison.get(0).eventId()))).isEqualTo(1);
      Await.until("the re-queued event in the store", WAIT, () -> EventStoreContract.ids(stored)
          .contains(poison.get(0).eventId()));
      assertThat(Await.result(fx.log.outbox().dead(10))).isEmpty();
      assertThat(EventStoreContract.ids(stored)).doesNotHaveDuplicates();
    }
  }

  @Test
  void anEventAboveTheSizeLimitIsRefusedBeforeItsCommandCommits() {
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(),
        TestStores.events("sql", "", java.util.Map.of("FG_ES_MAX_EVENT_BYTES", "4096")))) {
      createGadgetTable(fx);
      Future<String> tooLarge = fx.log.publisher().commit(conn -> {
        DomainEvent created = DomainEvent.occurred(fx.streams().things(), "thing.create", "test-node", 1,
            new JsonObject().put("id", "gadget-big").put("metadata", new JsonObject().put("blob", "x".repeat(5000))));
        return conn.preparedQuery(fx.db.sql("INSERT INTO gadgets (id) VALUES (?)")).execute(Tuple.of("gadget-big"))
            .map(rows -> Change.of("gadget-big", created));
      });
      Throwable refusal = Await.failure(tooLarge);
      assertThat(refusal).isInstanceOf(Outbox.EventTooLarge.class).hasMessageContaining("4096");
      assertThat(gadgets(fx)).as("the command's change is rolled back").isZero();
      assertThat(Await.result(fx.log.outbox().size())).isZero();
    }
  }

  @Test
  void rowsRelayedAfterTheStoresDeduplicationWindowAreNotStoredTwice() throws Exception {
    var db = TestStores.h2();
    try (PrivateNatsServer nats = new PrivateNatsServer().start()) {
      var config = TestStores.events("nats", nats.url(), java.util.Map.of("FG_ES_NATS_DUPLICATE_WINDOW", "1s"));
      List<DomainEvent> acknowledged = new ArrayList<>();
      // The first node stays open to the end: closing it would purge the test's subjects from the server.
      try (EventLogFixture first = EventLogFixture.start(db, config)) {
        first.stopEventLog();
        EventStore store = Await.result(EventStores.open(first.vertx, config, first.db));
        for (int i = 0; i < 3; i++) {
          DomainEvent event = first.thingEvent("thing.create", i);
          acknowledged.add(event);
          Await.result(store.append(event));
        }
        Await.result(store.close());
        // As if the node died after the store acknowledged the events and before their rows were cleared.
        Await.result(first.db.inTransaction(conn -> new Outbox(first.db).record(conn, acknowledged)));
        // Beyond the server's window: a plain re-publish would now be stored a second time.
        Thread.sleep(3_000);

        try (EventLogFixture second = EventLogFixture.start(db, config)) {
          Await.until("the outbox drained", WAIT, () -> Await.result(second.log.outbox().size()) == 0);
          DomainEvent marker = second.thingEvent("thing.update", 9);
          Await.result(second.store().append(marker));
          Queue<DomainEvent> stored = new ConcurrentLinkedQueue<>();
          Await.result(second.store().tail(second.streams().things(), StartFrom.BEGINNING, stored::add));
          Await.until("the stream read up to the marker", WAIT,
              () -> EventStoreContract.ids(stored).contains(marker.eventId()));
          List<DomainEvent> all = new ArrayList<>(acknowledged);
          all.add(marker);
          assertThat(EventStoreContract.ids(stored)).as("each event once")
              .containsExactlyElementsOf(EventStoreContract.ids(all));
        }
      }
    }
  }
}
