package io.fluxgate.events;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.testing.StoreBackend;

/** The interceptor on the SQL store in embedded H2. */
class SqlH2EventInterceptorTest extends EventInterceptorContract {

  @Override
  StoreBackend backend() {
    return StoreBackend.SQL_ON_H2;
  }

  @Override
  boolean storeHolds(DomainEvent event) throws Exception {
    return SqlProbe.holds(fx, event);
  }
}

/**
 * Looks an event up in the SQL store's table over a plain JDBC connection of its own, so the answer does not
 * depend on the event loop the caller blocks.
 */
final class SqlProbe {

  private SqlProbe() {}

  static boolean holds(io.fluxgate.testing.EventLogFixture fx, DomainEvent event) throws Exception {
    try (var conn = io.fluxgate.testing.TestStores.jdbc(fx.dbConfig);
        var query = conn.prepareStatement("SELECT COUNT(*) FROM events WHERE event_id = ?")) {
      query.setString(1, event.eventId());
      try (var rows = query.executeQuery()) {
        rows.next();
        return rows.getLong(1) == 1L;
      }
    }
  }
}
