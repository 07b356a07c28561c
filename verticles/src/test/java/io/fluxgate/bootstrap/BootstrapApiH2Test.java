package io.fluxgate.bootstrap;

/** The bootstrap API on embedded H2 with the SQL event store. */
class BootstrapApiH2Test extends BootstrapApiContract {

  @Override
  BootstrapPlatform.Backend backend() {
    return BootstrapPlatform.Backend.h2();
  }
}
