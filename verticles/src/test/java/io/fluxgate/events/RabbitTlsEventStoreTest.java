package io.fluxgate.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.config.ConfigException;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.PrivateRabbitServer;
import io.fluxgate.testing.StoreBackend;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The durable-consumer contract on RabbitMQ over TLS ({@code amqps://}): a private broker serving AMQP over TLS
 * with a certificate made for the test, trusted through {@code es.rabbitmq_tls_ca}.
 */
class RabbitTlsEventStoreTest extends EventStoreContract {

  private static PrivateRabbitServer server;

  @BeforeAll
  static void startTlsServer() throws Exception {
    server = new PrivateRabbitServer().tls().start();
  }

  @AfterAll
  static void stopTlsServer() throws Exception {
    server.close();
  }

  @Override
  StoreBackend backend() {
    return StoreBackend.RABBITMQ;
  }

  @Override
  String storeUrl() {
    return server.url();
  }

  @Override
  EventStoreConfig events(String url, Map<String, String> overrides) {
    Map<String, String> withCa = new HashMap<>(overrides);
    withCa.put("FG_ES_RABBITMQ_TLS_CA", server.caFile().toString());
    return backend().events(url, withCa);
  }

  @Test
  void aBrokerWhoseCertificateIsNotTrustedIsRefusedNamingTheSetting() {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      Throwable refused = Await.failure(EventStores.open(vertx, backend().events(server.url(), Map.of()), null));
      assertThat(refused).isInstanceOf(ConfigException.class).hasMessageContaining("es.url");
    } finally {
      Await.result(vertx.close());
    }
  }
}
