package io.fluxgate.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.EventStore.StartFrom;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.EventLogFixture;
import io.fluxgate.testing.StoreBackend;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The interceptor's promise, run against each real store by a subclass: an event published on the bus is in the
 * store before any consumer receives it, and each stream is stored and delivered in publishing order.
 */
abstract class EventInterceptorContract {

  static final int EVENTS_PER_STREAM = 2_000;

  EventLogFixture fx;

  abstract StoreBackend backend();

  /** Asks the store directly, blocking, whether it already holds {@code event}. */
  abstract boolean storeHolds(DomainEvent event) throws Exception;

  @BeforeEach
  void startEventLog() {
    fx = EventLogFixture.start(backend().database(), backend().events());
  }

  @AfterEach
  void stopEventLog() throws Exception {
    if (fx != null) {
      fx.close();
    }
  }

  @Test
  void persistsEachEventBeforeDeliveryAndInPublishingOrder() throws Exception {
    String things = fx.streams().things();
    String users = fx.streams().users();
    Queue<DomainEvent> deliveredThings = new ConcurrentLinkedQueue<>();
    Queue<DomainEvent> deliveredUsers = new ConcurrentLinkedQueue<>();
    Queue<String> notYetStored = new ConcurrentLinkedQueue<>();
    Queue<Integer> checked = new ConcurrentLinkedQueue<>();
    fx.vertx.eventBus().<DomainEvent>consumer(Addresses.events(things), message -> {
      DomainEvent event = message.body();
      deliveredThings.add(event);
      if (event.fields().getInteger("n") % 100 == 0) {
        // Checked at the moment of delivery: the store must already hold the event.
        try {
          checked.add(1);
          if (!storeHolds(event)) {
            notYetStored.add(event.eventId());
          }
        } catch (Exception e) {
          notYetStored.add(event.eventId() + ": " + e);
        }
      }
    }).completion().toCompletionStage().toCompletableFuture().get();
    fx.vertx.eventBus().<DomainEvent>consumer(Addresses.events(users), m -> deliveredUsers.add(m.body()))
        .completion().toCompletionStage().toCompletableFuture().get();

    // Two publishers on two threads, one stream each, so the interceptor serialises concurrent callers.
    List<DomainEvent> publishedThings = new ArrayList<>();
    List<DomainEvent> publishedUsers = new ArrayList<>();
    Thread usersPublisher = new Thread(() -> {
      for (int i = 0; i < EVENTS_PER_STREAM; i++) {
        DomainEvent event = DomainEvent.occurred(users, "user.create", "test-node", 1,
            new JsonObject().put("id", "user-" + i).put("n", i));
        publishedUsers.add(event);
        fx.log.publisher().publish(event);
      }
    });
    usersPublisher.start();
    for (int i = 0; i < EVENTS_PER_STREAM; i++) {
      DomainEvent event = fx.thingEvent("thing.create", i);
      publishedThings.add(event);
      fx.log.publisher().publish(event);
    }
    usersPublisher.join();

    Await.until("every event delivered", Duration.ofSeconds(60),
        () -> deliveredThings.size() >= EVENTS_PER_STREAM && deliveredUsers.size() >= EVENTS_PER_STREAM);
    assertThat(notYetStored).as("events delivered before the store had them").isEmpty();
    assertThat(checked).hasSize(EVENTS_PER_STREAM / 100);
    assertThat(EventStoreContract.ids(deliveredThings)).containsExactlyElementsOf(EventStoreContract.ids(publishedThings));
    assertThat(EventStoreContract.ids(deliveredUsers)).containsExactlyElementsOf(EventStoreContract.ids(publishedUsers));

    Queue<DomainEvent> stored = new ConcurrentLinkedQueue<>();
    Await.result(fx.store().tail(things, StartFrom.BEGINNING, stored::add));
    Await.until("the stream read back", Duration.ofSeconds(30), () -> stored.size() >= EVENTS_PER_STREAM);
    assertThat(EventStoreContract.ids(stored)).containsExactlyElementsOf(EventStoreContract.ids(publishedThings));
  }

  @Test
  void leavesOtherBusTrafficAlone() {
    fx.vertx.eventBus().consumer("greetings", message -> message.reply("hello " + message.body()));
    Object reply = Await.result(fx.vertx.eventBus().request("greetings", "world")).body();
    assertThat(reply).isEqualTo("hello world");
    assertThat(fx.log.stats().appended()).isZero();
  }
}
