package io.fluxgate.events;

import io.fluxgate.testing.StoreBackend;

/** The durable-consumer contract on the SQL store in embedded H2. */
class SqlH2EventStoreTest extends EventStoreContract {

  @Override
  StoreBackend backend() {
    return StoreBackend.SQL_ON_H2;
  }
}
