package io.fluxgate.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The per-key token buckets of the rate limits, on a clock the test moves. */
class TokenBucketsTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  @Test
  void aKeyGetsItsBurstThenWaitsForTheRefillWhileOtherKeysGoOn() {
    TokenBuckets buckets = new TokenBuckets(TokenBuckets.Rate.parse("3/1m"), 100, now::get);
    for (int i = 0; i < 3; i++) {
      assertThat(buckets.take("a")).isZero();
    }
    assertThat(buckets.take("a").toMillis()).isEqualTo(20_000);
    assertThat(buckets.take("b")).as("another key has a bucket of its own").isZero();

    now.addAndGet(Duration.ofSeconds(15).toNanos());
    assertThat(buckets.take("a").toMillis()).as("a refused request takes nothing").isEqualTo(5_000);
    now.addAndGet(Duration.ofMillis(5_001).toNanos());
    assertThat(buckets.take("a")).isZero();
    assertThat(buckets.take("a")).isPositive();

    now.addAndGet(Duration.ofHours(1).toNanos());
    for (int i = 0; i < 3; i++) {
      assertThat(buckets.take("a")).as("refilled up to the burst, not beyond").isZero();
    }
    assertThat(buckets.take("a")).isPositive();
  }

  @Test
  void aFloodOfNewKeysKeepsAtMostTheBoundAndOffLimitsNothing() {
    TokenBuckets buckets = new TokenBuckets(TokenBuckets.Rate.parse("1/1h"), 1_000, now::get);
    for (int i = 0; i < 10_000; i++) {
      buckets.take("key-" + i);
    }
    assertThat(buckets.size()).isEqualTo(1_000);

    TokenBuckets off = new TokenBuckets(TokenBuckets.Rate.parse("off"), 10, now::get);
    for (int i = 0; i < 100; i++) {
      assertThat(off.take("a")).isZero();
    }
    assertThat(off.size()).isZero();
  }

  @Test
  void ratesAreWrittenAsACountPerDuration() {
    assertThat(TokenBuckets.Rate.parse("20/1m")).isEqualTo(new TokenBuckets.Rate(20, Duration.ofMinutes(1)));
    assertThat(TokenBuckets.Rate.parse(" 5 / PT1H ")).isEqualTo(new TokenBuckets.Rate(5, Duration.ofHours(1)));
    assertThat(TokenBuckets.Rate.parse("0").limits()).isFalse();
    for (String bad : new String[] {"20", "20/", "/1m", "-1/1m", "20/0s", "x/1m", "20/1y"}) {
      assertThatThrownBy(() -> TokenBuckets.Rate.parse(bad)).as(bad).isInstanceOf(RuntimeException.class);
    }
  }
}
