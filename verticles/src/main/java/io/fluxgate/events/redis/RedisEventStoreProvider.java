package io.fluxgate.events.redis;

import io.fluxgate.config.ConfigSection;
import io.fluxgate.events.EventStore;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.events.EventStoreProvider;
import io.fluxgate.sql.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** {@code es.type redis}: Redis Streams. */
public final class RedisEventStoreProvider implements EventStoreProvider {

  @Override
  public String type() {
    return "redis";
  }

  @Override
  public Settings settings(ConfigSection es) {
    return RedisSettings.from(es);
  }

  @Override
  public Future<EventStore> open(Vertx vertx, EventStoreConfig config, Database db) {
    return RedisEventStore.open(vertx, config);
  }
}
