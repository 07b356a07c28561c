package io.fluxgate.events;

import io.fluxgate.events.nats.NatsEventStore;
import io.fluxgate.events.sql.SqlEventStore;
import io.fluxgate.sql.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** Opens the event store that the configuration names; a new store is one class and one line here. */
public final class EventStores {

  private EventStores() {}

  public static Future<EventStore> open(Vertx vertx, EventStoreConfig config, Database db) {
    return switch (config.type()) {
      case "sql" -> Future.succeededFuture(new SqlEventStore(vertx, db, config));
      case "nats" -> NatsEventStore.open(vertx, config);
      default -> Future.failedFuture("unknown event store type " + config.type());
    };
  }
}
