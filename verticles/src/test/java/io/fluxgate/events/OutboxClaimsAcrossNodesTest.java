package io.fluxgate.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.sql.DatabaseConfig;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.EventLogFixture;
import io.fluxgate.testing.TappedStore;
import io.fluxgate.testing.TestStores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The outbox relays of two nodes on one PostgreSQL database claim rows: every row left in the outbox reaches the
 * store through exactly one of them, never through both.
 */
@Timeout(180)
class OutboxClaimsAcrossNodesTest {

  private static final int ROWS = 3000;
  private static final Duration WAIT = Duration.ofSeconds(90);

  /** The store of one node, counting every append per event_id into {@code appends} (shared by both nodes). */
  private static EventStore counting(EventStore store, Map<String, AtomicInteger> appends) {
    return TappedStore.of(store, (event, body) -> {
      appends.computeIfAbsent(event.eventId(), id -> new AtomicInteger()).incrementAndGet();
      return store.append(event, body);
    });
  }

  @Test
  void eachOutboxRowIsAppendedByExactlyOneOfTwoNodesRelays() {
    DatabaseConfig db = TestStores.postgres();
    // A long append timeout keeps every lease longer than any append, so a second append could only come from a
    // second claim, never from a legitimate retry after a timeout.
    EventStoreConfig config = TestStores.events("sql", "", Map.of("FG_ES_APPEND_TIMEOUT", "20s",
        "FG_ES_RELAY_INTERVAL", "50ms"));
    Map<String, AtomicInteger> appends = new ConcurrentHashMap<>();
    try (EventLogFixture first = EventLogFixture.start(db, config, store -> counting(store, appends));
        EventLogFixture second = EventLogFixture.start(db, config, store -> counting(store, appends))) {
      // Rows as a node that stopped between commit and append leaves them: in the outbox, not in the store.
      // Six streams, 500 rows each: a relay takes no row of a stream behind one another relay holds (that keeps
      // the stream's order), so the two relays share the work stream by stream.
      List<DomainEvent> events = new ArrayList<>();
      for (int i = 0; i < ROWS; i++) {
        events.add(DomainEvent.occurred(first.streams().things() + "-" + i / 500, "thing.create", "test-node", 1,
            new io.vertx.core.json.JsonObject().put("id", "thing-" + i)));
      }
      Outbox outbox = new Outbox(first.db);
      // In several transactions, so the relays meet more than once while rows keep becoming due.
      for (int from = 0; from < ROWS; from += 500) {
        List<DomainEvent> part = events.subList(from, from + 500);
        Await.result(first.db.inTransaction(conn -> outbox.record(conn, part)));
      }

      Await.until("the outbox drained by the two relays", WAIT, () -> Await.result(outbox.size()) == 0);
      Await.until("both interceptors done with what they took", WAIT,
          () -> first.log.stats().inFlight() == 0 && second.log.stats().inFlight() == 0);

      Set<String> expected = events.stream().map(DomainEvent::eventId).collect(Collectors.toSet());
      assertThat(appends.keySet()).as("every row reached the store").containsExactlyInAnyOrderElementsOf(expected);
      Map<String, Integer> twice = appends.entrySet().stream().filter(e -> e.getValue().get() > 1)
          .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get()));
      assertThat(twice).as("rows appended by more than one relay (or twice by one)").isEmpty();
      assertThat(first.log.stats().appended() + second.log.stats().appended()).isEqualTo(ROWS);
      assertThat(first.log.stats().appended()).as("the first node's relay took a share").isPositive();
      assertThat(second.log.stats().appended()).as("the second node's relay took a share").isPositive();
      // The second fixture's close drops the shared schema: stop the first one's relay before it does.
      first.stopEventLog();
    }
  }
}
