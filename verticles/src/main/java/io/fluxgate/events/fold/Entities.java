package io.fluxgate.events.fold;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

/**
 * The entities of one aggregate, each folded from its events in revision order: an event whose revision is not newer
 * than the entity's is ignored, so stale duplicates and reordered deliveries are harmless. A removed entity leaves a
 * tombstone with its last revision, so an older event arriving after the removal cannot bring it back.
 *
 * <p>Not thread-safe: one context owns it.
 */
public final class Entities<S, E extends EntityChange> {

  /** An entity's state (null once removed) and the revision of the last change applied. */
  private record Versioned<S>(long revision, S state) {}

  private final BiFunction<S, E, S> evolve;
  private final Map<String, Versioned<S>> byKey = new HashMap<>();
  /** Whether an event ahead of its entity's next revision waits for the ones before it (replay), or is applied. */
  private final boolean holdAhead;
  private final Map<String, java.util.TreeMap<Long, E>> ahead = new HashMap<>();
  private int live;
  /** Whether the last event applied skipped revisions this fold never saw (see {@link #skippedRevisions()}). */
  private boolean skipped;

  /** {@code evolve} is the aggregate's rule: the state after an event, given the state before (null if none). */
  public Entities(BiFunction<S, E, S> evolve) {
    this(evolve, false);
  }

  /**
   * With {@code holdAhead} (a replay, which reads the whole log): an event more than one revision ahead of its entity
   * waits until the revisions before it have been applied, since a store outage can store an update before its
   * create; {@link #flush()} applies whatever still waits at the end.
   */
  public Entities(BiFunction<S, E, S> evolve, boolean holdAhead) {
    this.evolve = evolve;
    this.holdAhead = holdAhead;
  }

  /** Applies {@code event} if it is newer than what the entity holds; answers whether it did (now). */
  public boolean apply(E event) {
    Versioned<S> before = byKey.get(event.key());
    long held = before == null ? 0 : before.revision();
    if (event.revision() <= held) {
      return false;
    }
    if (holdAhead && event.revision() > held + 1) {
      ahead.computeIfAbsent(event.key(), k -> new java.util.TreeMap<>()).putIfAbsent(event.revision(), event);
      return false;
    }
    skipped = event.revision() > held + 1;
    applyNow(before, event);
    if (holdAhead && ahead.containsKey(event.key())) {
      applyWaiting(event.key(), false);
    }
    return true;
  }

  /** Applies, in revision order, the events still waiting for an earlier revision that never came; answers how many. */
  public int flush() {
    int applied = 0;
    for (String key : List.copyOf(ahead.keySet())) {
      applied += applyWaiting(key, true);
    }
    return applied;
  }

  private int applyWaiting(String key, boolean acrossGaps) {
    java.util.TreeMap<Long, E> waiting = ahead.get(key);
    int applied = 0;
    while (!waiting.isEmpty()) {
      Versioned<S> now = byKey.get(key);
      long held = now == null ? 0 : now.revision();
      long next = waiting.firstKey();
      if (next <= held) {
        waiting.pollFirstEntry();
      } else if (next == held + 1 || acrossGaps) {
        applyNow(now, waiting.pollFirstEntry().getValue());
        applied++;
      } else {
        return applied;
      }
    }
    ahead.remove(key);
    return applied;
  }

  private void applyNow(Versioned<S> before, E event) {
    S after = event.removes() ? null : evolve.apply(before == null ? null : before.state(), event);
    put(event.key(), before, new Versioned<>(event.revision(), after));
  }

  /** Starts an entity from a state read elsewhere (the database), unless a newer revision is held already. */
  public void seed(String key, long revision, S state) {
    Versioned<S> before = byKey.get(key);
    if (before == null || revision > before.revision()) {
      put(key, before, new Versioned<>(revision, state));
    }
  }

  /**
   * Whether the last event {@link #apply applied} came more than one revision after what the entity held: the changes
   * in between are not in its state (a live consumer saw the newer event first) and a late one will be ignored as
   * stale, so a live consumer that needs them reads the entity again and {@link #replace replaces} it.
   */
  public boolean skippedRevisions() {
    return skipped;
  }

  /** Replaces an entity with a state read elsewhere (the database) at {@code revision}, unless a newer one is held. */
  public void replace(String key, long revision, S state) {
    Versioned<S> before = byKey.get(key);
    if (before == null || revision >= before.revision()) {
      put(key, before, new Versioned<>(revision, state));
    }
  }

  /** Completes an entity's state with facts derived from other entities, keeping its revision. */
  public void complete(String key, UnaryOperator<S> completion) {
    Versioned<S> held = byKey.get(key);
    if (held != null && held.state() != null) {
      byKey.put(key, new Versioned<>(held.revision(), completion.apply(held.state())));
    }
  }

  private void put(String key, Versioned<S> before, Versioned<S> after) {
    live += (after.state() == null ? 0 : 1) - (before == null || before.state() == null ? 0 : 1);
    byKey.put(key, after);
  }

  /** The entity's current state, or null if it never existed or was removed. */
  public S get(String key) {
    Versioned<S> held = byKey.get(key);
    return held == null ? null : held.state();
  }

  /** The revision of the last change applied to the entity (0 if none). */
  public long revision(String key) {
    Versioned<S> held = byKey.get(key);
    return held == null ? 0 : held.revision();
  }

  /** Every entity that exists now, by key. */
  public Map<String, S> current() {
    Map<String, S> all = new HashMap<>(live * 2);
    byKey.forEach((key, held) -> {
      if (held.state() != null) {
        all.put(key, held.state());
      }
    });
    return Collections.unmodifiableMap(all);
  }

  /** How many entities exist now. */
  public int size() {
    return live;
  }
}
