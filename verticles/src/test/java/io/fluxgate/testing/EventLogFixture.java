package io.fluxgate.testing;

import io.fluxgate.codecs.Codecs;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.Streams;
import io.fluxgate.events.EventLogVerticle;
import io.fluxgate.events.EventStore;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.sql.Database;
import io.fluxgate.sql.DatabaseConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.function.UnaryOperator;

/** A Vert.x with Fluxgate's codecs, a migrated database and a deployed event log: the event core of one node. */
public final class EventLogFixture implements AutoCloseable {

  public final Vertx vertx;
  public final DatabaseConfig dbConfig;
  public final EventStoreConfig config;
  public final Database db;
  public final EventLogVerticle log;
  private final String deployment;

  private EventLogFixture(Vertx vertx, DatabaseConfig dbConfig, EventStoreConfig config, Database db,
      EventLogVerticle log, String deployment) {
    this.vertx = vertx;
    this.dbConfig = dbConfig;
    this.config = config;
    this.db = db;
    this.log = log;
    this.deployment = deployment;
  }

  public static EventLogFixture start(DatabaseConfig dbConfig, EventStoreConfig config) {
    Vertx vertx = Vertx.vertx();
    Codecs.register(vertx.eventBus());
    return start(vertx, dbConfig, config);
  }

  /** Starts the event core with {@code storeView} between the log and the configured store. */
  public static EventLogFixture start(DatabaseConfig dbConfig, EventStoreConfig config,
      UnaryOperator<EventStore> storeView) {
    Vertx vertx = Vertx.vertx();
    Codecs.register(vertx.eventBus());
    return start(vertx, dbConfig, config, storeView);
  }

  /** Starts the event core on a Vert.x the caller made (for instance a clustered one). */
  public static EventLogFixture start(Vertx vertx, DatabaseConfig dbConfig, EventStoreConfig config) {
    return start(vertx, dbConfig, config, UnaryOperator.identity());
  }

  private static EventLogFixture start(Vertx vertx, DatabaseConfig dbConfig, EventStoreConfig config,
      UnaryOperator<EventStore> storeView) {
    Database db = Await.result(Database.open(vertx, dbConfig));
    EventLogVerticle log = new EventLogVerticle(db, config, storeView);
    String id = Await.result(vertx.deployVerticle(log));
    return new EventLogFixture(vertx, dbConfig, config, db, log, id);
  }

  public EventStore store() {
    return log.store();
  }

  public Streams streams() {
    return new Streams(config.prefix());
  }

  /** A things-stream event numbered {@code n} in its {@code n} field, for order checks. */
  public DomainEvent thingEvent(String operation, int n) {
    return DomainEvent.occurred(streams().things(), operation, "test-node", n + 1L,
        new JsonObject().put("id", "thing-" + n).put("n", n));
  }

  /** Stops the event log (letting outstanding appends finish) without closing the database. */
  public void stopEventLog() {
    Await.result(vertx.undeploy(deployment));
  }

  @Override
  public void close() {
    try {
      if (vertx.deploymentIDs().contains(deployment)) {
        stopEventLog();
      }
      Await.result(db.close());
      Await.result(vertx.close());
    } finally {
      TestStores.dropSchema(dbConfig);
      // A store of a contract test's own is purged by that test (TestStore.purge).
      StoreBackend.ofType(config.type()).ifPresent(store -> store.purge(config));
    }
  }
}
