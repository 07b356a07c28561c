package io.fluxgate.bench;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.DomainEventCodec;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Encoding and decoding one domain event: to the contract's JSON bytes and through the cluster wire codec. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EventCodecBenchmark {

  private final DomainEventCodec codec = new DomainEventCodec();
  private DomainEvent event;
  private Buffer json;
  private Buffer wire;

  /** A thing.create event of the size the things service produces (about 400 bytes of JSON). */
  static DomainEvent thingCreated() {
    return DomainEvent.occurred("fluxgate.things", "thing.create", "node-1", 1, new JsonObject()
        .put("id", "0f0b7c3e-5d55-4d7e-9d3e-6f2f0b6f4a11")
        .put("name", "pump-station-17")
        .put("tags", new JsonArray().add("pump").add("north"))
        .put("owner", "7a1d1a44-3f5c-4c6e-8f7e-2a9b2c1d0e33")
        .put("metadata", new JsonObject().put("site", "north-4").put("depth_m", 12.5).put("model", "PX-200"))
        .put("status", "enabled")
        .put("created_at", "2026-11-26T22:11:04.123456789Z"));
  }

  @Setup
  public void setUp() {
    event = thingCreated();
    json = event.toBuffer();
    wire = Buffer.buffer();
    codec.encodeToWire(wire, event);
  }

  @Benchmark
  public Buffer encodeJson() {
    return event.toBuffer();
  }

  @Benchmark
  public DomainEvent decodeJson() {
    return DomainEvent.fromBuffer("fluxgate.things", json);
  }

  @Benchmark
  public Buffer encodeWire() {
    Buffer buffer = Buffer.buffer(512);
    codec.encodeToWire(buffer, event);
    return buffer;
  }

  @Benchmark
  public DomainEvent decodeWire() {
    return codec.decodeFromWire(0, wire);
  }
}
