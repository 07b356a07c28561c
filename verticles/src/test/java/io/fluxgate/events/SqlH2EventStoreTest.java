package io.fluxgate.events;

import io.fluxgate.sql.DatabaseConfig;
import io.fluxgate.testing.TestStores;

/** The durable-consumer contract on the SQL store in embedded H2. */
class SqlH2EventStoreTest extends EventStoreContract {

  @Override
  DatabaseConfig database() {
    return TestStores.h2();
  }

  @Override
  EventStoreConfig events() {
    return TestStores.events("sql", "");
  }
}
