package io.fluxgate.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.Codecs;
import io.fluxgate.codecs.ThingAccess;
import io.fluxgate.testing.Await;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The access cache stays bounded whatever channel ids a device names, and never waits long for an answer. */
class AccessCacheTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    Await.result(vertx.close());
  }

  @Test
  void denialsForEverNewChannelIdsStopBeingKeptPastTheBound() {
    Codecs.register(vertx.eventBus());
    // The things service of this test allows one channel only.
    Await.result(vertx.eventBus().<ThingAccess>consumer(Addresses.THINGS_AUTHORIZE,
        m -> m.reply(m.body().channelId().equals("granted"))).completion());
    AccessCache cache = new AccessCache(vertx.eventBus(), Duration.ofSeconds(5));

    for (int i = 0; i < AccessCache.MAX_CHANNELS_PER_THING + 500; i++) {
      assertThat(Await.result(cache.authorize("t", "probe-" + i, ThingAccess.Action.PUBLISH))).isFalse();
    }
    assertThat(cache.channelsKnown("t")).isEqualTo(AccessCache.MAX_CHANNELS_PER_THING);

    assertThat(Await.result(cache.authorize("t", "granted", ThingAccess.Action.PUBLISH))).isTrue();
    assertThat(cache.cached("t", "granted", ThingAccess.Action.PUBLISH)).as("a grant is kept past the bound")
        .isEqualTo(AccessCache.ALLOWED);
    assertThat(cache.cached("t", "probe-0", ThingAccess.Action.PUBLISH)).isEqualTo(AccessCache.DENIED);
  }

  @Test
  void aThingsServiceThatDoesNotAnswerFailsTheCheckWithinTheBusTimeout() {
    Codecs.register(vertx.eventBus());
    // A things node that just died: its consumer is still registered, and nothing will ever answer.
    Await.result(vertx.eventBus().consumer(Addresses.THINGS_AUTHENTICATE, m -> { }).completion());
    AccessCache cache = new AccessCache(vertx.eventBus(), Duration.ofMillis(300));

    Throwable failure = Await.result(cache.authenticate("t", "key").<Throwable>map(ok -> null)
        .recover(io.vertx.core.Future::succeededFuture), Duration.ofSeconds(5));
    assertThat(failure).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) failure).failureType()).isEqualTo(ReplyFailure.TIMEOUT);
  }
}
