package io.fluxgate.things;

import static io.fluxgate.api.ApiResponses.bearerToken;
import static io.fluxgate.api.ApiResponses.jsonBody;
import static io.fluxgate.api.ApiResponses.query;

import io.fluxgate.api.ApiError;
import io.fluxgate.api.ApiResponses;
import io.fluxgate.api.ApiServer;
import io.fluxgate.api.Callers;
import io.fluxgate.api.ServiceEndpoint;
import io.fluxgate.api.ServiceRequests;
import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.Streams;
import io.fluxgate.codecs.ThingAccess;
import io.fluxgate.codecs.UserRequest;
import io.fluxgate.events.EventPublisher;
import io.fluxgate.sql.Database;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** Wires the things service: its REST API (the route table below), its bus addresses, its access index. */
public final class ThingsVerticle extends VerticleBase implements ServiceEndpoint {

  private final ThingsConfig config;
  private final Database db;
  private final EventPublisher publisher;
  private final Streams streams;
  private final String instance;
  private final String host;
  private final int port;
  private final boolean readEvents;
  private final java.time.Duration busTimeout;
  private ThingsService things;
  private ChannelsService channels;
  private ConnectionsService connections;
  private AccessIndex index;
  private HttpServer server;

  public ThingsVerticle(ThingsConfig config, Database db, EventPublisher publisher, Streams streams, String instance,
      String host, int port, boolean readEvents, java.time.Duration busTimeout) {
    this.config = config;
    this.db = db;
    this.publisher = publisher;
    this.streams = streams;
    this.instance = instance;
    this.host = host;
    this.port = port;
    this.readEvents = readEvents;
    this.busTimeout = busTimeout;
  }

  @Override
  public Future<?> start() {
    ThingKeys keys = new ThingKeys(config.serverKey());
    index = new AccessIndex(keys);
    Callers callers = new Callers(new ServiceRequests(vertx.eventBus(), busTimeout));
    ThingEvents events = new ThingEvents(streams.things(), instance);
    ThingRepository thingRepository = new ThingRepository(db);
    ChannelRepository channelRepository = new ChannelRepository(db);
    ConnectionRepository connectionRepository = new ConnectionRepository(db);
    things = new ThingsService(config, callers, thingRepository, channelRepository, connectionRepository, keys, index,
        events, publisher, readEvents);
    channels = new ChannelsService(callers, channelRepository, connectionRepository, things, index, events, publisher,
        readEvents);
    connections = new ConnectionsService(callers, things, channels, connectionRepository, index, events, publisher,
        readEvents);
    AccessIndexSync sync = new AccessIndexSync(index, thingRepository, channelRepository, connectionRepository,
        instance);
    Router router = ApiServer.router(vertx, "things");
    addRoutes(router);
    EventBus bus = vertx.eventBus();
    // The consumer first, then the load: events produced while loading wait in the sync instead of being missed.
    return bus.<DomainEvent>consumer(Addresses.events(streams.things()), m -> sync.apply(m.body())).completion()
        .compose(v -> sync.load())
        .compose(v -> bus.<ThingAccess>consumer(Addresses.THINGS_AUTHORIZE,
            m -> m.reply(connections.authorize(m.body()))).completion())
        .compose(v -> bus.<JsonObject>consumer(Addresses.THINGS_AUTHENTICATE, this::authenticate).completion())
        .compose(v -> bus.<String>consumer(Addresses.THINGS_IDENTIFY, m -> answer(m, things.identify(m.body())))
            .completion())
        .compose(v -> bus.<UserRequest>consumer(Addresses.THINGS_CONNECT,
            m -> answer(m, connections.connectFor(m.body()).map(created -> new JsonObject()
                .put("connected", created.size())))).completion())
        .compose(v -> bus.<UserRequest>consumer(Addresses.THINGS_DISCONNECT,
            m -> answer(m, connections.disconnectFor(m.body()).map(x -> new JsonObject()))).completion())
        .compose(v -> bus.<UserRequest>consumer(Addresses.THINGS_CREATE,
            m -> answer(m, things.create(m.body().accessToken(), m.body().fields()))).completion())
        .compose(v -> bus.<UserRequest>consumer(Addresses.THINGS_VIEW,
            m -> answer(m, things.view(m.body().accessToken(), m.body().fields().getString("thing_id", ""))))
            .completion())
        .compose(v -> bus.<UserRequest>consumer(Addresses.THINGS_CHANNELS,
            m -> answer(m, channels.ownedFor(m.body()))).completion())
        .compose(v -> ApiServer.listen(vertx, "things", host, port, router))
        .onSuccess(listening -> server = listening);
  }

