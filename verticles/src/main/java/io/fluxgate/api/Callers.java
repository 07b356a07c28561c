package io.fluxgate.api;

import io.fluxgate.codecs.Addresses;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

/** Asks the users service (over the bus, on any node) who an access token belongs to, and whether a user exists. */
public final class Callers {

  private final ServiceRequests requests;

  public Callers(ServiceRequests requests) {
    this.requests = requests;
  }

  /** The enabled user of {@code accessToken}; a 401 when the users service refuses it, a 503 when none answers. */
  public Future<Caller> identify(String accessToken) {
    return requests.<JsonObject>request("users", Addresses.USERS_IDENTIFY, accessToken)
        .map(body -> new Caller(body.getString("id"), body.getBoolean("admin", false)))
        .recover(error -> {
          if (error instanceof ReplyException reply && reply.failureCode() == 401) {
            return Future.failedFuture(ApiError.unauthenticated(
                "the access token is invalid, expired, revoked or its user disabled"));
          }
          return Future.failedFuture(error instanceof ReplyException reply
              ? new IllegalStateException("the users service failed: " + reply.getMessage()) : error);
        });
  }

  /** Succeeds when the user {@code userId} exists, so it can own something; a 404 naming it otherwise. */
  public Future<Void> requireUser(String userId) {
    return requests.<Boolean>request("users", Addresses.USERS_EXISTS, userId).compose(exists -> exists
        ? Future.succeededFuture()
        : Future.failedFuture(ApiError.notFound("no user " + userId + " to be the owner")));
  }
}
