package io.fluxgate.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.EventLogFixture;
import io.fluxgate.testing.TappedStore;
import io.fluxgate.testing.TestStores;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** An outbox event is encoded once, when its row is written, and the store receives exactly the row's bytes. */
class OutboxBytesTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  /** A field value that counts how often it is written out: once per encoding of its event. */
  private static final class CountingObject extends LinkedHashMap<String, Object> {
    final AtomicInteger encoded = new AtomicInteger();

    CountingObject() {
      put("site", "north");
    }

    @Override
    public Set<Map.Entry<String, Object>> entrySet() {
      encoded.incrementAndGet();
      return super.entrySet();
    }
  }

  @Test
  void aCommittedEventIsEncodedOnceAndTheStoreGetsItsRowsBytes() {
    Map<String, byte[]> bodies = new ConcurrentHashMap<>();
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), TestStores.events("sql", ""),
        store -> TappedStore.of(store, (event, body) -> {
          bodies.put(event.eventId(), body);
          return store.append(event, body);
        }))) {
      CountingObject metadata = new CountingObject();
      DomainEvent created = DomainEvent.occurred(fx.streams().things(), "thing.create", "test-node", 1,
          new JsonObject().put("id", "gadget-1").put("metadata", metadata));

      Await.result(fx.log.publisher().commit(conn -> Future.succeededFuture(Change.of("gadget-1", created))));
      Await.until("the store acknowledged the event", WAIT, () -> fx.log.stats().appended() == 1);

      assertThat(metadata.encoded).as("encodings of the event from commit to store").hasValue(1);
      assertThat(new String(bodies.get(created.eventId()), StandardCharsets.UTF_8))
          .isEqualTo(created.toJson().encode());
    }
  }

  @Test
  void theRelayHandsTheStoreTheRowsBytesAsTheyAre() {
    Map<String, byte[]> bodies = new ConcurrentHashMap<>();
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), TestStores.events("sql", ""),
        store -> TappedStore.of(store, (event, body) -> {
          bodies.put(event.eventId(), body);
          return store.append(event, body);
        }))) {
      DomainEvent created = fx.thingEvent("thing.create", 7);
      // A row whose layout differs from what encoding the event now gives (fields before the envelope), as a row
      // written by another version would: the store must receive these bytes, not a re-encoding of them.
      JsonObject json = created.toJson();
      JsonObject reordered = new JsonObject(new LinkedHashMap<>());
      json.fieldNames().stream().filter(name -> !name.equals(DomainEvent.OPERATION))
          .forEach(name -> reordered.put(name, json.getValue(name)));
      reordered.put(DomainEvent.OPERATION, created.operation());
      String row = reordered.encode();
      assertThat(row).isNotEqualTo(json.encode());
      Await.result(fx.db.inTransaction(conn -> conn.preparedQuery(
              fx.db.sql("INSERT INTO event_outbox (event_id, stream, body, created_at) VALUES (?, ?, ?, ?)"))
          .execute(Tuple.of(created.eventId(), created.stream(), row, DomainEvent.nowNanos()))));

      Await.until("the relay appended the row", WAIT, () -> fx.log.stats().appended() == 1);

      assertThat(new String(bodies.get(created.eventId()), StandardCharsets.UTF_8)).isEqualTo(row);
    }
  }
}
