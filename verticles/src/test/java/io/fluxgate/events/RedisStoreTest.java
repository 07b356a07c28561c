package io.fluxgate.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.Streams;
import io.fluxgate.config.ConfigException;
import io.fluxgate.events.EventStore.StartFrom;
import io.fluxgate.events.redis.RedisEventStore;
import io.fluxgate.events.redis.RedisSettings;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.EventLogFixture;
import io.fluxgate.testing.PrivateRedisServer;
import io.fluxgate.testing.RedisProbe;
import io.fluxgate.testing.StoreBackend;
import io.fluxgate.testing.TestStores;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/** What only the Redis store promises: its entry layout, typed round trips, its settings, passwords, outages. */
class RedisStoreTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  /** An event with every kind of field: numbers, a string that looks like one, objects, arrays, booleans. */
  private static DomainEvent richEvent(String stream) {
    return DomainEvent.occurred(stream, "config.create", "node-1", 3, new JsonObject()
        .put("thing_id", "t-1")
        .put("external_id", "12345")
        .put("looks_true", "true")
        .put("looks_json", "{\"a\":1}")
        .put("state", 1)
        .put("big", Long.MAX_VALUE)
        .put("ratio", 0.25)
        .put("success", false)
        .put("metadata", new JsonObject().put("site", "plant 7").put("floor", 2))
        .put("tags", new JsonArray().add("a").add("b"))
        .put("name", "valve: \"north\" ünïcode"));
  }

  @Test
  @SuppressWarnings("unchecked")
  void eachTopLevelKeyIsOneReadableFieldAndReadsBackAsTheSameEvent() throws Exception {
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), StoreBackend.REDIS.events());
        RedisProbe redis = new RedisProbe(TestStores.REDIS_URL)) {
      DomainEvent event = richEvent(fx.streams().things());
      Await.result(fx.store().append(event));

      List<Object> entries = (List<Object>) redis.call("XRANGE", fx.streams().things(), "-", "+");
      assertThat(entries).hasSize(1);
      List<Object> flat = (List<Object>) ((List<Object>) entries.get(0)).get(1);
      Map<Object, Object> fields = new LinkedHashMap<>();
      for (int i = 0; i < flat.size(); i += 2) {
        fields.put(flat.get(i), flat.get(i + 1));
      }
      assertThat(fields).containsEntry("operation", "config.create")
          .containsEntry("occurred_at", String.valueOf(event.occurredAt()))
          .containsEntry("event_id", event.eventId())
          .containsEntry("instance", "node-1")
          .containsEntry("revision", "3")
          .containsEntry("external_id", "12345")
          .containsEntry("state", "1")
          .containsEntry("big", String.valueOf(Long.MAX_VALUE))
          .containsEntry("ratio", "0.25")
          .containsEntry("success", "false")
          .containsEntry("metadata", "{\"site\":\"plant 7\",\"floor\":2}")
          .containsEntry("tags", "[\"a\",\"b\"]")
          .containsEntry("name", "valve: \"north\" ünïcode");
      assertThat(new JsonArray((String) fields.get("_json")).getList())
          .containsExactly("state", "big", "ratio", "success", "metadata", "tags");

      Queue<DomainEvent> read = new ConcurrentLinkedQueue<>();
      assertThat(Await.result(fx.store().readToEnd(fx.streams().things(), read::add))).isEqualTo(1L);
      assertThat(read).containsExactly(event);
      assertThat(read.peek().fields().getValue("external_id")).isEqualTo("12345");
      assertThat(read.peek().fields().getValue("looks_true")).isEqualTo("true");
    }
  }

  @Test
  void readToEndStopsAtTheLastEventOfTheCallAcrossPages() {
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), StoreBackend.REDIS.events())) {
      List<DomainEvent> appended = new ArrayList<>();
      List<Future<Void>> acks = new ArrayList<>();
      for (int i = 0; i < 1_234; i++) {
        DomainEvent event = fx.thingEvent("thing.create", i);
        appended.add(event);
        acks.add(fx.store().append(event));
      }
      Await.result(Future.all(acks));
      List<DomainEvent> read = new ArrayList<>();
      assertThat(Await.result(fx.store().readToEnd(fx.streams().things(), read::add))).isEqualTo(1_234L);
      assertThat(EventStoreContract.ids(read)).containsExactlyElementsOf(EventStoreContract.ids(appended));
      assertThat(Await.result(fx.store().readToEnd(fx.streams().users(), e -> { }))).isZero();
    }
  }

  @Test
  void twoInstancesOfOneConsumerShareTheStreamEachEventHandledOnce() {
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), StoreBackend.REDIS.events())) {
      Queue<DomainEvent> first = new ConcurrentLinkedQueue<>();
      Queue<DomainEvent> second = new ConcurrentLinkedQueue<>();
      for (Queue<DomainEvent> seen : List.of(first, second)) {
        Await.result(fx.store().subscribe(fx.streams().things(), "bootstrap", StartFrom.NOW, event -> {
          seen.add(event);
          return Future.succeededFuture();
        }));
      }
      List<DomainEvent> appended = new ArrayList<>();
      for (int round = 0; round < 20; round++) {
        List<Future<Void>> acks = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          DomainEvent event = fx.thingEvent("thing.create", round * 20 + i);
          appended.add(event);
          acks.add(fx.store().append(event));
        }
        Await.result(Future.all(acks));
      }
      Await.until("400 events handled", WAIT, () -> first.size() + second.size() >= 400);
      List<String> all = new ArrayList<>(EventStoreContract.ids(first));
      all.addAll(EventStoreContract.ids(second));
      assertThat(all).containsExactlyInAnyOrderElementsOf(EventStoreContract.ids(appended));
      // Each instance sees its share in stream order.
      for (Queue<DomainEvent> seen : List.of(first, second)) {
        List<String> ids = EventStoreContract.ids(seen);
        assertThat(ids).isSortedAccordingTo(String::compareTo);
      }
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void aConsumerInstanceThatDiesLeavesItsEntriesToTheNextAfterTheIdleTimeout() throws Exception {
    var config = TestStores.events("redis", TestStores.REDIS_URL, Map.of("FG_ES_REDIS_CLAIM_IDLE", "1s"));
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), config);
        RedisProbe redis = new RedisProbe(TestStores.REDIS_URL)) {
      String stream = fx.streams().things();
      List<DomainEvent> appended = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        appended.add(fx.thingEvent("thing.create", i));
        Await.result(fx.store().append(appended.get(i)));
      }
      // A crashed instance: it read three entries into its pending list and never acknowledged them.
      redis.call("XGROUP", "CREATE", stream, "bootstrap", "0", "MKSTREAM");
      redis.call("XREADGROUP", "GROUP", "bootstrap", "crashed-node", "COUNT", "3", "STREAMS", stream, ">");

      Queue<DomainEvent> seen = new ConcurrentLinkedQueue<>();
      Await.result(fx.store().subscribe(stream, "bootstrap", StartFrom.BEGINNING, event -> {
        seen.add(event);
        return Future.succeededFuture();
      }));
      Await.until("all 5 handled, the crashed instance's 3 among them", WAIT, () -> seen.size() >= 5);
      assertThat(EventStoreContract.ids(seen)).containsExactlyInAnyOrderElementsOf(EventStoreContract.ids(appended));
      List<Object> summary = (List<Object>) redis.call("XPENDING", stream, "bootstrap");
      assertThat(summary.get(0)).isEqualTo(0L);
    }
  }

  @Test
  void aRepeatedEventIdIsDroppedAtAnyDelayAndTheKeyNeverExpiresByDefault() throws Exception {
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), StoreBackend.REDIS.events());
        RedisProbe redis = new RedisProbe(TestStores.REDIS_URL)) {
      DomainEvent event = fx.thingEvent("thing.create", 1);
      Await.result(fx.store().append(event));
      RedisEventStore store = (RedisEventStore) fx.store();
      assertThat(redis.call("TTL", store.dedupKey(event.eventId()))).isEqualTo(-1L);
      assertThat(fx.store().deduplicationWindow()).isEqualTo(EventStore.FOREVER);
      Await.result(fx.store().append(event));
      assertThat(redis.call("XLEN", fx.streams().things())).isEqualTo(1L);
    }
  }

  @Test
  void withADedupTtlTheWindowIsTheTtlAndHeldFindsEventsByTheirTime() throws Exception {
    var config = TestStores.events("redis", TestStores.REDIS_URL, Map.of("FG_ES_REDIS_DEDUP_TTL", "10m"));
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), config);
        RedisProbe redis = new RedisProbe(TestStores.REDIS_URL)) {
      long from = DomainEvent.nowNanos();
      DomainEvent stored = fx.thingEvent("thing.create", 1);
      DomainEvent missing = fx.thingEvent("thing.create", 2);
      Await.result(fx.store().append(stored));
      long ttl = (Long) redis.call("PTTL", ((RedisEventStore) fx.store()).dedupKey(stored.eventId()));
      assertThat(ttl).isBetween(1L, Duration.ofMinutes(10).toMillis());
      assertThat(fx.store().deduplicationWindow()).isEqualTo(Duration.ofMinutes(10));
      assertThat(Await.result(fx.store().held(List.of(stored, missing), from, DomainEvent.nowNanos())))
          .containsExactly(stored.eventId());
    }
  }

  @Test
  void appendsMadeInOneTaskGoToRedisAsOneScriptCallPerBatchAndCompleteOnTheirContext() throws Exception {
    // A server of its own: the shared one's command counters move with other tests.
    try (PrivateRedisServer server = new PrivateRedisServer(null).start();
        EventLogFixture fx = EventLogFixture.start(TestStores.h2(), TestStores.events("redis", server.url()));
        RedisProbe redis = new RedisProbe(server.url())) {
      redis.call("CONFIG", "RESETSTAT");
      List<DomainEvent> appended = new ArrayList<>();
      for (int i = 0; i < 600; i++) {
        appended.add(fx.thingEvent("thing.create", i));
      }
      Context caller = fx.vertx.getOrCreateContext();
      Queue<Context> completedOn = new ConcurrentLinkedQueue<>();
      Promise<Void> all = Promise.promise();
      caller.runOnContext(v -> {
        List<Future<Void>> acks = new ArrayList<>();
        for (DomainEvent event : appended) {
          acks.add(fx.store().append(event).onComplete(r -> completedOn.add(Vertx.currentContext())));
        }
        Future.all(acks).<Void>mapEmpty().onComplete(all);
      });
      Await.result(all.future());

      assertThat(completedOn).hasSize(600).allMatch(context -> context == caller);
      String stats = (String) redis.call("INFO", "commandstats");
      // 600 appends in one task: batches of 256, 256 and 88 instead of one call per append.
      assertThat(stats).contains("cmdstat_evalsha:calls=3,");
      List<DomainEvent> read = new ArrayList<>();
      Await.result(fx.store().readToEnd(fx.streams().things(), read::add));
      assertThat(EventStoreContract.ids(read)).containsExactlyElementsOf(EventStoreContract.ids(appended));
    }
  }

  @Test
  void anEventWhoseEntryRedisRefusesIsNotRememberedSoItsRetryIsStored() throws Exception {
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), StoreBackend.REDIS.events());
        RedisProbe redis = new RedisProbe(TestStores.REDIS_URL)) {
      String things = fx.streams().things();
      String users = fx.streams().users();
      // Not a stream: XADD to it fails with WRONGTYPE.
      redis.call("SET", things, "in the way");
      DomainEvent before = DomainEvent.occurred(users, "user.create", "test-node", 1, new JsonObject().put("n", 1));
      DomainEvent refused = fx.thingEvent("thing.create", 1);
      DomainEvent after = DomainEvent.occurred(users, "user.create", "test-node", 2, new JsonObject().put("n", 2));
      Context caller = fx.vertx.getOrCreateContext();
      List<Future<Void>> acks = new ArrayList<>();
      Promise<Void> settled = Promise.promise();
      caller.runOnContext(v -> {
        for (DomainEvent event : List.of(before, refused, after)) {
          acks.add(fx.store().append(event));
        }
        Future.join(acks).<Void>mapEmpty().otherwiseEmpty().onComplete(settled);
      });
      Await.result(settled.future());
      assertThat(acks.get(0).succeeded()).isTrue();
      assertThat(acks.get(1).failed()).isTrue();
      assertThat(acks.get(1).cause()).hasMessageContaining("WRONGTYPE");

      // What the interceptor does with failed appends: send them again, in their order, once the store takes them.
      redis.call("DEL", things);
      for (int i = 1; i < acks.size(); i++) {
        if (acks.get(i).failed()) {
          Await.result(fx.store().append(List.of(before, refused, after).get(i)));
        }
      }
      assertThat(redis.call("XLEN", things)).isEqualTo(1L);
      List<DomainEvent> read = new ArrayList<>();
      Await.result(fx.store().readToEnd(users, read::add));
      assertThat(EventStoreContract.ids(read)).containsExactly(before.eventId(), after.eventId());
    }
  }

  @Test
  void trimsEachStreamToAboutMaxLen() throws Exception {
    var config = TestStores.events("redis", TestStores.REDIS_URL, Map.of("FG_ES_REDIS_MAX_LEN", "100"));
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), config);
        RedisProbe redis = new RedisProbe(TestStores.REDIS_URL)) {
      List<Future<Void>> acks = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        acks.add(fx.store().append(fx.thingEvent("thing.create", i)));
      }
      Await.result(Future.all(acks));
      // MAXLEN ~ trims whole radix-tree nodes (100 entries by default), so the length is near, not at, the bound.
      assertThat((Long) redis.call("XLEN", fx.streams().things())).isBetween(100L, 300L);
    }
  }

  @Test
  void badSettingsNameTheSettingAndItsVariable() {
    assertThatThrownBy(() -> TestStores.events("redis", "http://127.0.0.1:6379"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("es.url (FG_ES_URL)");
    assertThatThrownBy(() -> TestStores.events("redis", "redis://:secret@127.0.0.1:6379/x"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("redis://:***@127.0.0.1:6379/x")
        .hasMessageNotContaining("secret");
    assertThatThrownBy(() -> TestStores.events("redis", TestStores.REDIS_URL, Map.of("FG_ES_REDIS_MAX_LEN", "-1")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("FG_ES_REDIS_MAX_LEN");
    assertThatThrownBy(() -> TestStores.events("redis", TestStores.REDIS_URL, Map.of("FG_ES_REDIS_DEDUP_TTL", "5s")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("es.redis_dedup_ttl (FG_ES_REDIS_DEDUP_TTL)");
    RedisSettings defaults = (RedisSettings) TestStores.events("redis", "").store();
    assertThat(defaults.url()).isEqualTo("redis://127.0.0.1:6379");
    assertThat(defaults.maxLen()).isZero();
  }

  @Test
  void worksWithAPasswordAndAWrongOneFailsNamingTheSetting() throws Exception {
    try (PrivateRedisServer server = new PrivateRedisServer("secret").start()) {
      try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), TestStores.events("redis", server.url()))) {
        DomainEvent event = fx.thingEvent("thing.create", 1);
        Await.result(fx.store().append(event));
        Queue<DomainEvent> seen = new ConcurrentLinkedQueue<>();
        Await.result(fx.store().subscribe(fx.streams().things(), "audit", StartFrom.BEGINNING, e -> {
          seen.add(e);
          return Future.succeededFuture();
        }));
        Await.until("the event delivered", WAIT, () -> seen.size() == 1);
      }

      Vertx vertx = Vertx.vertx();
      try {
        String wrong = "redis://:wrong@127.0.0.1:" + server.port();
        Throwable refused = Await.failure(RedisEventStore.open(vertx, TestStores.events("redis", wrong)));
        assertThat(refused).isInstanceOf(ConfigException.class)
            .hasMessageContaining("es.url (FG_ES_URL)")
            .hasMessageContaining("redis://:***@127.0.0.1:" + server.port())
            .hasMessageContaining("refused the password")
            .hasMessageNotContaining("wrong@");
        String none = "redis://127.0.0.1:" + server.port();
        Throwable noPassword = Await.failure(RedisEventStore.open(vertx, TestStores.events("redis", none)));
        assertThat(noPassword).isInstanceOf(ConfigException.class).hasMessageContaining("requires a password");
      } finally {
        Await.result(vertx.close());
      }
    }
  }

  @Test
  void deadLettersGoToTheDlqStreamOfTheStream() throws Exception {
    try (EventLogFixture fx = EventLogFixture.start(TestStores.h2(), StoreBackend.REDIS.events());
        RedisProbe redis = new RedisProbe(TestStores.REDIS_URL)) {
      Await.result(fx.store().append(fx.thingEvent("thing.create", 1)));
      Await.result(fx.store().subscribe(fx.streams().things(), "bootstrap", StartFrom.BEGINNING,
          e -> Future.failedFuture("no")));
      String dlq = Streams.deadLetters(fx.streams().things());
      assertThat(dlq).isEqualTo(fx.streams().things() + ".dlq");
      Await.until("one dead letter", WAIT, () -> {
        try {
          return Long.valueOf(1L).equals(redis.call("XLEN", dlq));
        } catch (Exception e) {
          return false;
        }
      });
    }
  }
}
