package io.fluxgate.events.fold;

/** A typed event that changes one entity: which entity (its key) and the entity's revision after the change. */
public interface EntityChange {

  /** The entity's key: its id, or for a pair its two ids joined by {@code /}. */
  String key();

  /** The entity's revision after this change. */
  long revision();

  /** Whether the entity is gone after this change. */
  default boolean removes() {
    return false;
  }
}
