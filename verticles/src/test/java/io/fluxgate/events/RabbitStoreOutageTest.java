package io.fluxgate.events;

import io.fluxgate.testing.PrivateRabbitServer;
import io.fluxgate.testing.PrivateServer;
import io.fluxgate.testing.StoreBackend;

/** The outage contract on a RabbitMQ node of the test's own. */
class RabbitStoreOutageTest extends StoreOutageContract {

  @Override
  StoreBackend backend() {
    return StoreBackend.RABBITMQ;
  }

  @Override
  PrivateServer startServer() throws Exception {
    return new PrivateRabbitServer().start();
  }
}
