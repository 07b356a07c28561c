package io.fluxgate.users;

import io.fluxgate.api.ApiResponses;
import io.fluxgate.api.ApiServer;
import io.fluxgate.api.ServiceEndpoint;
import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.Streams;
import io.fluxgate.events.EventPublisher;
import io.fluxgate.sql.Database;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.backends.BackendRegistries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires the users service: its REST API (the route table below), its bus address, the first administrator. */
public final class UsersVerticle extends VerticleBase implements ServiceEndpoint {

  private static final Logger LOG = LoggerFactory.getLogger(UsersVerticle.class);

  private final UsersConfig config;
  private final SmtpConfig smtp;
  private final Database db;
  private final EventPublisher publisher;
  private final Streams streams;
  private final String instance;
  private final String host;
  private final int port;
  private final boolean readEvents;
  private ResetMails mails;
  private PublicCallLimits limits;
  private UsersService users;
  private GroupsService groups;
  private PoliciesService policies;
  private HttpServer server;

  public UsersVerticle(UsersConfig config, SmtpConfig smtp, Database db, EventPublisher publisher, Streams streams, String instance,
      String host, int port, boolean readEvents) {
    this.config = config;
    this.smtp = smtp;
    this.db = db;
    this.publisher = publisher;
    this.streams = streams;
    this.instance = instance;
    this.host = host;
    this.port = port;
    this.readEvents = readEvents;
  }

  @Override
  public Future<?> start() {
    if (!config.resetEnabled()) {
      LOG.warn("password reset is off: set users.reset_url (FG_USERS_RESET_URL) to the reset page mails link to");
    }
    mails = new ResetMails(MailClient.create(vertx, smtp.mailConfig()), smtp.from(), config.resetUrl());
    limits = new PublicCallLimits(config);
    registerMetrics();
    Passwords passwords = new Passwords(vertx, config.bcryptCost(), config.bcryptThreads(), config.bcryptQueue());
    users = new UsersService(config, new UserRepository(db), passwords,
        new UserTokens(vertx, config), new UserEvents(streams.users(), instance), publisher, mails, readEvents);
    UserEvents events = new UserEvents(streams.users(), instance);
    PolicyRepository policyRepository = new PolicyRepository(db);
    groups = new GroupsService(users, new GroupRepository(db), policyRepository, events, publisher, readEvents);
    policies = new PoliciesService(users, groups, policyRepository, events, publisher, readEvents);
    Router router = ApiServer.router(vertx, "users");
    addRoutes(router);
    vertx.eventBus().<String>consumer(Addresses.USERS_IDENTIFY, message -> users.identify(message.body())
        .onSuccess(user -> message.reply(new JsonObject().put("id", user.id()).put("admin", user.isAdmin())))
        .onFailure(e -> message.fail(401, e.getMessage())));
    vertx.eventBus().<String>consumer(Addresses.USERS_EXISTS, message -> users.exists(message.body())
        .onSuccess(message::reply).onFailure(e -> message.fail(500, e.getMessage())));
    return users.ensureAdmin()
        .compose(v -> ApiServer.listen(vertx, "users", host, port, router))
        .onSuccess(listening -> server = listening);
  }

