package io.fluxgate.mqtt;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.function.Supplier;

/** Runs work on another event loop's context and completes there; sessions are only touched on their home. */
final class Hop {

  private Hop() {}

  static <T> Future<T> to(Context context, Supplier<T> work) {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> {
      try {
        promise.complete(work.get());
      } catch (RuntimeException e) {
        promise.fail(e);
      }
    });
    return promise.future();
  }
}
