package io.fluxgate.bootstrap;

/** Bootstrap consuming the things stream, on PostgreSQL with the SQL event store. */
class BootstrapConsumerPostgresTest extends BootstrapConsumerContract {

  @Override
  BootstrapPlatform.Backend backend() {
    return BootstrapPlatform.Backend.postgres();
  }
}
