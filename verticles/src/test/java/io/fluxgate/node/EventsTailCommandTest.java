package io.fluxgate.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.EventLogFixture;
import io.fluxgate.testing.TestStores;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code fluxgate events tail} prints what the configured store holds, as JSON lines. */
class EventsTailCommandTest {

  @Test
  @Timeout(60)
  void printsAStreamFromTheBeginningAsJsonLines() {
    EventStoreConfig config = TestStores.events("nats", TestStores.NATS_URL);
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), config)) {
      List<DomainEvent> appended = List.of(fx.thingEvent("thing.create", 0), fx.thingEvent("thing.update", 1),
          fx.thingEvent("thing.remove", 2));
      appended.forEach(e -> Await.result(fx.store().append(e)));

      StringWriter out = new StringWriter();
      int status = Fluxgate.run(
          new String[] {"events", "tail", "--stream", "things", "--from", "beginning", "--limit", "2"},
          Map.of("FG_ES_TYPE", "nats", "FG_ES_URL", TestStores.NATS_URL, "FG_ES_PREFIX", config.prefix()),
          new PrintWriter(out, true), new PrintWriter(new StringWriter(), true));

      assertThat(status).isZero();
      List<String> lines = out.toString().lines().toList();
      assertThat(lines).as("no more than --limit lines").hasSize(2);
      for (int i = 0; i < 2; i++) {
        assertThat(DomainEvent.fromJson(config.prefix() + ".things", new JsonObject(lines.get(i))))
            .isEqualTo(appended.get(i));
      }
    }
  }

  @Test
  @Timeout(60)
  void printsARabbitMqStreamFromTheBeginning() {
    EventStoreConfig config = TestStores.events("rabbitmq", TestStores.RABBITMQ_URL);
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), config)) {
      List<DomainEvent> appended = List.of(fx.thingEvent("thing.create", 0), fx.thingEvent("thing.update", 1));
      appended.forEach(e -> Await.result(fx.store().append(e)));

      StringWriter out = new StringWriter();
      int status = Fluxgate.run(
          new String[] {"events", "tail", "--stream", "things", "--from", "beginning", "--limit", "2"},
          Map.of("FG_ES_TYPE", "rabbitmq", "FG_ES_URL", TestStores.RABBITMQ_URL, "FG_ES_PREFIX", config.prefix()),
          new PrintWriter(out, true), new PrintWriter(new StringWriter(), true));

      assertThat(status).isZero();
      List<String> lines = out.toString().lines().toList();
      assertThat(lines).hasSize(2);
      for (int i = 0; i < 2; i++) {
        assertThat(DomainEvent.fromJson(config.prefix() + ".things", new JsonObject(lines.get(i))))
            .isEqualTo(appended.get(i));
      }
    }
  }

  @Test
  void rejectsAnUnknownStartingPoint() {
    StringWriter err = new StringWriter();
    int status = Fluxgate.run(new String[] {"events", "tail", "--stream", "things", "--from", "yesterday"},
        Map.of(), new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertThat(status).isEqualTo(Fluxgate.CONFIG_ERROR);
    assertThat(err.toString()).contains("--from", "yesterday", "beginning or now");
  }

  @Test
  void aStoreItCannotReachStopsTheTailWithExit2NamingTheSetting() {
    StringWriter err = new StringWriter();
    String unreachable = "redis://127.0.0.1:" + io.fluxgate.testing.TestStores.freePort();
    int status = Fluxgate.run(new String[] {"events", "tail", "--stream", "things"},
        Map.of("FG_ES_TYPE", "redis", "FG_ES_URL", unreachable), new PrintWriter(new StringWriter(), true),
        new PrintWriter(err, true));
    assertThat(status).isEqualTo(Fluxgate.CONFIG_ERROR);
    assertThat(err.toString()).contains("es.url (FG_ES_URL)", unreachable).doesNotContain("\tat ");
  }
}
