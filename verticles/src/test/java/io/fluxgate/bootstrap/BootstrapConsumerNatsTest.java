package io.fluxgate.bootstrap;

/** Bootstrap consuming the things stream, on NATS JetStream (the state on H2). */
class BootstrapConsumerNatsTest extends BootstrapConsumerContract {

  @Override
  BootstrapPlatform.Backend backend() {
    return BootstrapPlatform.Backend.nats();
  }
}
