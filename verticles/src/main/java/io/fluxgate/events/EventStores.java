package io.fluxgate.events;

import io.fluxgate.config.ConfigException;
import io.fluxgate.sql.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.ServiceLoader;

/** Finds the event store that {@code es.type} names among the providers on the class path. */
public final class EventStores {

  private static final List<EventStoreProvider> PROVIDERS = ServiceLoader.load(EventStoreProvider.class).stream()
      .map(ServiceLoader.Provider::get).toList();

  private EventStores() {}

  /** The provider of {@code type}, or a configuration error listing the known types. */
  public static EventStoreProvider provider(String type, String variable) {
    return PROVIDERS.stream().filter(p -> p.type().equals(type)).findFirst().orElseThrow(() -> new ConfigException(
        "invalid configuration es.type (" + variable + ") = '" + type + "': expected one of " + String.join(", ", types())));
  }

  /** The store types this build knows, in the order of the class path's provider lists. */
  public static List<String> types() {
    return PROVIDERS.stream().map(EventStoreProvider::type).toList();
  }

  /** Whether the store {@code config} names keeps its log in the state database. */
  public static boolean usesStateDatabase(EventStoreConfig config) {
    return provider(config.type(), "FG_ES_TYPE").usesStateDatabase();
  }

  public static Future<EventStore> open(Vertx vertx, EventStoreConfig config, Database db) {
    return provider(config.type(), "FG_ES_TYPE").open(vertx, config, db);
  }
}
