package io.fluxgate.e2e;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** How long each kind of call took during a run, for the summary's p50 and p99 per call type. */
public final class CallTimings {

  /** One line of the summary: a call type, how often it ran, and its median and 99th percentile. */
  public record Line(String call, int count, double p50Millis, double p99Millis) {}

  private final Map<String, List<Long>> nanos = new TreeMap<>();

  synchronized void record(String call, long elapsedNanos) {
    nanos.computeIfAbsent(call, k -> new ArrayList<>()).add(elapsedNanos);
  }

  /** Every call type seen, in name order. */
  public synchronized List<Line> lines() {
    List<Line> lines = new ArrayList<>();
    nanos.forEach((call, samples) -> {
      long[] sorted = samples.stream().mapToLong(Long::longValue).toArray();
      Arrays.sort(sorted);
      lines.add(new Line(call, sorted.length, percentile(sorted, 0.50), percentile(sorted, 0.99)));
    });
    return lines;
  }

  /** The number of calls made so far. */
  public synchronized int total() {
    return nanos.values().stream().mapToInt(List::size).sum();
  }

  private static double percentile(long[] sorted, double p) {
    int index = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, index)] / 1_000_000.0;
  }
}