  private void addRoutes(Router router) {
    router.post("/users").handler(limits.register()).handler(ctx -> ApiResponses.created(ctx, "/users",
        users.register(optionalBearer(ctx), ApiResponses.jsonBody(ctx)).map(User::toApi)));
    router.get("/users").handler(ctx -> ApiResponses.reply(ctx, 200,
        users.list(ApiResponses.bearerToken(ctx), withAll(query(ctx), ctx, "tags"))));
    router.patch("/users/secret").handler(ctx -> ApiResponses.reply(ctx, 200,
        users.updateSecret(ApiResponses.bearerToken(ctx), ApiResponses.jsonBody(ctx)).map(User::toApi)));
    changeRoute(router, "/users/:userID", users::update);
    changeRoute(router, "/users/:userID/tags", users::updateTags);
    changeRoute(router, "/users/:userID/identity", users::updateIdentity);
    changeRoute(router, "/users/:userID/owner", users::updateOwner);
    router.post("/users/:userID/enable").handler(ctx -> ApiResponses.reply(ctx, 200,
        users.changeStatus(ApiResponses.bearerToken(ctx), ctx.pathParam("userID"), true).map(User::toApi)));
    router.post("/users/:userID/disable").handler(ctx -> ApiResponses.reply(ctx, 200,
        users.changeStatus(ApiResponses.bearerToken(ctx), ctx.pathParam("userID"), false).map(User::toApi)));
    router.post("/password/reset-request").handler(limits.reset()).handler(ctx -> ApiResponses.reply(ctx, 201,
        users.requestReset(ApiResponses.jsonBody(ctx)).map(v -> new JsonObject())));
    router.put("/password/reset").handler(limits.reset()).handler(ctx -> ApiResponses.reply(ctx, 201,
        users.resetSecret(ApiResponses.jsonBody(ctx)).map(v -> new JsonObject())));
    router.post("/groups").handler(ctx -> ApiResponses.created(ctx, "/groups",
        groups.create(ApiResponses.bearerToken(ctx), ApiResponses.jsonBody(ctx)).map(Group::toApi)));
    router.get("/groups").handler(ctx -> ApiResponses.reply(ctx, 200,
        groups.list(ApiResponses.bearerToken(ctx), query(ctx))));
    router.get("/groups/:groupId").handler(ctx -> ApiResponses.reply(ctx, 200,
        groups.view(ApiResponses.bearerToken(ctx), ctx.pathParam("groupId")).map(Group::toApi)));
    router.put("/groups/:groupId").handler(ctx -> ApiResponses.reply(ctx, 200,
        groups.update(ApiResponses.bearerToken(ctx), ctx.pathParam("groupId"), ApiResponses.jsonBody(ctx))
            .map(Group::toApi)));
    router.get("/groups/:groupId/children").handler(ctx -> ApiResponses.reply(ctx, 200,
        groups.children(ApiResponses.bearerToken(ctx), ctx.pathParam("groupId"), query(ctx))));
    router.get("/groups/:groupId/parents").handler(ctx -> ApiResponses.reply(ctx, 200,
        groups.parents(ApiResponses.bearerToken(ctx), ctx.pathParam("groupId"), query(ctx))));
    router.post("/groups/:groupId/enable").handler(ctx -> ApiResponses.reply(ctx, 200,
        groups.changeStatus(ApiResponses.bearerToken(ctx), ctx.pathParam("groupId"), true).map(Group::toApi)));
    router.post("/groups/:groupId/disable").handler(ctx -> ApiResponses.reply(ctx, 200,
        groups.changeStatus(ApiResponses.bearerToken(ctx), ctx.pathParam("groupId"), false).map(Group::toApi)));
    router.get("/groups/:groupId/members").handler(ctx -> ApiResponses.reply(ctx, 200,
        groups.members(ApiResponses.bearerToken(ctx), ctx.pathParam("groupId"), withAll(query(ctx), ctx, "tags"))));
    router.get("/users/:userID/memberships").handler(ctx -> ApiResponses.reply(ctx, 200,
        groups.memberships(ApiResponses.bearerToken(ctx), ctx.pathParam("userID"), query(ctx))));
    router.post("/policies").handler(ctx -> ApiResponses.reply(ctx, 201,
        policies.add(ApiResponses.bearerToken(ctx), ApiResponses.jsonBody(ctx)).map(Policy::toApi)));
    router.put("/policies").handler(ctx -> ApiResponses.reply(ctx, 200,
        policies.update(ApiResponses.bearerToken(ctx), ApiResponses.jsonBody(ctx)).map(Policy::toApi)));
    router.get("/policies").handler(ctx -> ApiResponses.reply(ctx, 200,
        policies.list(ApiResponses.bearerToken(ctx), withAll(query(ctx), ctx, "actions"))));
    router.delete("/policies/:subject/:object").handler(ctx -> ApiResponses.noContent(ctx, policies
        .delete(ApiResponses.bearerToken(ctx), ctx.pathParam("subject"), ctx.pathParam("object"))));
    router.get("/users/profile").handler(ctx -> ApiResponses.reply(ctx, 200,
        users.profile(ApiResponses.bearerToken(ctx)).map(User::toApi)));
    router.get("/users/:userID").handler(ctx -> ApiResponses.reply(ctx, 200,
        users.view(ApiResponses.bearerToken(ctx), ctx.pathParam("userID")).map(User::toApi)));
    router.post("/users/tokens/issue").handler(limits.signIn()).handler(ctx -> ApiResponses.reply(ctx, 200,
        users.issueToken(ApiResponses.jsonBody(ctx))));
    router.post("/users/tokens/refresh").handler(ctx -> ApiResponses.reply(ctx, 200,
        users.refreshToken(ApiResponses.bearerToken(ctx))));
    router.post("/users/tokens/revoke").handler(ctx -> ApiResponses.noContent(ctx,
        users.revokeTokens(ApiResponses.bearerToken(ctx))));
  }

  /** Counters operators watch on /metrics; absent when the node runs without metrics. */
  private void registerMetrics() {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    if (registry != null) {
      FunctionCounter.builder("fluxgate_users_reset_mail_failures", mails, ResetMails::failures)
          .description("Password-reset mails not sent (SMTP or look-up failures)").register(registry);
      FunctionCounter.builder("fluxgate_users_rate_limited", limits, PublicCallLimits::refused)
          .description("Sign-ins, self-registrations and password resets refused with 429 by this node")
          .register(registry);
    }
  }

  /** Reset mails not sent since this verticle started. */
  long resetMailFailures() {
    return mails.failures();
  }

  private static java.util.Map<String, String> query(RoutingContext ctx) {
    return ApiResponses.query(ctx);
  }

  // An array parameter of the reference: repeated (actions=a&actions=b) or comma-separated, read as one list.
  private static java.util.Map<String, String> withAll(java.util.Map<String, String> query, RoutingContext ctx,
      String key) {
    if (ctx.queryParams().getAll(key).size() > 1) {
      query.put(key, String.join(",", ctx.queryParams().getAll(key)));
    }
    return query;
  }

  /** A PATCH of one user's account with a JSON body. */
  @FunctionalInterface
  private interface AccountChange {
    Future<User> apply(String accessToken, String userId, JsonObject body);
  }

  private static void changeRoute(Router router, String path, AccountChange change) {
    router.patch(path).handler(ctx -> ApiResponses.reply(ctx, 200,
        change.apply(ApiResponses.bearerToken(ctx), ctx.pathParam("userID"), ApiResponses.jsonBody(ctx))
            .map(User::toApi)));
  }

  private static String optionalBearer(RoutingContext ctx) {
    return ctx.request().getHeader("Authorization") == null ? null : ApiResponses.bearerToken(ctx);
  }

  @Override
  public String service() {
    return "users";
  }

  @Override
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }
}
