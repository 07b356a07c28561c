package io.fluxgate.testing;

import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.sql.DatabaseConfig;
import java.util.Map;

/** The real state database and event store a contract test runs against. */
public enum StoreBackend {
  SQL_ON_H2,
  SQL_ON_POSTGRES,
  NATS,
  REDIS,
  RABBITMQ;

  public DatabaseConfig database() {
    return this == SQL_ON_POSTGRES ? TestStores.postgres() : TestStores.h2();
  }

  public EventStoreConfig events() {
    return events(url(), Map.of());
  }

  /** The shared server's URL ({@code es.url}); empty for SQL, whose events sit in the state database. */
  public String url() {
    return switch (this) {
      case NATS -> TestStores.NATS_URL;
      case REDIS -> TestStores.REDIS_URL;
      case RABBITMQ -> TestStores.RABBITMQ_URL;
      default -> "";
    };
  }

  /** Whether the events travel over a TCP connection of the store's own that a proxy can stand in. */
  public boolean hasServer() {
    return !url().isEmpty();
  }

  public String type() {
    return switch (this) {
      case NATS -> "nats";
      case REDIS -> "redis";
      case RABBITMQ -> "rabbitmq";
      default -> "sql";
    };
  }

  /** The store's settings at {@code url}, with {@code overrides} ({@code FG_ES_*} variables) on top. */
  public EventStoreConfig events(String url, Map<String, String> overrides) {
    return TestStores.events(type(), url, overrides);
  }

  /**
   * Settings that hand a dead consumer instance's unacknowledged events to the next one within seconds, for crash
   * tests (each store reads its own; the others ignore them).
   */
  public static Map<String, String> quickTakeOver() {
    return Map.of("FG_ES_REDIS_CLAIM_IDLE", "1s", "FG_ES_NATS_ACK_WAIT", "2s");
  }
}
