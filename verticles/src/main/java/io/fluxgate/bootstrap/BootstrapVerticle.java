package io.fluxgate.bootstrap;

import static io.fluxgate.api.ApiResponses.bearerToken;
import static io.fluxgate.api.ApiResponses.jsonBody;
import static io.fluxgate.api.ApiResponses.query;

import io.fluxgate.api.ApiResponses;
import io.fluxgate.api.ApiServer;
import io.fluxgate.api.Callers;
import io.fluxgate.api.ServiceEndpoint;
import io.fluxgate.api.ServiceRequests;
import io.fluxgate.codecs.Streams;
import io.fluxgate.config.SecretBox;
import io.fluxgate.events.EventPublisher;
import io.fluxgate.events.EventStore;
import io.fluxgate.sql.Database;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Wires the bootstrap service: its REST API (the route table below), and its durable consumer {@code bootstrap} of
 * the things stream, which starts from the beginning of the log the first time and from its cursor afterwards.
 */
public final class BootstrapVerticle extends VerticleBase implements ServiceEndpoint {

  /** The name of bootstrap's durable consumer of the things stream. */
  public static final String CONSUMER = "bootstrap";

  private final BootstrapSettings settings;
  private final Database db;
  private final EventPublisher publisher;
  private final EventStore store;
  private final Streams streams;
  private final String instance;
  private final String host;
  private final int port;
  private final boolean readEvents;
  private final java.time.Duration busTimeout;
  private BootstrapService service;
  private EventStore.Subscription subscription;
  private HttpServer server;

  public BootstrapVerticle(BootstrapSettings settings, Database db, EventPublisher publisher, EventStore store,
      Streams streams, String instance, String host, int port, boolean readEvents, java.time.Duration busTimeout) {
    this.settings = settings;
    this.db = db;
    this.publisher = publisher;
    this.store = store;
    this.streams = streams;
    this.instance = instance;
    this.host = host;
    this.port = port;
    this.readEvents = readEvents;
    this.busTimeout = busTimeout;
  }

  @Override
  public Future<?> start() {
    SecretBox secrets = new SecretBox(settings.serverKey(), "fluxgate bootstrap");
    BootstrapRepository repository = new BootstrapRepository(db, secrets);
    BootstrapEvents events = new BootstrapEvents(streams.bootstrap(), instance);
    ServiceRequests requests = new ServiceRequests(vertx.eventBus(), busTimeout);
    service = new BootstrapService(new Callers(requests), new ThingsClient(requests), repository,
        events, publisher, secrets, new DeviceCipher(settings.encryptKey()),
        new FailedAttempts(settings.maxFailures(), settings.failureWindow(), System::nanoTime), readEvents);
    ThingsStreamReactions reactions = new ThingsStreamReactions(repository, events, publisher);
    Router router = ApiServer.router(vertx, "bootstrap");
    addRoutes(router);
    return store.subscribe(streams.things(), CONSUMER, EventStore.StartFrom.BEGINNING, reactions::handle)
        .onSuccess(running -> subscription = running)
        .compose(v -> ApiServer.listen(vertx, "bootstrap", host, port, router))
        .onSuccess(listening -> server = listening);
  }

  @Override
  public Future<?> stop() {
    return subscription == null ? Future.succeededFuture() : subscription.stop();
  }

  private void addRoutes(Router router) {
    router.post("/things/configs").handler(ctx -> ApiResponses.created(ctx, "/things/configs", "thing_id",
        requester(ctx).compose(r -> service.create(r, BootstrapService.NewConfig.from(jsonBody(ctx))))));
    router.get("/things/configs").handler(ctx -> ApiResponses.reply(ctx, 200,
        requester(ctx).compose(r -> service.list(r, query(ctx)))));
    router.get("/things/configs/:configId").handler(ctx -> ApiResponses.reply(ctx, 200,
        requester(ctx).compose(r -> service.view(r, ctx.pathParam("configId")))));
    router.put("/things/configs/:configId").handler(ctx -> ApiResponses.reply(ctx, 200,
        requester(ctx).compose(r -> service.update(r, ctx.pathParam("configId"),
            BootstrapService.ConfigUpdate.from(jsonBody(ctx))))));
    router.delete("/things/configs/:configId").handler(ctx -> ApiResponses.noContent(ctx,
        requester(ctx).compose(r -> service.remove(r, ctx.pathParam("configId")))));
    router.patch("/things/configs/certs/:configId").handler(ctx -> ApiResponses.reply(ctx, 200,
        requester(ctx).compose(r -> service.updateCerts(r, ctx.pathParam("configId"),
            BootstrapService.CertUpdate.from(jsonBody(ctx))))));
    router.put("/things/configs/connections/:configId").handler(ctx -> ApiResponses.reply(ctx, 200,
        requester(ctx).compose(r -> service.updateConnections(r, ctx.pathParam("configId"),
            ConfigFields.channels(jsonBody(ctx), "channels", true)))));
    router.put("/things/state/:configId").handler(ctx -> ApiResponses.noContent(ctx,
        requester(ctx).compose(r -> service.changeState(r, ctx.pathParam("configId"),
            BootstrapService.state(jsonBody(ctx))))));
    router.get("/things/bootstrap/:externalId").handler(ctx -> ApiResponses.reply(ctx, 200,
        service.bootstrap(ctx.pathParam("externalId"), ApiResponses.thingKey(ctx))));
    router.get("/things/bootstrap/secure/:externalId").handler(this::secureBootstrap);
  }

  /** The user of the request's bearer token, as the users service vouches for it (401 otherwise). */
  private Future<Requester> requester(RoutingContext ctx) {
    return service.requester(bearerToken(ctx));
  }

  private void secureBootstrap(RoutingContext ctx) {
    service.secureBootstrap(ctx.pathParam("externalId"), ApiResponses.thingKey(ctx))
        .onSuccess(answer -> ctx.response().putHeader("Content-Type", "application/octet-stream").end(answer))
        .onFailure(error -> ApiResponses.fail(ctx, error));
  }

  @Override
  public String service() {
    return "bootstrap";
  }

  @Override
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }
}
