package io.fluxgate.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.config.ConfigException;
import io.fluxgate.events.EventStore.StartFrom;
import io.fluxgate.events.EventStore.Subscription;
import io.fluxgate.events.rabbitmq.RabbitEventStore;
import io.fluxgate.events.rabbitmq.RabbitSettings;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.EventLogFixture;
import io.fluxgate.testing.RabbitProbe;
import io.fluxgate.testing.StoreBackend;
import io.fluxgate.testing.TestStores;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/** What only the RabbitMQ store promises: its message layout, its settings, one reader per consumer name, outages. */
class RabbitStoreTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private static List<DomainEvent> append(EventLogFixture fx, int from, int count) {
    return EventStoreContract.append(fx, from, count);
  }

  @Test
  void eachEventIsAPersistentJsonMessageOnTheTopicExchangeWithItsIdAsMessageId() throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(TestStores.RABBITMQ_URL);
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), StoreBackend.RABBITMQ.events());
        RabbitProbe probe = new RabbitProbe(TestStores.RABBITMQ_URL);
        Connection connection = factory.newConnection("fluxgate-test");
        Channel channel = connection.createChannel()) {
      // An integrator's own queue, bound by routing key: it gets what the stream queue keeps.
      String mine = channel.queueDeclare("", false, true, true, null).getQueue();
      channel.queueBind(mine, "events", "events." + fx.streams().things());
      DomainEvent event = DomainEvent.occurred(fx.streams().things(), "config.create", "node-1", 3, new JsonObject()
          .put("external_id", "12345").put("state", 1).put("metadata", new JsonObject().put("site", "plant 7"))
          .put("tags", new JsonArray().add("a")).put("name", "valve: \"north\" ünïcode"));
      Await.result(fx.store().append(event));

      List<RabbitProbe.Stored> stored = probe.read(fx.streams().things(), "first");
      assertThat(stored).hasSize(1);
      AMQP.BasicProperties properties = stored.get(0).properties();
      assertThat(properties.getMessageId()).isEqualTo(event.eventId());
      assertThat(properties.getContentType()).isEqualTo("application/json");
      assertThat(properties.getDeliveryMode()).isEqualTo(2);
      assertThat(new JsonObject(Buffer.buffer(stored.get(0).body()))).isEqualTo(event.toJson());

      Await.until("the message in the integrator's queue", WAIT, () -> {
        try {
          GetResponse got = channel.basicGet(mine, true);
          return got != null && event.eventId().equals(got.getProps().getMessageId());
        } catch (Exception e) {
          return false;
        }
      });
      assertThat(RabbitEventStore.queue(fx.streams().things())).isEqualTo("events." + fx.streams().things());
    }
  }

  @Test
  void heldFindsTheEventsTheStreamHoldsFromTheirTimeOn() {
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), StoreBackend.RABBITMQ.events())) {
      long from = DomainEvent.nowNanos();
      append(fx, 0, 20);
      DomainEvent stored = fx.thingEvent("thing.update", 1);
      DomainEvent missing = fx.thingEvent("thing.update", 2);
      Await.result(fx.store().append(stored));
      append(fx, 20, 20);
      assertThat(fx.store().deduplicationWindow()).isEqualTo(Duration.ZERO);
      assertThat(Await.result(fx.store().held(List.of(stored, missing), from, DomainEvent.nowNanos())))
          .containsExactly(stored.eventId());
    }
  }

  @Test
  void oneInstanceOfAConsumerNameReadsAndAnotherTakesOverAtItsOffsetWhenItStops() {
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), StoreBackend.RABBITMQ.events())) {
      Queue<DomainEvent> first = new ConcurrentLinkedQueue<>();
      Queue<DomainEvent> second = new ConcurrentLinkedQueue<>();
      Subscription active = Await.result(fx.store().subscribe(fx.streams().things(), "bootstrap", StartFrom.BEGINNING,
          event -> {
            first.add(event);
            return Future.succeededFuture();
          }));
      Await.result(fx.store().subscribe(fx.streams().things(), "bootstrap", StartFrom.BEGINNING, event -> {
        second.add(event);
        return Future.succeededFuture();
      }));
      List<DomainEvent> before = append(fx, 0, 100);
      Await.until("100 events handled", WAIT, () -> first.size() + second.size() >= 100);
      assertThat(EventStoreContract.ids(first)).as("the first instance reads alone")
          .containsExactlyElementsOf(EventStoreContract.ids(before));

      Await.result(active.stop());
      List<DomainEvent> after = append(fx, 100, 100);
      Await.until("the second instance took over", WAIT, () -> second.size() >= 100);
      assertThat(EventStoreContract.ids(second)).containsExactlyElementsOf(EventStoreContract.ids(after));
      assertThat(first).hasSize(100);
    }
  }

  @Test
  void badSettingsNameTheSettingAndHideThePassword() {
    assertThatThrownBy(() -> TestStores.events("rabbitmq", "http://127.0.0.1:5672"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("es.url (FG_ES_URL)");
    assertThatThrownBy(() -> TestStores.events("rabbitmq", "amqp://guest:secret@127.0.0.1:5672/a/b"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("amqp://guest:***@127.0.0.1:5672/a/b")
        .hasMessageNotContaining("secret");
    assertThatThrownBy(() -> TestStores.events("rabbitmq", TestStores.RABBITMQ_URL,
        java.util.Map.of("FG_ES_RABBITMQ_EXCHANGE", "two words")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("es.rabbitmq_exchange (FG_ES_RABBITMQ_EXCHANGE)");
    RabbitSettings defaults = (RabbitSettings) TestStores.events("rabbitmq", "").store();
    assertThat(defaults.url()).isEqualTo("amqp://guest:guest@127.0.0.1:5672/%2f");
    assertThat(defaults.exchange()).isEqualTo("events");
  }

  @Test
  void aWrongPasswordOrAnUnknownVirtualHostFailsNamingTheSetting() {
    Vertx vertx = Vertx.vertx();
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), StoreBackend.RABBITMQ.events())) {
      String wrong = "amqp://guest:wrong@127.0.0.1:5672/%2f";
      Throwable refused = Await.failure(RabbitEventStore.open(vertx, TestStores.events("rabbitmq", wrong), fx.db));
      assertThat(refused).isInstanceOf(ConfigException.class)
          .hasMessageContaining("es.url (FG_ES_URL)")
          .hasMessageContaining("amqp://guest:***@127.0.0.1:5672/%2f")
          .hasMessageContaining("refused the user name or password")
          .hasMessageNotContaining("wrong");
      String vhost = "amqp://guest:guest@127.0.0.1:5672/no-such-vhost";
      Throwable noVhost = Await.failure(RabbitEventStore.open(vertx, TestStores.events("rabbitmq", vhost), fx.db));
      assertThat(noVhost).isInstanceOf(ConfigException.class).hasMessageContaining("es.url (FG_ES_URL)");
      Throwable nobody = Await.failure(RabbitEventStore.open(vertx,
          TestStores.events("rabbitmq", "amqp://guest:guest@127.0.0.1:" + TestStores.freePort() + "/%2f"), fx.db));
      assertThat(nobody).isInstanceOf(ConfigException.class).hasMessageContaining("nothing answers there");
    } finally {
      Await.result(vertx.close());
    }
  }

}
