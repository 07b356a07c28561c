package io.fluxgate.events;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.testing.StoreBackend;

/** The interceptor on the SQL store in the real PostgreSQL. */
class SqlPostgresEventInterceptorTest extends EventInterceptorContract {

  @Override
  StoreBackend backend() {
    return StoreBackend.SQL_ON_POSTGRES;
  }

  @Override
  boolean storeHolds(DomainEvent event) throws Exception {
    return SqlProbe.holds(fx, event);
  }
}
