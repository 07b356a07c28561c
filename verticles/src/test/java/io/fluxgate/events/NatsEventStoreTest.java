package io.fluxgate.events;

import io.fluxgate.sql.DatabaseConfig;
import io.fluxgate.testing.TestStores;

/** The durable-consumer contract on the real NATS JetStream, each test under its own stream prefix. */
class NatsEventStoreTest extends EventStoreContract {

  @Override
  DatabaseConfig database() {
    return TestStores.h2();
  }

  @Override
  EventStoreConfig events() {
    return TestStores.events("nats", TestStores.NATS_URL);
  }
}
