package io.fluxgate.events.redis;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.redis.client.RedisConnection;

/**
 * A reader of a Redis stream that blocks on a connection of its own (a durable consumer, a tail): the state its
 * stop depends on and the stop itself, in one place. All of it lives on {@link #context}.
 */
abstract class BlockingReader implements RedisEventStore.Reader {

  protected final RedisEventStore store;
  protected final Context context;
  protected final Promise<Void> stopped = Promise.promise();
  protected RedisConnection connection;
  /** The server's id of {@link #connection}, so a stop can CLIENT UNBLOCK it. */
  protected long clientId;
  /** Whether a blocking read is outstanding on {@link #connection}. */
  protected boolean blocked;
  protected boolean stopping;

  BlockingReader(RedisEventStore store, Context context) {
    this.store = store;
    this.context = context;
  }

  /** Whether the stop gave up waiting for the handler: whatever it answers later is ignored. */
  protected boolean abandoned;

  /** Releases the connection once nothing is blocked on it, and completes {@link #stopped}. */
  abstract void finish();

  /** Gives up on the handler at work: finishes without it (a consumer first hands its unhandled entries on). */
  void abandon() {
    if (!stopped.future().isComplete()) {
      abandoned = true;
      finish();
    }
  }

  @Override
  public Future<Void> stop() {
    Context caller = context.owner().getOrCreateContext();
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      if (!stopping) {
        stopping = true;
        if (blocked) {
          store.unblock(clientId);
        } else if (connection == null) {
          finish();
        } else {
          // A handler that never answers must not hold the node's shutdown: its entry stays pending for the next.
          context.owner().setTimer(io.fluxgate.events.Delivery.STOP_GRACE.toMillis(), id -> abandon());
        }
      }
      stopped.future().onComplete(r -> caller.runOnContext(x -> done.complete()));
    });
    return done.future();
  }
}
