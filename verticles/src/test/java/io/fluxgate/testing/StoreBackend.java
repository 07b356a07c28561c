package io.fluxgate.testing;

import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.sql.DatabaseConfig;

/** The real state database and event store a contract test runs against. */
public enum StoreBackend {
  SQL_ON_H2,
  SQL_ON_POSTGRES,
  NATS,
  REDIS,
  RABBITMQ;

  public DatabaseConfig database() {
    return this == SQL_ON_POSTGRES ? TestStores.postgres() : TestStores.h2();
  }

  public EventStoreConfig events() {
    return switch (this) {
      case NATS -> TestStores.events("nats", TestStores.NATS_URL);
      case REDIS -> TestStores.events("redis", TestStores.REDIS_URL);
      case RABBITMQ -> TestStores.events("rabbitmq", TestStores.RABBITMQ_URL);
      default -> TestStores.events("sql", "");
    };
  }
}
