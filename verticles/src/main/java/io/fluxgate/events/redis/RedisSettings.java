package io.fluxgate.events.redis;

import io.fluxgate.config.ConfigException;
import io.fluxgate.config.ConfigSection;
import io.fluxgate.config.UrlCredentials;
import io.fluxgate.events.EventStoreProvider;
import java.time.Duration;

/**
 * The settings only the Redis Streams store reads.
 *
 * @param url {@code es.url}: {@code redis://[:password@]host:port[/db]}, or {@code rediss://} for TLS
 * @param maxLen {@code es.redis_max_len}: the approximate length ({@code XADD MAXLEN ~}) each stream is trimmed
 *     to; 0 keeps every event
 * @param dedupTtl {@code es.redis_dedup_ttl}: how long the key that remembers an {@code event_id} lives; 0 keeps it
 *     for ever, so a duplicate is dropped after any delay
 * @param claimIdle {@code es.redis_claim_idle}: how long an entry read by a consumer instance may stay
 *     unacknowledged before another instance of the same consumer takes it over ({@code XAUTOCLAIM})
 * @param tlsCa {@code es.redis_tls_ca}: a PEM file of the certificates that a {@code rediss://} server's certificate
 *     must chain to; empty trusts the JVM's default trust store
 */
public record RedisSettings(String url, long maxLen, Duration dedupTtl, Duration claimIdle, String tlsCa)
    implements EventStoreProvider.Settings {

  static final String DEFAULT_URL = "redis://127.0.0.1:6379";

  static RedisSettings from(ConfigSection es) {
    String url = es.string("url", DEFAULT_URL);
    if (url.isEmpty()) {
      url = DEFAULT_URL;
    }
    if (!url.matches("rediss?://([^@/]*@)?[^@/:]+(:\\d+)?(/\\d+)?")) {
      throw new ConfigException("invalid configuration es.url (" + es.variable("url") + ") = '" + hide(url)
          + "': expected redis://[:password@]host:port[/db] or rediss://... for es.type redis");
    }
    int maxLen = es.integer("redis_max_len", 0, 0, Integer.MAX_VALUE);
    Duration dedupTtl = es.duration("redis_dedup_ttl", Duration.ZERO);
    if (!dedupTtl.isZero() && dedupTtl.compareTo(Duration.ofMinutes(1)) < 0) {
      throw new ConfigException("invalid configuration es.redis_dedup_ttl (" + es.variable("redis_dedup_ttl")
          + ") = '" + dedupTtl + "': expected 0 (keep for ever) or at least 1m (the outbox relay needs the time)");
    }
    Duration claimIdle = es.duration("redis_claim_idle", Duration.ofSeconds(60));
    if (claimIdle.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ConfigException("invalid configuration es.redis_claim_idle (" + es.variable("redis_claim_idle")
          + ") = '" + claimIdle + "': expected at least 1s");
    }
    String tlsCa = es.string("redis_tls_ca", "");
    if (!tlsCa.isEmpty() && !java.nio.file.Files.isReadable(java.nio.file.Path.of(tlsCa))) {
      throw new ConfigException("invalid configuration es.redis_tls_ca (" + es.variable("redis_tls_ca") + ") = '"
          + tlsCa + "': expected a readable PEM file of CA certificates");
    }
    return new RedisSettings(url, maxLen, dedupTtl, claimIdle, tlsCa);
  }

  /** The URL with its password blanked, also when it has no user name ({@code redis://:secret@host}). */
  static String hide(String url) {
    return UrlCredentials.hide(url);
  }

  /** Whether the URL asks for TLS ({@code rediss://}). */
  public boolean tls() {
    return url.startsWith("rediss://");
  }

  @Override
  public String describe() {
    return hide(url);
  }
}
