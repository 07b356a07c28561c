package io.fluxgate.events;

import io.fluxgate.testing.StoreBackend;

/** The durable-consumer contract on the real RabbitMQ, each test under its own stream prefix (queues deleted after). */
class RabbitEventStoreTest extends EventStoreContract {

  @Override
  StoreBackend backend() {
    return StoreBackend.RABBITMQ;
  }
}
