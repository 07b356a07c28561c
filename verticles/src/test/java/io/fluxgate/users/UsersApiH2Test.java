package io.fluxgate.users;

import io.fluxgate.testing.StoreBackend;

/** The users API on embedded H2. */
class UsersApiH2Test extends UsersApiContract {

  @Override
  StoreBackend backend() {
    return StoreBackend.SQL_ON_H2;
  }
}
