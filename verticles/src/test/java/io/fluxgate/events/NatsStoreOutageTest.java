package io.fluxgate.events;

import io.fluxgate.testing.PrivateNatsServer;
import io.fluxgate.testing.PrivateServer;
import io.fluxgate.testing.StoreBackend;

/** The outage contract on a nats-server with JetStream of the test's own. */
class NatsStoreOutageTest extends StoreOutageContract {

  @Override
  StoreBackend backend() {
    return StoreBackend.NATS;
  }

  @Override
  PrivateServer startServer() throws Exception {
    return new PrivateNatsServer().start();
  }
}
