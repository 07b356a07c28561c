package io.fluxgate.api;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

/** The HTTP server of one service's REST API: its routes, {@code GET /health} in the reference shape, its port. */
public final class ApiServer {

  /** Request bodies above this are refused with 413 before any handler runs. */
  public static final long MAX_BODY_BYTES = 1024 * 1024;

  private ApiServer() {}

  /** A router that reads bodies up to {@link #MAX_BODY_BYTES} and answers {@code /health} for {@code service}. */
  public static Router router(Vertx vertx, String service) {
    Router router = Router.router(vertx);
    // A NUL in the path or query (%00) never reaches a handler or a database: PostgreSQL cannot store it.
    router.route().handler(ctx -> {
      if (ctx.request().uri().contains("%00")) {
        ApiResponses.fail(ctx, ApiError.malformed("the path or query contains a NUL character (%00)"));
      } else {
        ctx.next();
      }
    });
    router.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
    router.get("/health").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "application/health+json")
        .end(health(service).encode()));
    router.errorHandler(404, ctx -> ApiResponses.fail(ctx,
        ApiError.notFound("no route for " + ApiResponses.requestLine(ctx.request()))));
    router.errorHandler(405, ctx -> ApiResponses.fail(ctx, new ApiError(ApiError.Kind.METHOD_NOT_ALLOWED,
        ApiResponses.requestLine(ctx.request()) + ": the path exists, the method does not")));
    router.route().failureHandler(ctx -> {
      if (ctx.statusCode() == 413) {
        ApiResponses.fail(ctx, new ApiError(ApiError.Kind.TOO_LARGE,
            "the body exceeds " + MAX_BODY_BYTES + " bytes"));
      } else if (ctx.failure() != null) {
        ApiResponses.fail(ctx, ctx.failure());
      } else {
        ctx.next();
      }
    });
    return router;
  }

  /** Listens on {@code host:port}; a failure names the service and the address. */
  public static Future<HttpServer> listen(Vertx vertx, String service, String host, int port, Router router) {
    return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
        .invalidRequestHandler(ApiServer::invalidRequest)
        .requestHandler(router)
        .listen()
        .recover(error -> Future.failedFuture(
            service + " API cannot listen on " + host + ":" + port + ": " + error.getMessage()));
  }

  // Requests HTTP decoding refused before any route (too-long URI or headers, garbage) get the error shape too.
  private static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    ApiError error;
    if (cause instanceof TooLongHttpLineException) {
      error = new ApiError(ApiError.Kind.URI_TOO_LONG,
          "the request line exceeds " + HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH + " bytes");
    } else if (cause instanceof TooLongHttpHeaderException) {
      error = new ApiError(ApiError.Kind.HEADERS_TOO_LARGE,
          "the headers exceed " + HttpServerOptions.DEFAULT_MAX_HEADER_SIZE + " bytes");
    } else {
      error = ApiError.malformed("the request is not valid HTTP");
    }
    request.response().setStatusCode(error.kind().status).putHeader("Content-Type", "application/json")
        .putHeader("Connection", "close").end(ApiResponses.body(error).encode())
        .onComplete(done -> request.connection().close());
  }

  private static JsonObject health(String service) {
    BuildInfo build = BuildInfo.current();
    return new JsonObject()
        .put("status", "pass")
        .put("version", build.version())
        .put("commit", build.commit())
        .put("description", service + " service")
        .put("build_time", build.buildTime());
  }
}
