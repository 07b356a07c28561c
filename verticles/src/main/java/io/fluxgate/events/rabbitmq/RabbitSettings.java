package io.fluxgate.events.rabbitmq;

import io.fluxgate.config.ConfigException;
import io.fluxgate.config.ConfigSection;
import io.fluxgate.config.UrlCredentials;
import io.fluxgate.events.EventStoreProvider;

/**
 * The settings only the RabbitMQ store reads.
 *
 * @param url {@code es.url}: {@code amqp://user:password@host:port/vhost}, or {@code amqps://} for TLS
 * @param exchange {@code es.rabbitmq_exchange}: the durable topic exchange events are published to
 * @param prefetch {@code es.rabbitmq_prefetch}: how many messages a stream consumer may hold unacknowledged
 * @param tlsCa {@code es.rabbitmq_tls_ca}: a PEM file of the certificates that an {@code amqps://} broker's
 *     certificate must chain to; empty for the JVM's trust store
 */
public record RabbitSettings(String url, String exchange, int prefetch, String tlsCa)
    implements EventStoreProvider.Settings {

  static final String DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/%2f";

  static RabbitSettings from(ConfigSection es) {
    String url = es.string("url", DEFAULT_URL);
    if (url.isEmpty()) {
      url = DEFAULT_URL;
    }
    if (!url.matches("amqps?://([^@/]*@)?[^@/:]+(:\\d+)?(/[^/?#]*)?")) {
      throw new ConfigException("invalid configuration es.url (" + es.variable("url") + ") = '"
          + UrlCredentials.hide(url) + "': expected amqp://user:password@host:port/vhost or amqps://... for es.type"
          + " rabbitmq");
    }
    String exchange = es.string("rabbitmq_exchange", "events");
    if (!exchange.matches("[A-Za-z0-9_.:-]+")) {
      throw new ConfigException("invalid configuration es.rabbitmq_exchange (" + es.variable("rabbitmq_exchange")
          + ") = '" + exchange + "': expected letters, digits, '.', '_', ':' or '-'");
    }
    String tlsCa = es.string("rabbitmq_tls_ca", "");
    if (!tlsCa.isEmpty() && !java.nio.file.Files.isReadable(java.nio.file.Path.of(tlsCa))) {
      throw new ConfigException("invalid configuration es.rabbitmq_tls_ca (" + es.variable("rabbitmq_tls_ca")
          + ") = '" + tlsCa + "': expected a readable PEM file of CA certificates");
    }
    return new RabbitSettings(url, exchange, es.integer("rabbitmq_prefetch", 256, 1, 65_535), tlsCa);
  }

  @Override
  public String describe() {
    return UrlCredentials.hide(url);
  }
}
