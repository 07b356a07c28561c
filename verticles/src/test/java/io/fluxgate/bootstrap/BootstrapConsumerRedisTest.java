package io.fluxgate.bootstrap;

/** Bootstrap consuming the things stream, on Redis Streams (the state on H2). */
class BootstrapConsumerRedisTest extends BootstrapConsumerContract {

  @Override
  BootstrapPlatform.Backend backend() {
    return BootstrapPlatform.Backend.redis();
  }
}
