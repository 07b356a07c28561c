package io.fluxgate.events;

import io.fluxgate.sql.DatabaseConfig;
import io.fluxgate.testing.TestStores;

/** The durable-consumer contract on the SQL store in the real PostgreSQL. */
class SqlPostgresEventStoreTest extends EventStoreContract {

  @Override
  DatabaseConfig database() {
    return TestStores.postgres();
  }

  @Override
  EventStoreConfig events() {
    return TestStores.events("sql", "");
  }
}
