package io.fluxgate.codecs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DomainEventCodecTest {

  private static DomainEvent thingCreated() {
    return DomainEvent.occurred(
        "fluxgate.things",
        "thing.create",
        "node-1",
        1,
        new JsonObject()
            .put("id", "6f1c0e7e-0000-4000-8000-000000000001")
            .put("name", "pump-7")
            .put("tags", new JsonArray().add("a").add("b"))
            .put("metadata", new JsonObject().put("site", "north").put("depth", 12.5))
            .put("status", "enabled")
            .put("owner", "")
            .put("created_at", "2026-11-26T22:11:04.123456789Z"));
  }

  @Test
  void roundTripsThroughTheContractJson() {
    DomainEvent event = thingCreated();
    JsonObject json = event.toJson();

    assertThat(json.getString("operation")).isEqualTo("thing.create");
    assertThat(json.getValue("occurred_at")).isInstanceOf(Long.class);
    assertThat(json.getLong("revision")).isEqualTo(1L);
    assertThat(json.getJsonObject("metadata").getDouble("depth")).isEqualTo(12.5);
    assertThat(json.containsKey("owner")).as("empty fields are left out").isFalse();

    DomainEvent back = DomainEvent.fromBuffer("fluxgate.things", event.toBuffer());
    assertThat(back).isEqualTo(event);
  }

  @Test
  void anEncodedEventGoesOnTheWireAsThePlainEventAndArrivesAsOne() {
    DomainEvent event = thingCreated();
    Buffer plain = Buffer.buffer();
    new DomainEventCodec().encodeToWire(plain, event);
    Buffer encoded = Buffer.buffer();
    EncodedEventCodec codec = new EncodedEventCodec();
    codec.encodeToWire(encoded, EncodedEvent.of(event));

    assertThat(encoded.getBytes()).isEqualTo(plain.getBytes());
    assertThat(codec.decodeFromWire(0, encoded)).isEqualTo(event);
    assertThat(codec.transform(EncodedEvent.of(event))).isSameAs(event);
  }

  @Test
  void writesTheSameBytesAsTheJsonObject() {
    DomainEvent event = thingCreated();
    assertThat(new String(event.toBytes(), java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo(event.toJson().encode());
  }

  @Test
  void keepsNanosecondTimesExactlyAboveTwoToTheFiftyThird() {
    DomainEvent event = new DomainEvent("s", "op", 1_795_000_000_123_456_789L, EventIds.next(), "n", 0, null);
    DomainEvent back = DomainEvent.fromBuffer("s", event.toBuffer());
    assertThat(back.occurredAt()).isEqualTo(1_795_000_000_123_456_789L);
    assertThat(event.toBuffer().toString()).contains("\"occurred_at\":1795000000123456789");
  }

  @Test
  void roundTripsThroughTheClusterWireFormat() {
    DomainEventCodec codec = new DomainEventCodec();
    DomainEvent event = thingCreated();
    Buffer wire = Buffer.buffer().appendString("ignored-prefix");
    int start = wire.length();
    codec.encodeToWire(wire, event);

    assertThat(codec.decodeFromWire(start, wire)).isEqualTo(event);
  }

  @Test
  void omitsRevisionOnEventsThatChangeNoEntity() {
    DomainEvent event = DomainEvent.occurred("s", "thing.list", "n", DomainEvent.NO_REVISION,
        new JsonObject().put("total", 0));
    assertThat(event.toJson().containsKey("revision")).isFalse();
    assertThat(DomainEvent.fromJson("s", event.toJson()).revision()).isEqualTo(DomainEvent.NO_REVISION);
  }

  @Test
  void rejectsABodyWithoutOperationOrId() {
    assertThatThrownBy(() -> DomainEvent.fromJson("s", new JsonObject().put("operation", "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("event_id");
  }

  @Test
  void eventIdsIncreaseOnEveryThreadWhileOthersTakeIdsToo() throws Exception {
    int threads = 4;
    List<List<String>> perThread = new ArrayList<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      List<String> ids = new ArrayList<>();
      perThread.add(ids);
      workers.add(new Thread(() -> {
        for (int i = 0; i < 50_000; i++) {
          ids.add(EventIds.next());
        }
      }));
    }
    workers.forEach(Thread::start);
    for (Thread worker : workers) {
      worker.join();
    }
    List<String> all = new ArrayList<>();
    for (List<String> ids : perThread) {
      assertThat(ids).isSorted();
      all.addAll(ids);
    }
    assertThat(all).doesNotHaveDuplicates();
  }

  @Test
  void eventIdsIncreaseWithinOneJvm() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      ids.add(EventIds.next());
    }
    assertThat(ids).isSorted().doesNotHaveDuplicates();
  }
}
