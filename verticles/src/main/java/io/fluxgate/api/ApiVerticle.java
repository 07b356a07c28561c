package io.fluxgate.api;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.function.BiConsumer;

/**
 * The HTTP server of one service's REST API on its own port: {@code GET /health} in the reference shape, plus the
 * routes the service adds through {@code routes}. Wiring only.
 */
public final class ApiVerticle extends VerticleBase {

  private final String service;
  private final String host;
  private final int port;
  private final BiConsumer<io.vertx.core.Vertx, Router> routes;
  private HttpServer server;

  public ApiVerticle(String service, String host, int port, BiConsumer<io.vertx.core.Vertx, Router> routes) {
    this.service = service;
    this.host = host;
    this.port = port;
    this.routes = routes;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get("/health").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "application/health+json")
        .end(health().encode()));
    routes.accept(vertx, router);
    return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
        .requestHandler(router)
        .listen()
        .recover(error -> Future.failedFuture(
            service + " API cannot listen on " + host + ":" + port + ": " + error.getMessage()))
        .onSuccess(listening -> server = listening);
  }

  private JsonObject health() {
    BuildInfo build = BuildInfo.current();
    return new JsonObject()
        .put("status", "pass")
        .put("version", build.version())
        .put("commit", build.commit())
        .put("description", service + " service")
        .put("build_time", build.buildTime());
  }

  /** The port the server listens on (the configured one, or the one chosen when 0 was configured). */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  public String service() {
    return service;
  }
}
