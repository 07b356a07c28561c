package io.fluxgate.events;

import io.fluxgate.testing.PrivateRedisServer;
import io.fluxgate.testing.StoreBackend;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The durable-consumer contract on Redis over TLS ({@code rediss://}): a private redis-server serving TLS only with
 * a certificate made for the test, trusted through {@code es.redis_tls_ca}.
 */
class RedisTlsEventStoreTest extends EventStoreContract {

  private static PrivateRedisServer server;

  @BeforeAll
  static void startTlsServer() throws Exception {
    server = new PrivateRedisServer(null).tls().start();
  }

  @AfterAll
  static void stopTlsServer() throws Exception {
    server.close();
  }

  @Override
  StoreBackend backend() {
    return StoreBackend.REDIS;
  }

  @Override
  String storeUrl() {
    return server.url();
  }

  @Override
  io.fluxgate.events.EventStoreConfig events(String url, Map<String, String> overrides) {
    Map<String, String> withCa = new HashMap<>(overrides);
    withCa.put("FG_ES_REDIS_TLS_CA", server.caFile().toString());
    return backend().events(url, withCa);
  }
}
