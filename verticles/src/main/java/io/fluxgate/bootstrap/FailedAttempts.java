package io.fluxgate.bootstrap;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Failed bootstrap attempts per external id on this node: after {@code max} failures within {@code window}, further
 * attempts for that id are refused until the window of the first failure has passed, so an external key cannot be
 * guessed by brute force. A success clears the id. Holds at most {@link #MAX_IDS} ids (the oldest go first).
 * Not thread-safe: one context owns it.
 */
public final class FailedAttempts {

  static final int MAX_IDS = 100_000;

  /** Failures of one id since {@code since} (nanoseconds of the clock). */
  private record Failures(long since, int count) {}

  private final int max;
  private final long windowNanos;
  private final LongSupplier clock;
  private final Map<String, Failures> byId = new LinkedHashMap<>();

  public FailedAttempts(int max, Duration window, LongSupplier clock) {
    this.max = max;
    this.windowNanos = window.toNanos();
    this.clock = clock;
  }

  /** Whether attempts for {@code externalId} are refused now. */
  public boolean blocked(String externalId) {
    Failures failures = current(externalId);
    return failures != null && failures.count() >= max;
  }

  /** How long until attempts for {@code externalId} are taken again: zero when they are now. */
  public Duration retryAfter(String externalId) {
    Failures failures = current(externalId);
    if (failures == null || failures.count() < max) {
      return Duration.ZERO;
    }
    return Duration.ofNanos(Math.max(0, failures.since() + windowNanos - clock.getAsLong()));
  }

  public void failed(String externalId) {
    Failures failures = current(externalId);
    byId.remove(externalId);
    byId.put(externalId, failures == null ? new Failures(clock.getAsLong(), 1)
        : new Failures(failures.since(), failures.count() + 1));
    if (byId.size() > MAX_IDS) {
      Iterator<String> oldest = byId.keySet().iterator();
      oldest.next();
      oldest.remove();
    }
  }

  public void succeeded(String externalId) {
    byId.remove(externalId);
  }

  private Failures current(String externalId) {
    Failures failures = byId.get(externalId);
    if (failures != null && clock.getAsLong() - failures.since() > windowNanos) {
      byId.remove(externalId);
      return null;
    }
    return failures;
  }
}
