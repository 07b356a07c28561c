package io.fluxgate.events;

import io.fluxgate.testing.StoreBackend;

/** The durable-consumer contract on the real NATS JetStream, each test under its own stream prefix. */
class NatsEventStoreTest extends EventStoreContract {

  @Override
  StoreBackend backend() {
    return StoreBackend.NATS;
  }

  @Override
  boolean keepsStreamOrderAcrossACrash() {
    return false;
  }
}
