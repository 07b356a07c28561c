package io.fluxgate.events.nats;

import io.fluxgate.config.ConfigSection;
import io.fluxgate.events.EventStore;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.events.EventStoreProvider;
import io.fluxgate.sql.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** {@code es.type nats}: NATS JetStream. */
public final class NatsEventStoreProvider implements EventStoreProvider {

  @Override
  public String type() {
    return "nats";
  }

  @Override
  public Settings settings(ConfigSection es) {
    return NatsSettings.from(es);
  }

  @Override
  public Future<EventStore> open(Vertx vertx, EventStoreConfig config, Database db) {
    return NatsEventStore.open(vertx, config);
  }
}
