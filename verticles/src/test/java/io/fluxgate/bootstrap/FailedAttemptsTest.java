package io.fluxgate.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FailedAttemptsTest {

  private final AtomicLong now = new AtomicLong();
  private final FailedAttempts attempts = new FailedAttempts(3, Duration.ofMinutes(10), now::get);

  @Test
  void blocksAnIdAfterItsFailuresUntilTheWindowOfTheFirstHasPassed() {
    attempts.failed("dev-1");
    attempts.failed("dev-1");
    assertThat(attempts.blocked("dev-1")).isFalse();
    attempts.failed("dev-1");
    assertThat(attempts.blocked("dev-1")).isTrue();
    assertThat(attempts.blocked("dev-2")).isFalse();
    now.addAndGet(Duration.ofMinutes(4).toNanos());
    assertThat(attempts.retryAfter("dev-1")).as("until the first failure's window has passed")
        .isEqualTo(Duration.ofMinutes(6));
    assertThat(attempts.retryAfter("dev-2")).isZero();

    now.addAndGet(Duration.ofMinutes(6).plusNanos(1).toNanos());
    assertThat(attempts.blocked("dev-1")).isFalse();
  }

  @Test
  void aSuccessClearsTheFailuresOfItsId() {
    attempts.failed("dev-1");
    attempts.failed("dev-1");
    attempts.succeeded("dev-1");
    attempts.failed("dev-1");
    attempts.failed("dev-1");
    assertThat(attempts.blocked("dev-1")).isFalse();
  }

  @Test
  void keepsAtMostItsBoundOfIdsDroppingTheOldest() {
    for (int i = 0; i < FailedAttempts.MAX_IDS + 1; i++) {
      attempts.failed("dev-" + i);
    }
    // dev-0, the oldest, was dropped: two more failures are not its third.
    attempts.failed("dev-0");
    attempts.failed("dev-0");
    assertThat(attempts.blocked("dev-0")).isFalse();
    String newest = "dev-" + FailedAttempts.MAX_IDS;
    attempts.failed(newest);
    attempts.failed(newest);
    assertThat(attempts.blocked(newest)).isTrue();
  }
}
