package io.fluxgate.events.nats;

import io.fluxgate.config.ConfigException;
import io.fluxgate.config.ConfigSection;
import io.fluxgate.config.UrlCredentials;
import io.fluxgate.events.EventStoreProvider;
import java.time.Duration;

/**
 * The settings only the NATS JetStream store reads.
 *
 * @param url {@code es.url}: {@code nats://host:port} or {@code tls://host:port}
 * @param stream {@code es.nats_stream}: the JetStream stream that holds subjects {@code events.>}
 * @param duplicateWindow {@code es.nats_duplicate_window}: how long JetStream drops a repeated {@code Nats-Msg-Id}
 * @param ackWait {@code es.nats_ack_wait}: how long JetStream waits for a durable consumer's acknowledgement before
 *     it delivers the message again; messages a consumer holds are kept alive with in-progress acknowledgements
 */
public record NatsSettings(String url, String stream, Duration duplicateWindow, Duration ackWait)
    implements EventStoreProvider.Settings {

  static NatsSettings from(ConfigSection es) {
    String url = es.string("url", "nats://127.0.0.1:4222");
    if (url.isEmpty()) {
      url = "nats://127.0.0.1:4222";
    }
    if (!url.startsWith("nats://") && !url.startsWith("tls://")) {
      throw new ConfigException("invalid configuration es.url (" + es.variable("url") + ") = '" + UrlCredentials.hide(url)
          + "': expected nats://host:port for es.type nats");
    }
    return new NatsSettings(url, es.string("nats_stream", "events"),
        es.duration("nats_duplicate_window", Duration.ofMinutes(2)), es.duration("nats_ack_wait", Duration.ofSeconds(60)));
  }

  @Override
  public String describe() {
    return UrlCredentials.hide(url);
  }
}
