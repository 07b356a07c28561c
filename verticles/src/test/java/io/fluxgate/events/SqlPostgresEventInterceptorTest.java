package io.fluxgate.events;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.sql.DatabaseConfig;
import io.fluxgate.testing.TestStores;

/** The interceptor on the SQL store in the real PostgreSQL. */
class SqlPostgresEventInterceptorTest extends EventInterceptorContract {

  @Override
  DatabaseConfig database() {
    return TestStores.postgres();
  }

  @Override
  EventStoreConfig events() {
    return TestStores.events("sql", "");
  }

  @Override
  boolean storeHolds(DomainEvent event) throws Exception {
    return SqlProbe.holds(fx, event);
  }
}
