package io.fluxgate.things;

import io.fluxgate.testing.Await;
import io.fluxgate.testing.StoreBackend;

/** The things API on embedded H2. */
class ThingsApiH2Test extends ThingsApiContract {

  @Override
  StoreBackend backend() {
    return StoreBackend.SQL_ON_H2;
  }

  @Override
  String databaseDump() {
    // H2's SCRIPT statement writes the whole database (schema and rows) as SQL.
    StringBuilder dump = new StringBuilder();
    Await.result(fx.db.inTransaction(conn -> conn.query("SCRIPT").execute()))
        .forEach(row -> dump.append(row.getString(0)).append('\n'));
    return dump.toString();
  }
}
