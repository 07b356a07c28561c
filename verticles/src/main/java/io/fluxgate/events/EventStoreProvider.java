package io.fluxgate.events;

import io.fluxgate.config.ConfigSection;
import io.fluxgate.sql.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * One kind of event store, found by {@link java.util.ServiceLoader} under its {@code es.type}: a new store is a
 * package with its class, its settings and this provider, listed in
 * {@code META-INF/services/io.fluxgate.events.EventStoreProvider}; the core names none of them.
 */
public interface EventStoreProvider {

  /** The {@code es.type} that selects this store. */
  String type();

  /**
   * Reads this store's own settings from the {@code es} section (its URL among them), failing with a
   * {@link io.fluxgate.config.ConfigException} that names the bad setting; called when the configuration loads.
   */
  Settings settings(ConfigSection es);

  /**
   * Whether the store keeps its log in the state database, so that a tool reading the log (tail, replay) opens the
   * database for it; the node opens the database anyway.
   */
  default boolean usesStateDatabase() {
    return false;
  }

  /** Connects to the store (creating what it needs there) with {@code config}, whose settings this provider read. */
  Future<EventStore> open(Vertx vertx, EventStoreConfig config, Database db);

  /** A store's own settings; the store casts them back to its type. */
  interface Settings {
    /** The store's URL with any password blanked, for messages and logs. */
    String describe();
  }
}
