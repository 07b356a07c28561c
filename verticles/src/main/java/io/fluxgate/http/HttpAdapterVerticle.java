package io.fluxgate.http;

import io.fluxgate.api.ApiError;
import io.fluxgate.api.ApiResponses;
import io.fluxgate.api.ApiServer;
import io.fluxgate.api.ServiceEndpoint;
import io.fluxgate.api.ServiceRequests;
import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.ChannelMessage;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.ThingAccess;
import io.fluxgate.mqtt.ChannelTopic;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;

/**
 * The HTTP message adapter of {@code http.yml}: a device POSTs a message to a channel with
 * {@code Authorization: Thing <key>} (or Basic, the key as password), and it takes the same path as an MQTT publish
 * (QoS 1 to subscribers).
 */
public final class HttpAdapterVerticle extends VerticleBase implements ServiceEndpoint {

  private final String host;
  private final int port;
  private final int maxMessageSize;
  private final Duration busTimeout;
  private ServiceRequests things;
  private HttpServer server;

  public HttpAdapterVerticle(String host, int port, int maxMessageSize, Duration busTimeout) {
    this.host = host;
    this.port = port;
    this.maxMessageSize = maxMessageSize;
    this.busTimeout = busTimeout;
  }

  @Override
  public Future<?> start() {
    things = new ServiceRequests(vertx.eventBus(), busTimeout);
    Router router = ApiServer.router(vertx, "http");
    router.post("/channels/:channelId/messages").handler(this::publish);
    router.post("/channels/:channelId/messages/*").handler(this::publish);
    return ApiServer.listen(vertx, "http", host, port, router).onSuccess(listening -> server = listening);
  }

  private void publish(RoutingContext ctx) {
    String key = thingKey(ctx);
    if (key == null) {
      throw ApiError.unauthenticated("an Authorization: Thing <key> (or Basic with the key as password) header"
          + " is required");
    }
    String contentType = ctx.request().getHeader("Content-Type");
    if (contentType == null) {
      throw new ApiError(ApiError.Kind.UNSUPPORTED_CONTENT_TYPE, "give the message's Content-Type");
    }
    String subtopic = decoded(ctx.pathParam("*"));
    String path = "channels/" + ctx.pathParam("channelId") + "/messages"
        + (subtopic.isEmpty() ? "" : "/" + subtopic);
    ChannelTopic topic = ChannelTopic.ofPublish(path);
    if (topic == null) {
      throw ApiError.malformed("not a channel topic: " + path);
    }
    if (ctx.body().length() > maxMessageSize) {
      throw new ApiError(ApiError.Kind.TOO_LARGE, "messages are at most " + maxMessageSize + " bytes");
    }
    var payload = ctx.body().buffer() == null ? io.vertx.core.buffer.Buffer.buffer() : ctx.body().buffer();
    if (SenmlPayload.isSenml(contentType)) {
      SenmlPayload.check(payload);
    }
    things.<String>request("things", Addresses.THINGS_IDENTIFY, key)
        .recover(error -> Future.failedFuture(error instanceof ReplyException reply && reply.failureCode() == 401
            ? ApiError.unauthenticated("no enabled thing has this key") : error))
        .compose(thingId -> things.<Boolean>request("things", Addresses.THINGS_AUTHORIZE,
                new ThingAccess(thingId, topic.channelId(), ThingAccess.Action.PUBLISH))
            .map(allowed -> {
              if (!allowed) {
                throw ApiError.forbidden("the thing may not publish on this channel");
              }
              ChannelMessage message = new ChannelMessage(topic.channelId(), topic.subtopic(), thingId, "http", 1,
                  payload, DomainEvent.nowNanos());
              vertx.eventBus().publish(message.destination(vertx.isClustered()), message);
              return null;
            }))
        .onSuccess(v -> ctx.response().setStatusCode(202).end())
        .onFailure(error -> ApiResponses.fail(ctx, error));
  }

  /** The key of {@code Authorization: Thing <key>}, or the password of {@code Basic} (the reference's way); or null. */
  private static String thingKey(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return ApiResponses.thingKey(ctx);
    }
    try {
      String credentials = new String(java.util.Base64.getDecoder().decode(header.substring(6).trim()),
          java.nio.charset.StandardCharsets.UTF_8);
      int colon = credentials.indexOf(':');
      String key = colon < 0 ? "" : credentials.substring(colon + 1);
      return key.isEmpty() ? null : key;
    } catch (IllegalArgumentException e) {
      throw ApiError.unauthenticated("the Basic credentials are not base64");
    }
  }

  /** The subtopic of the path with its percent-escapes decoded ({@code +} stays a plus, as in any path). */
  private static String decoded(String subtopic) {
    if (subtopic == null || subtopic.isEmpty()) {
      return "";
    }
    try {
      return java.net.URLDecoder.decode(subtopic.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw ApiError.malformed("the subtopic has a malformed percent-escape");
    }
  }

  @Override
  public String service() {
    return "http";
  }

  @Override
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }
}
