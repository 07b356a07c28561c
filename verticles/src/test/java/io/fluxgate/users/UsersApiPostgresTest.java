package io.fluxgate.users;

import io.fluxgate.testing.StoreBackend;

/** The users API on the real PostgreSQL. */
class UsersApiPostgresTest extends UsersApiContract {

  @Override
  StoreBackend backend() {
    return StoreBackend.SQL_ON_POSTGRES;
  }
}
