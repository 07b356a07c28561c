package io.fluxgate.codecs;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.TimeBasedEpochGenerator;

/** Event ids: version 7 UUIDs, ordered by time and strictly increasing within one JVM, whatever the thread. */
public final class EventIds {

  private static final TimeBasedEpochGenerator GENERATOR = Generators.timeBasedEpochGenerator();
  private static long lastMillis;

  private EventIds() {}

  /** A new, unique, time-ordered event id in canonical text form. */
  public static String next() {
    return nextUuid().toString();
  }

  // The generator reads the clock before taking its lock, so two threads can make it go back in time and
  // reseed; reading the clock here, under one lock, and never going backwards keeps the ids increasing.
  private static synchronized java.util.UUID nextUuid() {
    long now = Math.max(System.currentTimeMillis(), lastMillis);
    lastMillis = now;
    return GENERATOR.construct(now);
  }
}
