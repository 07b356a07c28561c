package io.fluxgate.bootstrap;

import io.fluxgate.api.ApiError;
import io.fluxgate.api.ServiceRequests;
import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.UserRequest;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What bootstrap asks the things service, over the bus (on any node), always for the signed-in user whose access
 * token it forwards: the things service decides what that user owns. Its refusals come back as the same API errors.
 */
public final class ThingsClient {

  private final ServiceRequests requests;

  public ThingsClient(ServiceRequests requests) {
    this.requests = requests;
  }

  /** A thing created for the user, named {@code name}: its id and key. */
  public Future<ThingCredentials> create(Requester requester, String name) {
    JsonObject body = name.isEmpty() ? new JsonObject() : new JsonObject().put("name", name);
    return ask(Addresses.THINGS_CREATE, requester, body).map(ThingsClient::credentials);
  }

  /** The user's thing {@code thingId}: its id and key (404, 403 as the things API). */
  public Future<ThingCredentials> view(Requester requester, String thingId) {
    return ask(Addresses.THINGS_VIEW, requester, new JsonObject().put("thing_id", thingId))
        .map(ThingsClient::credentials);
  }

  /** The user's channels {@code ids}, in that order, with name and metadata (404, 403 as the things API). */
  public Future<List<ChannelInfo>> channels(Requester requester, List<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return ask(Addresses.THINGS_CHANNELS, requester, new JsonObject().put("channel_ids", new JsonArray(ids)))
        .map(answer -> {
          List<ChannelInfo> found = new ArrayList<>();
          answer.getJsonArray("channels").forEach(each -> {
            JsonObject c = (JsonObject) each;
            found.add(new ChannelInfo(new ConfigChannel(c.getString("id"), c.getString("name", ""),
                c.getJsonObject("metadata", new JsonObject())), c.getLong("revision", 0L)));
          });
          return found;
        });
  }

  /** Connects the user's thing to one of the user's channels; a pair connected already is fine. */
  public Future<Void> connect(Requester requester, String thingId, String channelId) {
    return ask(Addresses.THINGS_CONNECT, requester, pair(thingId, channelId)).<Void>mapEmpty()
        .recover(error -> error instanceof ApiError api && api.kind() == ApiError.Kind.CONFLICT
            ? Future.succeededFuture() : Future.failedFuture(error));
  }

  /** Disconnects the user's thing from a channel; a pair not connected is fine. */
  public Future<Void> disconnect(Requester requester, String thingId, String channelId) {
    return ask(Addresses.THINGS_DISCONNECT, requester, pair(thingId, channelId)).<Void>mapEmpty()
        .recover(error -> error instanceof ApiError api && api.kind() == ApiError.Kind.NOT_FOUND
            ? Future.succeededFuture() : Future.failedFuture(error));
  }

  private static JsonObject pair(String thingId, String channelId) {
    return new JsonObject().put("thing_ids", new JsonArray().add(thingId))
        .put("channel_ids", new JsonArray().add(channelId));
  }

  private Future<JsonObject> ask(String address, Requester requester, JsonObject fields) {
    return requests.<JsonObject>request("things", address, new UserRequest(requester.accessToken(), fields))
        .recover(ThingsClient::explain);
  }

  /** The things service's refusal as the API error of its status; a missing or silent one is already a 503. */
  private static <T> Future<T> explain(Throwable error) {
    if (error instanceof ApiError) {
      return Future.failedFuture(error);
    }
    if (error instanceof ReplyException reply && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
      var kind = Arrays.stream(ApiError.Kind.values()).filter(k -> k.status == reply.failureCode()).findFirst();
      if (kind.isPresent()) {
        return Future.failedFuture(new ApiError(kind.get(), "things service: " + reply.getMessage()));
      }
    }
    return Future.failedFuture(new IllegalStateException("the things service did not answer: " + error.getMessage()));
  }

  private static ThingCredentials credentials(JsonObject thing) {
    JsonObject credentials = thing.getJsonObject("credentials", new JsonObject());
    return new ThingCredentials(thing.getString("id"), credentials.getString("secret", ""));
  }

  /** A thing's id and key. */
  public record ThingCredentials(String id, String key) {
    @Override
    public String toString() {
      return "ThingCredentials[id=" + id + "]";
    }
  }

  /** A channel as the things service has it now, with its revision. */
  public record ChannelInfo(ConfigChannel channel, long revision) {}
}
