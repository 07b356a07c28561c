package io.fluxgate.events.sql;

import io.fluxgate.config.ConfigSection;
import io.fluxgate.events.EventStore;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.events.EventStoreProvider;
import io.fluxgate.sql.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** {@code es.type sql}: the log in the state database itself, the embedded default. */
public final class SqlEventStoreProvider implements EventStoreProvider {

  /** The SQL store has no settings of its own: it lives in the state database. */
  private static final Settings IN_STATE_DATABASE = () -> "the state database";

  @Override
  public String type() {
    return "sql";
  }

  @Override
  public boolean usesStateDatabase() {
    return true;
  }

  @Override
  public Settings settings(ConfigSection es) {
    return IN_STATE_DATABASE;
  }

  @Override
  public Future<EventStore> open(Vertx vertx, EventStoreConfig config, Database db) {
    return Future.succeededFuture(new SqlEventStore(vertx, db, config));
  }
}
