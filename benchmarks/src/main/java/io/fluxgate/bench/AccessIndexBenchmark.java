package io.fluxgate.bench;

import io.fluxgate.codecs.ThingAccess;
import io.fluxgate.things.AccessIndex;
import io.fluxgate.things.Connection;
import io.fluxgate.things.ThingKeys;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
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

/** The access index alone (no bus): authorize and authenticate with 10 000 things and 1 000 channels. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AccessIndexBenchmark {

  private AccessIndex index;
  private ThingAccess[] questions;
  private String[] thingIds;
  private String[] keys;
  private int next;

  @Setup
  public void setUp() {
    byte[] serverKey = new byte[32];
    ThreadLocalRandom.current().nextBytes(serverKey);
    ThingKeys thingKeys = new ThingKeys(serverKey);
    index = new AccessIndex(thingKeys);
    String[] channels = new String[1_000];
    for (int i = 0; i < channels.length; i++) {
      channels[i] = UUID.randomUUID().toString();
      index.putChannel(channels[i], true, 1);
    }
    thingIds = new String[10_000];
    keys = new String[thingIds.length];
    for (int i = 0; i < thingIds.length; i++) {
      thingIds[i] = UUID.randomUUID().toString();
      keys[i] = thingKeys.generate();
      index.putThing(thingIds[i], thingKeys.hash(keys[i]), true, 1);
      index.connect(thingIds[i], channels[i % channels.length], Connection.ALL, 1);
      index.connect(thingIds[i], channels[(i * 7 + 1) % channels.length], List.of(Connection.READ), 1);
    }
    questions = new ThingAccess[4096];
    for (int i = 0; i < questions.length; i++) {
      int t = ThreadLocalRandom.current().nextInt(thingIds.length);
      questions[i] = new ThingAccess(thingIds[t], channels[t % channels.length], ThingAccess.Action.PUBLISH);
    }
  }

  @Benchmark
  public boolean authorize() {
    return index.authorize(questions[next++ & (questions.length - 1)]);
  }

  @Benchmark
  public boolean authenticate() {
    int i = next++ % thingIds.length;
    return index.authenticate(thingIds[i], keys[i]);
  }
}
