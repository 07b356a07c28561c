package io.fluxgate.events;

import io.fluxgate.testing.StoreBackend;

/** The durable-consumer contract on the SQL store in the real PostgreSQL. */
class SqlPostgresEventStoreTest extends EventStoreContract {

  @Override
  StoreBackend backend() {
    return StoreBackend.SQL_ON_POSTGRES;
  }
}
