package io.fluxgate.events;

import io.fluxgate.config.ConfigException;
import io.fluxgate.config.ConfigSection;
import io.fluxgate.config.ConfigTree;
import io.fluxgate.config.UrlCredentials;
import java.time.Duration;


/**
 * The event store and the delivery rules around it, from the {@code es} section ({@code FG_ES_*}).
 *
 * @param type the store's kind ({@code sql}, {@code nats}, ...), as its {@link EventStoreProvider} names it
 * @param url the store's URL; empty for sql, which uses the state database
 * @param prefix the prefix of stream names, e.g. {@code fluxgate} gives {@code fluxgate.things}
 * @param maxAge how long the store keeps events; zero keeps them until {@code maxBytes} says otherwise
 * @param maxBytes the size the store may grow to; -1 is unbounded
 * @param maxAttempts how often a durable consumer's handler is tried before the event is dead-lettered
 * @param retryBackoff the first pause between attempts; each further pause doubles, up to 30 seconds
 * @param appendTimeout how long an append may wait for the store's acknowledgement
 * @param relayInterval how often the outbox relay looks for events the store has not acknowledged
 * @param relayDelay how old an outbox row must be before the relay takes it (younger ones are still in flight)
 * @param retryBuffer how many direct (non-outbox) events wait for a store that is down before the oldest go
 * @param pollInterval how often the SQL store's consumers look for new events written by other nodes
 * @param readEvents whether reads ({@code *.view}, {@code *.list}, ...) emit events
 * @param maxEventBytes the largest event a command may record; a larger one is refused before commit (413)
 * @param maxPending how many events the interceptor holds in memory waiting for the store, counting those still being
 *     handed to its context; beyond it an outbox event is left to the relay and a direct event goes to the retry buffer
 * @param store the settings only the chosen store reads, parsed by its provider
 */
public record EventStoreConfig(
    String type,
    String url,
    String prefix,
    Duration maxAge,
    long maxBytes,
    int maxAttempts,
    Duration retryBackoff,
    Duration appendTimeout,
    Duration relayInterval,
    Duration relayDelay,
    int retryBuffer,
    Duration pollInterval,
    boolean readEvents,
    int maxEventBytes,
    int maxPending,
    EventStoreProvider.Settings store) {

  public static EventStoreConfig from(ConfigTree tree) {
    ConfigSection es = tree.section("es");
    String type = es.string("type", "sql");
    EventStoreProvider.Settings store = EventStores.provider(type, es.variable("type")).settings(es);
    String prefix = es.string("prefix", "fluxgate");
    if (!prefix.matches("[A-Za-z0-9_-]+")) {
      throw new ConfigException("invalid configuration es.prefix (" + es.variable("prefix") + ") = '" + prefix
          + "': expected letters, digits, '_' or '-' (it becomes part of subjects and keys)");
    }
    return new EventStoreConfig(
        type,
        es.string("url", ""),
        prefix,
        es.duration("max_age", Duration.ZERO),
        es.integer("max_bytes", -1, -1, Integer.MAX_VALUE),
        es.integer("max_attempts", 5, 1, 1000),
        es.duration("retry_backoff", Duration.ofMillis(200)),
        es.duration("append_timeout", Duration.ofSeconds(5)),
        es.duration("relay_interval", Duration.ofSeconds(1)),
        es.duration("relay_delay", Duration.ofSeconds(2)),
        es.integer("retry_buffer", 10_000, 0, 10_000_000),
        es.duration("poll_interval", Duration.ofMillis(250)),
        es.bool("read_events", true),
        es.integer("max_event_bytes", Outbox.DEFAULT_MAX_EVENT_BYTES, 1024, Integer.MAX_VALUE),
        es.integer("max_pending", 20_000, 1, 10_000_000),
        store);
  }

  /** The pause before attempt {@code attempt + 1} (attempt counts from 1). */
  public Duration backoff(int attempt) {
    long millis = retryBackoff.toMillis() << Math.min(attempt - 1, 20);
    return Duration.ofMillis(Math.min(millis, 30_000));
  }
}
