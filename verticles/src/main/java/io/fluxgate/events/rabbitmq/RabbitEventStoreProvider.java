package io.fluxgate.events.rabbitmq;

import io.fluxgate.config.ConfigSection;
import io.fluxgate.events.EventStore;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.events.EventStoreProvider;
import io.fluxgate.sql.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** {@code es.type rabbitmq}: RabbitMQ, a topic exchange with a stream queue per stream. */
public final class RabbitEventStoreProvider implements EventStoreProvider {

  @Override
  public String type() {
    return "rabbitmq";
  }

  @Override
  public Settings settings(ConfigSection es) {
    return RabbitSettings.from(es);
  }

  @Override
  public Future<EventStore> open(Vertx vertx, EventStoreConfig config, Database db) {
    return RabbitEventStore.open(vertx, config, db);
  }
}
