package io.fluxgate.e2e;

import java.util.concurrent.locks.LockSupport;

/** Spaces calls evenly at a fixed rate (calls per second), or lets them run flat out when the rate is 0. */
final class Pacer {

  private final long intervalNanos;
  private long next = System.nanoTime();

  Pacer(double perSecond) {
    this.intervalNanos = perSecond > 0 ? (long) (1_000_000_000L / perSecond) : 0;
  }

  synchronized void await() {
    if (intervalNanos == 0) {
      return;
    }
    long now = System.nanoTime();
    // A late call does not earn a burst: the schedule restarts from now.
    next = Math.max(next, now);
    long wait = next - now;
    next += intervalNanos;
    if (wait > 0) {
      LockSupport.parkNanos(wait);
    }
  }
}
