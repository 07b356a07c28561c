package io.fluxgate.api;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A token bucket per key (a client address, an identity) in this process: each holds up to {@link Rate#count()}
 * requests and refills at that many per {@link Rate#per()}. At most {@code maxKeys} buckets are kept, the least
 * recently used going first, so a flood of new keys costs bounded memory. Thread-safe.
 */
public final class TokenBuckets {

  /** {@code count} requests per {@code per}, as a burst of {@code count} refilled evenly over {@code per}. */
  public record Rate(int count, Duration per) {

    /** No limit. */
    public static final Rate NONE = new Rate(0, Duration.ZERO);

    /** Reads {@code N/duration} (e.g. {@code 20/1m}), or {@code off} or {@code 0} for no limit. */
    public static Rate parse(String text) {
      String trimmed = text.trim();
      if (trimmed.equalsIgnoreCase("off") || trimmed.equals("0")) {
        return NONE;
      }
      String[] parts = trimmed.split("/", 2);
      int count = Integer.parseInt(parts[0].trim());
      Duration per = io.fluxgate.config.ConfigSection.durationOf(parts[1]);
      if (count < 1 || per.isZero() || per.isNegative()) {
        throw new IllegalArgumentException(text);
      }
      return new Rate(count, per);
    }

    public boolean limits() {
      return count > 0;
    }

    @Override
    public String toString() {
      return limits() ? count + "/" + per : "off";
    }
  }

  private static final class Bucket {
    double tokens;
    long updated;

    Bucket(double tokens, long updated) {
      this.tokens = tokens;
      this.updated = updated;
    }
  }

  private final Rate rate;
  private final double perNano;
  private final LongSupplier clock;
  private final Map<String, Bucket> buckets;

  public TokenBuckets(Rate rate, int maxKeys) {
    this(rate, maxKeys, System::nanoTime);
  }

  TokenBuckets(Rate rate, int maxKeys, LongSupplier clock) {
    this.rate = rate;
    this.perNano = rate.limits() ? rate.count() / (double) rate.per().toNanos() : 0;
    this.clock = clock;
    this.buckets = new LinkedHashMap<>(256, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
        return size() > maxKeys;
      }
    };
  }

  /**
   * Takes one request from {@code key}'s bucket: {@link Duration#ZERO} when it may go on, else how long until the
   * bucket holds one again (nothing is taken then).
   */
  public synchronized Duration take(String key) {
    if (!rate.limits()) {
      return Duration.ZERO;
    }
    long now = clock.getAsLong();
    Bucket bucket = buckets.get(key);
    if (bucket == null) {
      buckets.put(key, new Bucket(rate.count() - 1, now));
      return Duration.ZERO;
    }
    bucket.tokens = Math.min(rate.count(), bucket.tokens + (now - bucket.updated) * perNano);
    bucket.updated = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return Duration.ZERO;
    }
    return Duration.ofNanos((long) Math.ceil((1 - bucket.tokens) / perNano));
  }

  /** How many keys are remembered now. */
  public synchronized int size() {
    return buckets.size();
  }
}
