package io.fluxgate.bench;

import io.fluxgate.codecs.ChannelMessage;
import io.fluxgate.codecs.ChannelMessageCodec;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.ThingAccess;
import io.fluxgate.mqtt.AccessCache;
import io.fluxgate.mqtt.ChannelTopic;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The steps of an MQTT publish inside the node: parse the topic, authorize from the node's cache, build the
 * routed message, encode it for the cluster (and decode it on the other side), match a wildcard filter.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PublishPathBenchmark {

  private final String channel = UUID.randomUUID().toString();
  private final String thing = UUID.randomUUID().toString();
  private final String topicName = "channels/" + channel + "/messages/building-7/floor-3/temperature";
  private final ChannelTopic filter = ChannelTopic.ofFilter("channels/" + channel + "/messages/+/+/temperature");
  private final ChannelMessageCodec codec = new ChannelMessageCodec();
  private final Buffer payload = Buffer.buffer(new byte[100]);
  private Vertx vertx;
  private AccessCache cache;
  private ChannelMessage message;
  private Buffer wire;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    vertx = Vertx.vertx();
    // Answers the one question the cache will ask, once; after that every call is a cache hit.
    vertx.eventBus().<ThingAccess>consumer("fluxgate.things.authorize", m -> m.reply(true));
    io.fluxgate.codecs.Codecs.register(vertx.eventBus());
    cache = new AccessCache(vertx.eventBus(), java.time.Duration.ofSeconds(5));
    cache.authorize(thing, channel, ThingAccess.Action.PUBLISH).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    message = new ChannelMessage(channel, "building-7/floor-3/temperature", thing, "mqtt", 1, payload,
        DomainEvent.nowNanos());
    wire = Buffer.buffer();
    codec.encodeToWire(wire, message);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Benchmark
  public ChannelTopic parseTopic() {
    return ChannelTopic.ofPublish(topicName);
  }

  @Benchmark
  public int authorizeFromCache() {
    return cache.cached(thing, channel, ThingAccess.Action.PUBLISH);
  }

  @Benchmark
  public ChannelMessage buildMessage() {
    return new ChannelMessage(channel, "building-7/floor-3/temperature", thing, "mqtt", 1, payload,
        DomainEvent.nowNanos());
  }

  @Benchmark
  public Buffer encode() {
    Buffer buffer = Buffer.buffer(256);
    codec.encodeToWire(buffer, message);
    return buffer;
  }

  @Benchmark
  public ChannelMessage decode() {
    return codec.decodeFromWire(0, wire);
  }

  @Benchmark
  public boolean matchWildcardFilter() {
    return filter.matches(message.subtopic());
  }
}
