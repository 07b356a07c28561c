package io.fluxgate.api;

import io.fluxgate.events.Outbox;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place where outcomes become HTTP answers: JSON bodies, and every failure as {@code {"error", "message"}}. */
public final class ApiResponses {

  private static final Logger LOG = LoggerFactory.getLogger(ApiResponses.class);

  private ApiResponses() {}

  /** The request's JSON object body: 415 when it is not declared JSON, 400 when it does not parse to an object. */
  public static JsonObject jsonBody(RoutingContext ctx) {
    requireJson(ctx);
    try {
      JsonObject body = ctx.body().asJsonObject();
      if (body == null) {
        throw ApiError.malformed("the body must be a JSON object");
      }
      RequestFields.rejectNul(body, "");
      return body;
    } catch (DecodeException | ClassCastException e) {
      throw ApiError.malformed("the body is not a JSON object");
    }
  }

  /** The request's JSON array body (a bulk request): 415 when it is not declared JSON, 400 when it is no array. */
  public static io.vertx.core.json.JsonArray jsonArrayBody(RoutingContext ctx) {
    requireJson(ctx);
    try {
      io.vertx.core.json.JsonArray body = ctx.body().asJsonArray();
      if (body == null) {
        throw ApiError.malformed("the body must be a JSON array");
      }
      RequestFields.rejectNul(body, "");
      return body;
    } catch (DecodeException | ClassCastException e) {
      throw ApiError.malformed("the body is not a JSON array");
    }
  }

  // The media type before any parameters, compared whole: a prefix match let application/jsonp pass as JSON.
  private static void requireJson(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    String media = type == null ? "" : type.split(";", 2)[0].trim();
    if (!media.equalsIgnoreCase("application/json")) {
      throw new ApiError(ApiError.Kind.UNSUPPORTED_CONTENT_TYPE, "the body must be application/json");
    }
  }

  /** Answers 201 with what {@code outcome} produces and a {@code Location} of {@code collection}/its id. */
  public static void created(RoutingContext ctx, String collection, Future<JsonObject> outcome) {
    created(ctx, collection, "id", outcome);
  }

  /** The same, where the created entity's id is its field {@code idField}. */
  public static void created(RoutingContext ctx, String collection, String idField, Future<JsonObject> outcome) {
    outcome.onComplete(result -> {
      if (result.succeeded()) {
        ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
            .putHeader("Location", collection + "/" + result.result().getString(idField))
            .end(result.result().encode());
      } else {
        fail(ctx, result.cause());
      }
    });
  }

  /** Answers 204 once {@code outcome} succeeds. */
  public static void noContent(RoutingContext ctx, Future<?> outcome) {
    outcome.onSuccess(v -> ctx.response().setStatusCode(204).end()).onFailure(e -> fail(ctx, e));
  }

  /** The thing key of an {@code Authorization: Thing <key>} header, or null when there is none. */
  public static String thingKey(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Thing ", 0, 6)) {
      return null;
    }
    String key = header.substring(6).trim();
    return key.isEmpty() ? null : key;
  }

  /** The query parameters, the first value of each. */
  public static java.util.Map<String, String> query(RoutingContext ctx) {
    java.util.Map<String, String> query = new java.util.HashMap<>();
    ctx.queryParams().forEach(entry -> query.putIfAbsent(entry.getKey(), entry.getValue()));
    return query;
  }

  /** The bearer token of the request, or null when it carries none. */
  public static String optionalBearerToken(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    return header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? bearerToken(ctx) : null;
  }

  /** Sends what {@code outcome} produces with {@code status}, or its failure in the API's error shape. */
  public static void reply(RoutingContext ctx, int status, Future<JsonObject> outcome) {
    outcome.onComplete(result -> {
      if (result.succeeded()) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
            .end(result.result().encode());
      } else {
        fail(ctx, result.cause());
      }
    });
  }

  /** Answers {@code error}; anything that is not an {@link ApiError} is a 500 whose details stay in the log. */
  public static void fail(RoutingContext ctx, Throwable error) {
    if (ctx.response().ended()) {
      return;
    }
    int status;
    JsonObject body;
    if (error instanceof Outbox.EventTooLarge tooLarge) {
      LOG.info("request {} {} refused: {}", ctx.request().method(), ctx.request().path(), tooLarge.getMessage());
      status = ApiError.Kind.TOO_LARGE.status;
      body = body(new ApiError(ApiError.Kind.TOO_LARGE, tooLarge.getMessage()));
    } else if (error instanceof ApiError api) {
      // One line per refusal, no stack trace: an ApiError's message never holds a secret.
      LOG.info("request {} {} refused: {} {}", ctx.request().method(), ctx.request().path(), api.kind().status,
          api.getMessage());
      status = api.kind().status;
      body = body(api);
      if (!api.retryAfter().isZero()) {
        // Whole seconds, rounded up: a client retrying at once would only be refused again.
        long millis = api.retryAfter().toMillis();
        ctx.response().putHeader("Retry-After", Long.toString(Math.max(1, (millis + 999) / 1000)));
      }
    } else {
      LOG.error("request {} {} failed", ctx.request().method(), ctx.request().path(), error);
      status = 500;
      body = new JsonObject().put("error", "unexpected server-side error occurred").put("message", "see the server log");
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }

  /** The API's error body of {@code error}: {@code {"error": <kind's text>, "message": <what exactly>}}. */
  public static JsonObject body(ApiError error) {
    return new JsonObject().put("error", error.kind().error).put("message", error.getMessage());
  }

  /** The request's method and path, shortened, for messages about requests no route takes. */
  static String requestLine(io.vertx.core.http.HttpServerRequest request) {
    String path = request.path() == null ? "" : request.path();
    return request.method() + " " + (path.length() > 200 ? path.substring(0, 200) + "…" : path);
  }

  /** The bearer token of the request, or a 401. */
  public static String bearerToken(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() == 7) {
      throw ApiError.unauthenticated("an Authorization: Bearer <token> header is required");
    }
    return header.substring(7).trim();
  }
}
