package io.fluxgate.testing;

import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.sql.DatabaseConfig;
import java.util.Map;

/** The real state database and event store a contract test runs against. */
public enum StoreBackend implements TestStore {
  SQL_ON_H2,
  SQL_ON_POSTGRES,
  NATS,
  REDIS,
  RABBITMQ;

  @Override
  public DatabaseConfig database() {
    return this == SQL_ON_POSTGRES ? TestStores.postgres() : TestStores.h2();
  }

  /** The shared server's URL ({@code es.url}); empty for SQL, whose events sit in the state database. */
  @Override
  public String url() {
    return switch (this) {
      case NATS -> TestStores.NATS_URL;
      case REDIS -> TestStores.REDIS_URL;
      case RABBITMQ -> TestStores.RABBITMQ_URL;
      default -> "";
    };
  }

  @Override
  public String type() {
    return switch (this) {
      case NATS -> "nats";
      case REDIS -> "redis";
      case RABBITMQ -> "rabbitmq";
      default -> "sql";
    };
  }

  @Override
  public void purge(EventStoreConfig config) {
    switch (this) {
      case NATS -> TestStores.purgeNats(config);
      case REDIS -> TestStores.purgeRedis(config);
      case RABBITMQ -> TestStores.purgeRabbit(config);
      default -> { } // SQL: the events sit in the test's own database, dropped with it
    }
  }

  /** The built-in store of {@code type}, if it is one. */
  public static java.util.Optional<StoreBackend> ofType(String type) {
    return java.util.Arrays.stream(values()).filter(b -> b.type().equals(type)).findFirst();
  }

  /**
   * Settings that hand a dead consumer instance's unacknowledged events to the next one within seconds, for crash
   * tests (each store reads its own; the others ignore them).
   */
  public static Map<String, String> quickTakeOver() {
    return Map.of("FG_ES_REDIS_CLAIM_IDLE", "1s", "FG_ES_NATS_ACK_WAIT", "2s");
  }
}
