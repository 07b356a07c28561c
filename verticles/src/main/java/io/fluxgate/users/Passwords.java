package io.fluxgate.users;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.fluxgate.api.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Salted bcrypt hashes of user secrets, computed on a bounded pool of their own: they are slow on purpose, and a
 * flood of sign-ins must neither hold up the worker threads the database needs nor queue without end.
 */
public final class Passwords {

  /** The name of the pool's threads. */
  static final String POOL = "fluxgate-bcrypt";

  private final WorkerExecutor pool;
  private final int cost;
  private final int maxPending;
  private final AtomicInteger pending = new AtomicInteger();
  /** Compared against when the identity is unknown, so that answer takes as long as a wrong secret. */
  private volatile String decoy;

  /** Hashes with {@code cost} on {@code threads} threads, refusing beyond {@code maxPending} running or waiting. */
  public Passwords(Vertx vertx, int cost, int threads, int maxPending) {
    // Created by the users verticle, the pool is closed with it when it is undeployed.
    this.pool = vertx.createSharedWorkerExecutor(POOL, threads);
    this.cost = cost;
    this.maxPending = maxPending;
  }

  // Made on a pool thread the first time it is needed: hashing at construction would block an event loop.
  private String decoy() {
    String made = decoy;
    if (made == null) {
      made = BCrypt.withDefaults().hashToString(cost, "decoy-secret".toCharArray());
      decoy = made;
    }
    return made;
  }

  public Future<String> hash(String secret) {
    return run(() -> BCrypt.withDefaults().hashToString(cost, secret.toCharArray()));
  }

  /** Whether {@code secret} matches {@code hash}; a null hash checks against the decoy and answers false. */
  public Future<Boolean> matches(String secret, String hash) {
    return run(() -> {
      boolean verified = BCrypt.verifyer().verify(secret.toCharArray(), hash == null ? decoy() : hash).verified;
      return verified && hash != null;
    });
  }

  private <T> Future<T> run(Callable<T> work) {
    if (pending.incrementAndGet() > maxPending) {
      pending.decrementAndGet();
      return Future.failedFuture(ApiError.unavailable("too many passwords are being checked at once on this node:"
          + " try again in a moment", Duration.ofSeconds(1)));
    }
    return pool.executeBlocking(work, false).onComplete(done -> pending.decrementAndGet());
  }

  /** Hashes running or waiting now. */
  int pending() {
    return pending.get();
  }
}
