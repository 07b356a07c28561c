package io.fluxgate.api;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;

/** The API port of a role whose service is not built yet: it answers {@code /health} only. Wiring only. */
public final class ApiVerticle extends VerticleBase implements ServiceEndpoint {

  private final String service;
  private final String host;
  private final int port;
  private HttpServer server;

  public ApiVerticle(String service, String host, int port) {
    this.service = service;
    this.host = host;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    return ApiServer.listen(vertx, service, host, port, ApiServer.router(vertx, service))
        .onSuccess(listening -> server = listening);
  }

  @Override
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  @Override
  public String service() {
    return service;
  }
}
