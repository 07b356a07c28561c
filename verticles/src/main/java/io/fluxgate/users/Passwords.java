package io.fluxgate.users;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** Salted bcrypt hashes of user secrets, computed on worker threads: they are slow on purpose. */
public final class Passwords {

  private final Vertx vertx;
  private final int cost;
  /** Compared against when the identity is unknown, so that answer takes as long as a wrong secret. */
  private volatile String decoy;

  public Passwords(Vertx vertx, int cost) {
    this.vertx = vertx;
    this.cost = cost;
  }

  // Made on a worker thread the first time it is needed: hashing at construction would block an event loop.
  private String decoy() {
    String made = decoy;
    if (made == null) {
      made = BCrypt.withDefaults().hashToString(cost, "decoy-secret".toCharArray());
      decoy = made;
    }
    return made;
  }

  public Future<String> hash(String secret) {
    return vertx.executeBlocking(() -> BCrypt.withDefaults().hashToString(cost, secret.toCharArray()), false);
  }

  /** Whether {@code secret} matches {@code hash}; a null hash checks against the decoy and answers false. */
  public Future<Boolean> matches(String secret, String hash) {
    return vertx.executeBlocking(() -> {
      boolean verified = BCrypt.verifyer().verify(secret.toCharArray(), hash == null ? decoy() : hash).verified;
      return verified && hash != null;
    }, false);
  }
}
