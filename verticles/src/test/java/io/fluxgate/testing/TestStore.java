package io.fluxgate.testing;

import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.sql.DatabaseConfig;
import java.util.Map;

/**
 * A store the contract suites run against. The built-in ones are {@link StoreBackend}'s constants; a new store runs
 * {@code EventStoreContract} with one test class whose {@code backend()} answers its own implementation of this.
 */
public interface TestStore {

  /** Its {@code es.type}, as its provider registers it. */
  String type();

  /** The shared server's URL ({@code es.url}); empty when the events sit in the state database. */
  String url();

  /** The state database the tests use beside it. */
  DatabaseConfig database();

  /** The store's settings at {@code url}, with {@code overrides} ({@code FG_ES_*} variables) on top. */
  default EventStoreConfig events(String url, Map<String, String> overrides) {
    return TestStores.events(type(), url, overrides);
  }

  default EventStoreConfig events() {
    return events(url(), Map.of());
  }

  /** Whether the events travel over a TCP connection of the store's own that a proxy can stand in. */
  default boolean hasServer() {
    return !url().isEmpty();
  }

  /** Removes what a test under {@code config}'s prefix left on the shared server (which outlives the tests). */
  void purge(EventStoreConfig config);
}
