package io.fluxgate.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.EventStore.StartFrom;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.EventLogFixture;
import io.fluxgate.testing.TestStores;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/** A durable NATS consumer sees its stream in order, once, even when its handler outlasts JetStream's ack wait. */
class NatsConsumerOrderTest {

  @Test
  void aSlowHandlerGetsNoRedeliveriesOfTheMessagesWaitingBehindIt() {
    var config = TestStores.events("nats", TestStores.NATS_URL, Map.of("FG_ES_NATS_ACK_WAIT", "1s"));
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), config)) {
      List<DomainEvent> appended = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        appended.add(fx.thingEvent("thing.update", i));
        Await.result(fx.store().append(appended.get(i)));
      }
      Queue<DomainEvent> seen = new ConcurrentLinkedQueue<>();
      Await.result(fx.store().subscribe(fx.streams().things(), "slow", StartFrom.BEGINNING, event -> {
        seen.add(event);
        if (seen.size() > 1) {
          return Future.succeededFuture();
        }
        // The first event takes three ack waits: the nine behind it wait in the worker all that time.
        Promise<Void> slow = Promise.promise();
        fx.vertx.setTimer(3_000, id -> slow.complete());
        return slow.future();
      }));
      Await.until("the first ten handled", Duration.ofSeconds(30), () -> seen.size() >= 10);
      DomainEvent marker = fx.thingEvent("thing.update", 10);
      appended.add(marker);
      Await.result(fx.store().append(marker));
      Await.until("the marker handled", Duration.ofSeconds(30),
          () -> EventStoreContract.ids(seen).contains(marker.eventId()));

      assertThat(EventStoreContract.ids(seen)).as("each event once, in stream order")
          .containsExactlyElementsOf(EventStoreContract.ids(appended));
    }
  }
}
