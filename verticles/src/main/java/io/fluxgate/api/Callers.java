package io.fluxgate.api;

import io.fluxgate.codecs.Addresses;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

/** Asks the users service (over the bus, on any node) who an access token belongs to. */
public final class Callers {

  private final EventBus bus;

  public Callers(EventBus bus) {
    this.bus = bus;
  }

  /** The enabled user of {@code accessToken}; a 401 when the users service refuses it. */
  public Future<Caller> identify(String accessToken) {
    return bus.<JsonObject>request(Addresses.USERS_IDENTIFY, accessToken).map(reply -> {
      JsonObject body = reply.body();
      return new Caller(body.getString("id"), body.getBoolean("admin", false));
    }).recover(error -> {
      if (error instanceof ReplyException reply && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE
          && reply.failureCode() == 401) {
        return Future.failedFuture(ApiError.unauthenticated("the access token is invalid, expired or its user disabled"));
      }
      return Future.failedFuture(new IllegalStateException("the users service did not answer: " + error.getMessage()));
    });
  }
}
