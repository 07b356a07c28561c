package io.fluxgate.bootstrap;

/** The bootstrap API on the real PostgreSQL with the SQL event store. */
class BootstrapApiPostgresTest extends BootstrapApiContract {

  @Override
  BootstrapPlatform.Backend backend() {
    return BootstrapPlatform.Backend.postgres();
  }
}
