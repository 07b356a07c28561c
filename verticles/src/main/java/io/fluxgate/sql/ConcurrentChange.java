package io.fluxgate.sql;

/** Someone else changed a row between our read and our write (its revision moved on). */
public final class ConcurrentChange extends RuntimeException {

  public ConcurrentChange(String what) {
    super(what + " was changed concurrently", null, false, false);
  }
}
