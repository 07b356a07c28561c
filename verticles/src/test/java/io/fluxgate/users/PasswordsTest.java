package io.fluxgate.users;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.api.ApiError;
import io.fluxgate.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** bcrypt runs on a bounded pool of its own: a flood of hashes neither starves the workers nor queues without end. */
class PasswordsTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    Await.result(vertx.close());
  }

  @Test
  void aFloodOfHashesLeavesTheSharedWorkerPoolFree() {
    // More hashes than the shared pool has threads (20): on it, other blocking work would queue behind them.
    Passwords passwords = new Passwords(vertx, 10, 1, 100);
    AtomicInteger done = new AtomicInteger();
    List<Future<String>> hashes = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      hashes.add(passwords.hash("secret-" + i).onSuccess(h -> done.incrementAndGet()));
    }
    String thread = Await.result(vertx.executeBlocking(() -> Thread.currentThread().getName()));
    int finishedMeanwhile = done.get();

    assertThat(thread).doesNotStartWith(Passwords.POOL);
    assertThat(finishedMeanwhile).as("the probe ran before any hash ended").isZero();
    Await.result(Future.all(hashes), java.time.Duration.ofSeconds(60));
    assertThat(passwords.pending()).isZero();
  }

  @Test
  void workBeyondTheBoundIsRefusedWith503AndRetryAfter() {
    Passwords passwords = new Passwords(vertx, 12, 1, 2);
    List<Future<Boolean>> checks = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      checks.add(passwords.matches("secret", null));
    }
    long refused = checks.stream().filter(Future::failed).count();
    assertThat(refused).isEqualTo(3);
    ApiError error = (ApiError) checks.get(4).cause();
    assertThat(error.kind()).isEqualTo(ApiError.Kind.UNAVAILABLE);
    assertThat(error.retryAfter()).isPositive();
    assertThat(Await.result(checks.get(0), java.time.Duration.ofSeconds(60))).isFalse();
    Await.result(checks.get(1), java.time.Duration.ofSeconds(60));
    Await.until("the pool drained", java.time.Duration.ofSeconds(10), () -> passwords.pending() == 0);
    assertThat(Await.result(passwords.matches("secret", null), java.time.Duration.ofSeconds(60))).isFalse();
  }
}
