package io.fluxgate.bootstrap;

/** Bootstrap consuming the things stream, on embedded H2 with the SQL event store. */
class BootstrapConsumerH2Test extends BootstrapConsumerContract {

  @Override
  BootstrapPlatform.Backend backend() {
    return BootstrapPlatform.Backend.h2();
  }
}
