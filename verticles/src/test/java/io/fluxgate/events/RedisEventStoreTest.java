package io.fluxgate.events;

import io.fluxgate.testing.StoreBackend;

/** The durable-consumer contract on the real Redis, each test under its own key prefix (deleted afterwards). */
class RedisEventStoreTest extends EventStoreContract {

  @Override
  StoreBackend backend() {
    return StoreBackend.REDIS;
  }
}
