package io.fluxgate.codecs;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.TimeBasedEpochGenerator;

/** Event ids: version 7 UUIDs, ordered by time and increasing within one JVM. */
public final class EventIds {

  private static final TimeBasedEpochGenerator GENERATOR = Generators.timeBasedEpochGenerator();

  private EventIds() {}

  /** A new, unique, time-ordered event id in canonical text form. */
  public static String next() {
    return GENERATOR.generate().toString();
  }
}
