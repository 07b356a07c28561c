package io.fluxgate.events;

import io.fluxgate.testing.PrivateRedisServer;
import io.fluxgate.testing.PrivateServer;
import io.fluxgate.testing.StoreBackend;

/** The outage contract on a redis-server with an append-only file of the test's own. */
class RedisStoreOutageTest extends StoreOutageContract {

  @Override
  StoreBackend backend() {
    return StoreBackend.REDIS;
  }

  @Override
  PrivateServer startServer() throws Exception {
    return new PrivateRedisServer(null).persistent().start();
  }
}