  private void authenticate(Message<JsonObject> message) {
    String thingId = message.body().getString("thing_id");
    String key = message.body().getString("key");
    message.reply(thingId != null && key != null && index.authenticate(thingId, key));
  }

  /** Replies with the outcome, or fails the message with the HTTP status of the refusal. */
  private static <T> void answer(Message<?> message, Future<T> outcome) {
    outcome.onSuccess(message::reply).onFailure(error -> message.fail(
        error instanceof ApiError api ? api.kind().status : 500, error.getMessage()));
  }

  private void addRoutes(Router router) {
    router.post("/things").handler(ctx -> ApiResponses.created(ctx, "/things",
        things.create(bearerToken(ctx), jsonBody(ctx))));
    router.post("/things/bulk").handler(ctx -> ApiResponses.reply(ctx, 201,
        things.createBulk(bearerToken(ctx), ApiResponses.jsonArrayBody(ctx)).map(ThingsVerticle::bulkPage)
            .map(page -> page.put("things", page.remove("items")))));
    router.get("/things").handler(ctx -> ApiResponses.reply(ctx, 200, things.list(bearerToken(ctx), query(ctx))));
    router.get("/things/:thingID").handler(ctx -> ApiResponses.reply(ctx, 200,
        things.view(bearerToken(ctx), ctx.pathParam("thingID"))));
    router.patch("/things/:thingID").handler(ctx -> ApiResponses.reply(ctx, 200,
        things.update(bearerToken(ctx), ctx.pathParam("thingID"), jsonBody(ctx))));
    router.delete("/things/:thingID").handler(ctx -> ApiResponses.noContent(ctx,
        things.delete(bearerToken(ctx), ctx.pathParam("thingID"))));
    router.patch("/things/:thingID/tags").handler(ctx -> ApiResponses.reply(ctx, 200,
        things.updateTags(bearerToken(ctx), ctx.pathParam("thingID"), jsonBody(ctx))));
    router.patch("/things/:thingID/owner").handler(ctx -> ApiResponses.reply(ctx, 200,
        things.updateOwner(bearerToken(ctx), ctx.pathParam("thingID"), jsonBody(ctx))));
    router.patch("/things/:thingID/secret").handler(ctx -> ApiResponses.reply(ctx, 200,
        things.updateKey(bearerToken(ctx), ctx.pathParam("thingID"), jsonBody(ctx))));
    router.post("/things/:thingID/enable").handler(ctx -> ApiResponses.reply(ctx, 200,
        things.changeStatus(bearerToken(ctx), ctx.pathParam("thingID"), true)));
    router.post("/things/:thingID/disable").handler(ctx -> ApiResponses.reply(ctx, 200,
        things.changeStatus(bearerToken(ctx), ctx.pathParam("thingID"), false)));
    router.get("/things/:thingID/channels").handler(ctx -> ApiResponses.reply(ctx, 200,
        channels.listByThing(bearerToken(ctx), ctx.pathParam("thingID"), query(ctx))));
    router.post("/channels").handler(ctx -> ApiResponses.created(ctx, "/channels",
        channels.create(bearerToken(ctx), jsonBody(ctx))));
    router.post("/channels/bulk").handler(ctx -> ApiResponses.reply(ctx, 201,
        channels.createBulk(bearerToken(ctx), ApiResponses.jsonArrayBody(ctx)).map(ThingsVerticle::bulkPage)
            .map(page -> page.put("channels", page.remove("items")))));
    router.get("/channels").handler(ctx -> ApiResponses.reply(ctx, 200,
        channels.list(bearerToken(ctx), query(ctx))));
    router.get("/channels/:chanID").handler(ctx -> ApiResponses.reply(ctx, 200,
        channels.view(bearerToken(ctx), ctx.pathParam("chanID"))));
    router.put("/channels/:chanID").handler(ctx -> ApiResponses.reply(ctx, 200,
        channels.update(bearerToken(ctx), ctx.pathParam("chanID"), jsonBody(ctx))));
    router.delete("/channels/:chanID").handler(ctx -> ApiResponses.noContent(ctx,
        channels.delete(bearerToken(ctx), ctx.pathParam("chanID"))));
    router.post("/channels/:chanID/enable").handler(ctx -> ApiResponses.reply(ctx, 200,
        channels.changeStatus(bearerToken(ctx), ctx.pathParam("chanID"), true)));
    router.post("/channels/:chanID/disable").handler(ctx -> ApiResponses.reply(ctx, 200,
        channels.changeStatus(bearerToken(ctx), ctx.pathParam("chanID"), false)));
    router.get("/channels/:chanID/things").handler(ctx -> ApiResponses.reply(ctx, 200,
        things.listByChannel(bearerToken(ctx), ctx.pathParam("chanID"), query(ctx))));
    router.post("/channels/:chanID/access").handler(ctx -> ApiResponses.reply(ctx, 200,
        connections.access(ApiResponses.thingKey(ctx), ApiResponses.optionalBearerToken(ctx),
            ctx.pathParam("chanID"), jsonBody(ctx))));
    router.post("/connect").handler(ctx -> ApiResponses.reply(ctx, 201,
        connections.connect(bearerToken(ctx), jsonBody(ctx))));
    router.post("/disconnect").handler(ctx -> ApiResponses.noContent(ctx,
        connections.disconnect(bearerToken(ctx), jsonBody(ctx))));
    router.post("/identify").handler(this::identify);
    router.post("/policies").handler(ctx -> ApiResponses.reply(ctx, 201,
        connections.addPolicy(bearerToken(ctx), jsonBody(ctx))));
    router.put("/policies").handler(ctx -> ApiResponses.reply(ctx, 200,
        connections.updatePolicy(bearerToken(ctx), jsonBody(ctx))));
    router.get("/policies").handler(ctx -> ApiResponses.reply(ctx, 200,
        connections.listPolicies(bearerToken(ctx), query(ctx))));
    router.delete("/policies/:sub/:obj").handler(ctx -> ApiResponses.noContent(ctx,
        connections.deletePolicy(bearerToken(ctx), ctx.pathParam("sub"), ctx.pathParam("obj"))));
  }

  /** The key comes as {@code Authorization: Thing <key>} or, as in the reference API, as {@code secret} in the body. */
  private void identify(RoutingContext ctx) {
    String key = ApiResponses.thingKey(ctx);
    if (key == null) {
      key = io.fluxgate.api.RequestFields.optionalString(jsonBody(ctx), "secret", 1024);
    }
    ApiResponses.reply(ctx, 200, things.identify(key).map(id -> new JsonObject().put("id", id)));
  }

  private static JsonObject bulkPage(JsonArray items) {
    return new JsonObject().put("total", items.size()).put("offset", 0).put("limit", items.size())
        .put("items", items);
  }

  /** The access index, for benchmarks and tests on this node. */
  public AccessIndex index() {
    return index;
  }

  @Override
  public String service() {
    return "things";
  }

  @Override
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }
}
