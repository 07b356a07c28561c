package io.fluxgate.users;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.config.ConfigTree;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.EventLogFixture;
import io.fluxgate.testing.StoreBackend;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import io.fluxgate.testing.TestStores;

/**
 * The users API over real HTTP against a real database (a subclass picks H2 or PostgreSQL): accounts, tokens,
 * access rules, errors that change nothing, and the users-stream events of each call.
 */
abstract class UsersApiContract {

  static final String ADMIN = "admin@example.com";
  static final String ADMIN_SECRET = "admin-secret-1";
  static final String RESET_PAGE = "https://console.example.com/password/reset";

  /** A real SMTP server of the test's own, on a free port. */
  @RegisterExtension
  static final GreenMailExtension SMTP = new GreenMailExtension(
      new ServerSetup(TestStores.freePort(), "127.0.0.1", ServerSetup.PROTOCOL_SMTP));

  @TempDir
  java.nio.file.Path dataDir;

  EventLogFixture fx;
  WebClient http;
  int port;
  String deployment;
  UsersVerticle verticle;
  final Queue<DomainEvent> events = new ConcurrentLinkedQueue<>();
  /** Every secret and token a test used: none may ever show up in an event. */
  final Queue<String> secretsUsed = new ConcurrentLinkedQueue<>(List.of(ADMIN_SECRET));

  abstract StoreBackend backend();

  UsersConfig config(Map<String, String> overrides) {
    Map<String, String> env = new HashMap<>(Map.of(
        "FG_USERS_ADMIN_IDENTITY", ADMIN, "FG_USERS_ADMIN_SECRET", ADMIN_SECRET, "FG_USERS_BCRYPT_COST", "4",
        "FG_USERS_RESET_URL", RESET_PAGE));
    env.putAll(overrides);
    return UsersConfig.from(new ConfigTree(new JsonObject(), env), dataDir);
  }

  @BeforeEach
  void start() {
    fx = EventLogFixture.start(backend().database(), backend().events());
    Await.result(fx.vertx.eventBus().<DomainEvent>consumer(Addresses.events(fx.streams().users()),
        m -> events.add(m.body())).completion());
    deploy(config(Map.of()));
    http = WebClient.create(fx.vertx);
  }

  void deploy(UsersConfig config) {
    deploy(config, true);
  }

  void deploy(UsersConfig config, boolean readEvents) {
    deploy(config, readEvents, SMTP.getSmtp().getPort());
  }

  void deploy(UsersConfig config, boolean readEvents, int smtpPort) {
    SmtpConfig smtp = new SmtpConfig("127.0.0.1", smtpPort, "", "", "fluxgate@test.example", "disabled");
    UsersVerticle users = new UsersVerticle(config, smtp, fx.db, fx.log.publisher(), fx.streams(), "test-node",
        "127.0.0.1", 0, readEvents);
    verticle = users;
    deployment = Await.result(fx.vertx.deployVerticle(users));
    port = users.actualPort();
  }

  @AfterEach
  void stop() throws InterruptedException {
    try {
      // Let events of the test's last calls arrive before the scan.
      Thread.sleep(200);
      for (DomainEvent event : events) {
        String json = event.toJson().encode();
        for (String secret : secretsUsed) {
          assertThat(json).as(event.operation() + " carries a secret or token").doesNotContain(secret);
        }
        assertThat(json).doesNotContain("$2a$", "$2y$", "$2b$");
      }
    } finally {
      if (fx != null) {
        fx.close();
      }
    }
  }

  HttpResponse<Buffer> post(String path, String token, JsonObject body) {
    var request = http.post(port, "127.0.0.1", path);
    if (token != null) {
      request.bearerTokenAuthentication(token);
    }
    HttpResponse<Buffer> response = Await.result(body == null ? request.send() : request.sendJsonObject(body));
    if (path.startsWith("/users/tokens/") && response.statusCode() == 200) {
      secretsUsed.add(response.bodyAsJsonObject().getString("access_token"));
      secretsUsed.add(response.bodyAsJsonObject().getString("refresh_token"));
    }
    return response;
  }

  HttpResponse<Buffer> get(String path, String token) {
    var request = http.get(port, "127.0.0.1", path);
    if (token != null) {
      request.bearerTokenAuthentication(token);
    }
    return Await.result(request.send());
  }

  JsonObject newUser(String name, String identity, String secret) {
    secretsUsed.add(secret);
    return new JsonObject().put("name", name)
        .put("credentials", new JsonObject().put("identity", identity).put("secret", secret));
  }

  JsonObject tokens(String identity, String secret) {
    var response = post("/users/tokens/issue", null, new JsonObject().put("identity", identity).put("secret", secret));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    secretsUsed.add(response.bodyAsJsonObject().getString("access_token"));
    secretsUsed.add(response.bodyAsJsonObject().getString("refresh_token"));
    return response.bodyAsJsonObject();
  }

  String register(String name, String identity, String secret) {
    var response = post("/users", null, newUser(name, identity, secret));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return response.bodyAsJsonObject().getString("id");
  }

  List<DomainEvent> eventsOf(String operation) {
    return events.stream().filter(e -> e.operation().equals(operation)).toList();
  }

  DomainEvent awaitEvent(String operation, int count) {
    Await.until(count + " " + operation, Duration.ofSeconds(10), () -> eventsOf(operation).size() >= count);
    return eventsOf(operation).get(count - 1);
  }

  long usersInDatabase() {
    return Await.result(fx.db.inTransaction(conn -> conn.query("SELECT COUNT(*) AS n FROM users").execute()))
        .iterator().next().getLong("n");
  }

  @Test
  void registersAUserAndEmitsUserCreateWithoutTheSecret() {
    var response = post("/users", null, newUser("alice", "alice@example.com", "alice-secret")
        .put("tags", new io.vertx.core.json.JsonArray().add("ops")).put("metadata", new JsonObject().put("site", 4)));

    assertThat(response.statusCode()).isEqualTo(201);
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.getJsonObject("credentials").getString("identity")).isEqualTo("alice@example.com");
    assertThat(body.getJsonObject("credentials").containsKey("secret")).isFalse();
    assertThat(body.getString("status")).isEqualTo("enabled");

    String id = body.getString("id");
    // Found by id, not by position: the administrator's own user.create may be delivered before or after it.
    Await.until("alice's user.create", Duration.ofSeconds(10), () -> eventsOf("user.create").stream()
        .anyMatch(e -> id.equals(e.fields().getString("id"))));
    DomainEvent created = eventsOf("user.create").stream().filter(e -> id.equals(e.fields().getString("id")))
        .findFirst().orElseThrow();
    assertThat(created.revision()).isEqualTo(1);
    assertThat(created.fields().getString("id")).isEqualTo(body.getString("id"));
    assertThat(created.fields().getString("identity")).isEqualTo("alice@example.com");
    assertThat(created.fields().getString("status")).isEqualTo("enabled");
    assertThat(created.fields().getString("created_at")).isNotBlank();
    assertThat(created.fields().getJsonObject("metadata").getInteger("site")).isEqualTo(4);
    assertThat(created.toJson().encode()).doesNotContain("alice-secret");
  }

  @Test
  void createsTheFirstAdministratorOnceAcrossRestarts() {
    Await.result(fx.vertx.undeploy(deployment));
    deploy(config(Map.of()));
    assertThat(usersInDatabase()).isEqualTo(1);
    JsonObject adminTokens = tokens(ADMIN, ADMIN_SECRET);
    assertThat(adminTokens.getString("access_type")).isEqualTo("Bearer");
    // The first start's event may still be on its way: wait for it, then there is that one only.
    awaitEvent("user.create", 1);
    assertThat(eventsOf("user.create")).hasSize(1);
  }

  @Test
  void rejectsADuplicateIdentityWith409AndWritesNothing() {
    register("alice", "alice@example.com", "alice-secret");
    var again = post("/users", null, newUser("alice 2", "alice@example.com", "other-secret"));

    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(again.bodyAsJsonObject().getString("error")).isEqualTo("entity already exists");
    assertThat(usersInDatabase()).isEqualTo(2);
    awaitEvent("user.create", 2);
    assertThat(eventsOf("user.create")).hasSize(2);
  }

  @Test
  void refusesBadRequestsPreciselyAndWritesNothing() {
    var notJson = Await.result(http.post(port, "127.0.0.1", "/users").putHeader("Content-Type", "text/plain")
        .sendBuffer(Buffer.buffer("alice")));
    assertThat(notJson.statusCode()).isEqualTo(415);

    var malformed = Await.result(http.post(port, "127.0.0.1", "/users")
        .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("{\"name\": ")));
    assertThat(malformed.statusCode()).isEqualTo(400);
    assertThat(malformed.bodyAsJsonObject().getString("error")).isEqualTo("malformed entity specification");

    var noCredentials = post("/users", null, new JsonObject().put("name", "x"));
    assertThat(noCredentials.statusCode()).isEqualTo(400);
    assertThat(noCredentials.bodyAsJsonObject().getString("message")).contains("credentials");

    var shortSecret = post("/users", null, new JsonObject()
        .put("credentials", new JsonObject().put("identity", "x@example.com").put("secret", "short")));
    assertThat(shortSecret.statusCode()).isEqualTo(400);
    assertThat(shortSecret.bodyAsJsonObject().getString("message")).contains("credentials.secret", "8");

    var badTags = post("/users", null, newUser("x", "x@example.com", "long-enough").put("tags", "ops"));
    assertThat(badTags.statusCode()).isEqualTo(400);
    assertThat(badTags.bodyAsJsonObject().getString("message")).contains("tags");

    var tooLarge = post("/users", null, newUser("x".repeat(2 * 1024 * 1024), "x@example.com", "long-enough"));
    assertThat(tooLarge.statusCode()).isEqualTo(413);

    var selfOwned = post("/users", null, newUser("x", "x@example.com", "long-enough").put("status", "disabled"));
    assertThat(selfOwned.statusCode()).isEqualTo(403);

    assertThat(usersInDatabase()).as("only the administrator").isEqualTo(1);
  }

  @Test
  void theContentTypeIsMatchedExactlyWithItsParameters() {
    Buffer body = newUser("x", "x@example.com", "long-enough").toBuffer();
    for (String lookalike : List.of("application/jsonp", "application/json-patch+json", "application/jsonx; a=b",
        "text/plain; x=application/json")) {
      var refused = Await.result(http.post(port, "127.0.0.1", "/users").putHeader("Content-Type", lookalike)
          .sendBuffer(body));
      assertThat(refused.statusCode()).as(lookalike).isEqualTo(415);
      assertThat(refused.bodyAsJsonObject().getString("error")).isEqualTo("unsupported content type");
    }
    var withCharset = Await.result(http.post(port, "127.0.0.1", "/users")
        .putHeader("Content-Type", "Application/JSON ; charset=utf-8").sendBuffer(body));
    assertThat(withCharset.statusCode()).as(withCharset.bodyAsString()).isEqualTo(201);
  }

  @Test
  void routerLevelErrorsAreInTheErrorShape() {
    var unknown = get("/nowhere", null);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.getHeader("Content-Type")).isEqualTo("application/json");
    assertThat(unknown.bodyAsJsonObject().getString("error")).isEqualTo("entity not found");
    assertThat(unknown.bodyAsJsonObject().getString("message")).contains("/nowhere");

    var wrongMethod = Await.result(http.delete(port, "127.0.0.1", "/users/tokens/issue").send());
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(wrongMethod.getHeader("Content-Type")).isEqualTo("application/json");
    assertThat(wrongMethod.bodyAsJsonObject().getString("error")).isEqualTo("method not allowed");
    assertThat(wrongMethod.bodyAsJsonObject().getString("message")).contains("DELETE");

    var tooLong = get("/users/" + "x".repeat(10_000), null);
    assertThat(tooLong.statusCode()).isEqualTo(414);
    assertThat(tooLong.getHeader("Content-Type")).isEqualTo("application/json");
    assertThat(tooLong.bodyAsJsonObject().getString("error")).isEqualTo("request URI too long");
    assertThat(tooLong.bodyAsJsonObject().getString("message")).isNotBlank();
  }

  @Test
  void aNulCharacterInAnyStringIsA400OnEveryDatabaseAndWritesNothing() {
    String nul = "a\u0000b";
    assertThat(post("/users", null, newUser(nul, "x@example.com", "long-enough")).statusCode()).isEqualTo(400);
    assertThat(post("/users", null, newUser("x", nul + "@example.com", "long-enough")).statusCode()).isEqualTo(400);
    var inMetadata = post("/users", null, newUser("x", "x@example.com", "long-enough")
        .put("metadata", new JsonObject().put("note", new io.vertx.core.json.JsonArray().add(nul))));
    assertThat(inMetadata.statusCode()).isEqualTo(400);
    assertThat(inMetadata.bodyAsJsonObject().getString("error")).isEqualTo("malformed entity specification");
    assertThat(inMetadata.bodyAsJsonObject().getString("message")).contains("metadata.note", "NUL");
    assertThat(post("/users", null, newUser("x", "x@example.com", "long-enough")
        .put("metadata", new JsonObject().put(nul, 1))).statusCode()).isEqualTo(400);
    assertThat(post("/users/tokens/issue", null, new JsonObject().put("identity", nul).put("secret", "whatever-1"))
        .statusCode()).isEqualTo(400);

    String adminToken = tokens(ADMIN, ADMIN_SECRET).getString("access_token");
    assertThat(get("/users/a%00b", adminToken).statusCode()).isEqualTo(400);
    assertThat(get("/users?name=a%00b", adminToken).statusCode()).isEqualTo(400);
    assertThat(get("/users?identity=a%00b", adminToken).bodyAsJsonObject().getString("error"))
        .isEqualTo("malformed entity specification");
    assertThat(usersInDatabase()).as("only the administrator").isEqualTo(1);
  }

  @Test
  void issuesTokensOnlyForTheRightCredentials() {
    String alice = register("alice", "alice@example.com", "alice-secret");
    JsonObject pair = tokens("alice@example.com", "alice-secret");
    assertThat(pair.getString("access_token")).isNotBlank();
    assertThat(pair.getString("refresh_token")).isNotBlank();

    var wrongSecret = post("/users/tokens/issue", null,
        new JsonObject().put("identity", "alice@example.com").put("secret", "not-her-secret"));
    var unknown = post("/users/tokens/issue", null,
        new JsonObject().put("identity", "nobody@example.com").put("secret", "whatever-it-is"));
    assertThat(wrongSecret.statusCode()).isEqualTo(401);
    assertThat(unknown.statusCode()).isEqualTo(401);
    assertThat(unknown.bodyAsJsonObject()).isEqualTo(wrongSecret.bodyAsJsonObject());

    awaitEvent("user.issue_token", 3);
    List<DomainEvent> issued = eventsOf("user.issue_token");
    assertThat(issued.get(0).fields().getString("user_id")).isEqualTo(alice);
    assertThat(issued.get(1).fields().containsKey("user_id")).isFalse();
    assertThat(issued.get(2).fields().getString("identity")).isEqualTo("nobody@example.com");
  }

  @Test
  void aRefreshTokenIsNotAnAccessTokenAndBuysANewPair() {
    register("alice", "alice@example.com", "alice-secret");
    JsonObject pair = tokens("alice@example.com", "alice-secret");

    assertThat(get("/users/profile", pair.getString("refresh_token")).statusCode()).isEqualTo(401);
    assertThat(post("/users/tokens/refresh", pair.getString("access_token"), null).statusCode()).isEqualTo(401);

    var refreshed = post("/users/tokens/refresh", pair.getString("refresh_token"), null);
    assertThat(refreshed.statusCode()).isEqualTo(200);
    var profile = get("/users/profile", refreshed.bodyAsJsonObject().getString("access_token"));
    assertThat(profile.statusCode()).isEqualTo(200);
    assertThat(profile.bodyAsJsonObject().getJsonObject("credentials").getString("identity"))
        .isEqualTo("alice@example.com");
    awaitEvent("user.refresh_token", 1);
    awaitEvent("user.view_profile", 1);
  }

  /** Whether {@code pair}'s access token still authenticates and its refresh token still buys tokens. */
  boolean[] stillValid(JsonObject pair) {
    return new boolean[] {get("/users/profile", pair.getString("access_token")).statusCode() == 200,
        post("/users/tokens/refresh", pair.getString("refresh_token"), null).statusCode() == 200};
  }

  @Test
  void aSignOutAPasswordChangeOrResetAndADisableEndEveryEarlierToken() throws Exception {
    String alice = register("alice", "alice@example.com", "alice-secret");
    String adminToken = tokens(ADMIN, ADMIN_SECRET).getString("access_token");
    JsonObject laptop = tokens("alice@example.com", "alice-secret");
    JsonObject phone = tokens("alice@example.com", "alice-secret");

    // An explicit sign-out with either token ends every session of the user, not just the one asking.
    assertThat(post("/users/tokens/revoke", null, null).statusCode()).isEqualTo(401);
    assertThat(post("/users/tokens/revoke", laptop.getString("refresh_token"), null).statusCode()).isEqualTo(204);
    assertThat(stillValid(laptop)).containsExactly(false, false);
    assertThat(stillValid(phone)).containsExactly(false, false);
    var again = post("/users/tokens/revoke", phone.getString("access_token"), null);
    assertThat(again.statusCode()).as("a revoked token cannot revoke").isEqualTo(401);
    assertThat(again.bodyAsJsonObject().getString("message")).contains("revoked");
    DomainEvent revoked = awaitEvent("user.revoke_token", 1);
    assertThat(revoked.fields().getString("user_id")).isEqualTo(alice);
    assertThat(revoked.revision()).isEqualTo(DomainEvent.NO_REVISION);

    // A password change ends the tokens it was made with, too.
    JsonObject beforeChange = tokens("alice@example.com", "alice-secret");
    assertThat(stillValid(beforeChange)).containsExactly(true, true);
    secretsUsed.add("changed-secret");
    assertThat(patch("/users/secret", beforeChange.getString("access_token"), new JsonObject()
        .put("old_secret", "alice-secret").put("new_secret", "changed-secret")).statusCode()).isEqualTo(200);
    assertThat(stillValid(beforeChange)).containsExactly(false, false);

    // A disable ends them, and enabling the user again does not bring them back.
    JsonObject beforeDisable = tokens("alice@example.com", "changed-secret");
    assertThat(post("/users/" + alice + "/disable", adminToken, null).statusCode()).isEqualTo(200);
    assertThat(post("/users/" + alice + "/enable", adminToken, null).statusCode()).isEqualTo(200);
    assertThat(stillValid(beforeDisable)).containsExactly(false, false);
    var identified = fx.vertx.eventBus().request(Addresses.USERS_IDENTIFY, beforeDisable.getString("access_token"));
    assertThat(((io.vertx.core.eventbus.ReplyException) Await.failure(identified)).failureCode())
        .as("other services asking over the bus are refused alike").isEqualTo(401);

    // A reset through the mailed link ends them as well.
    JsonObject beforeReset = tokens("alice@example.com", "changed-secret");
    assertThat(requestReset("alice@example.com").statusCode()).isEqualTo(201);
    String resetToken = mailedResetToken();
    secretsUsed.add("reset-secret-1");
    assertThat(reset(resetToken, "reset-secret-1", "reset-secret-1").statusCode()).isEqualTo(201);
    assertThat(stillValid(beforeReset)).containsExactly(false, false);

    assertThat(stillValid(tokens("alice@example.com", "reset-secret-1"))).containsExactly(true, true);
    assertThat(eventsOf("user.revoke_token")).as("one event per sign-out, none for the others").hasSize(1);
  }

  @Test
  void aRefreshNeverExtendsTheSessionBeyondItsSignIn() throws Exception {
    register("alice", "alice@example.com", "alice-secret");
    JsonObject signIn = tokens("alice@example.com", "alice-secret");
    // JWT times are whole seconds: wait until the clock has moved past the sign-in's second.
    long issuedAt = claims(signIn.getString("refresh_token")).getLong("iat");
    Await.until("the next second", Duration.ofSeconds(3), () -> System.currentTimeMillis() / 1000 > issuedAt);

    var refreshed = post("/users/tokens/refresh", signIn.getString("refresh_token"), null);
    assertThat(refreshed.statusCode()).isEqualTo(200);
    JsonObject renewed = claims(refreshed.bodyAsJsonObject().getString("refresh_token"));
    assertThat(renewed.getLong("iat")).isGreaterThan(issuedAt);
    assertThat(renewed.getLong("exp")).as("the refreshed refresh token ends when the sign-in's does")
        .isEqualTo(claims(signIn.getString("refresh_token")).getLong("exp"));
  }

  /** The claims of a JWT, read without checking its signature. */
  static JsonObject claims(String jwt) {
    return new JsonObject(new String(java.util.Base64.getUrlDecoder().decode(jwt.split("\\.")[1]),
        java.nio.charset.StandardCharsets.UTF_8));
  }

  /** The token of the one reset mail received so far. */
  String mailedResetToken() {
    assertThat(SMTP.waitForIncomingEmail(10_000, 1)).isTrue();
    String body = GreenMailUtil.getBody(SMTP.getReceivedMessages()[0]);
    var link = java.util.regex.Pattern.compile("\\?token=(\\S+)").matcher(body);
    assertThat(link.find()).as(body).isTrue();
    secretsUsed.add(link.group(1));
    return link.group(1);
  }

  HttpResponse<Buffer> from(String client, io.vertx.core.http.HttpMethod method, String path, JsonObject body) {
    return Await.result(http.request(method, port, "127.0.0.1", path).putHeader("X-Client-Address", client)
        .sendJsonObject(body));
  }

  void assertTooManyRequests(HttpResponse<Buffer> response, String whose) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(429);
    assertThat(response.getHeader("Content-Type")).isEqualTo("application/json");
    assertThat(response.bodyAsJsonObject().getString("error")).isEqualTo("too many requests");
    assertThat(response.bodyAsJsonObject().getString("message")).contains(whose);
    assertThat(Integer.parseInt(response.getHeader("Retry-After"))).isBetween(1, 3600);
  }

  @Test
  void signInsRegistrationsAndResetsAreLimitedPerIdentityAndPerClientAddress() throws Exception {
    Await.result(fx.vertx.undeploy(deployment));
    // The proxy's header names the client, so the test speaks from several addresses.
    deploy(config(Map.of("FG_USERS_RATE_SIGN_IN", "3/1h", "FG_USERS_RATE_REGISTER", "2/1h",
        "FG_USERS_RATE_RESET", "2/1h", "FG_USERS_CLIENT_ADDRESS_HEADER", "X-Client-Address")));
    var POST = io.vertx.core.http.HttpMethod.POST;
    register("alice", "alice@example.com", "alice-secret");
    JsonObject wrong = new JsonObject().put("identity", "alice@example.com").put("secret", "not-her-secret");

    // Per identity: the fourth guess at alice's secret is refused, whichever address it comes from.
    for (int i = 0; i < 3; i++) {
      assertThat(from("10.0.0." + i, POST, "/users/tokens/issue", wrong).statusCode()).isEqualTo(401);
    }
    assertTooManyRequests(from("10.0.0.9", POST, "/users/tokens/issue",
        new JsonObject().put("identity", "ALICE@example.com").put("secret", "alice-secret")), "identity");
    assertThat(from("10.0.0.9", POST, "/users/tokens/issue",
        new JsonObject().put("identity", ADMIN).put("secret", ADMIN_SECRET)).statusCode()).isEqualTo(200);

    // Per address: the fourth sign-in from one address is refused, whoever it names.
    for (int i = 0; i < 3; i++) {
      assertThat(from("10.0.1.1", POST, "/users/tokens/issue", new JsonObject()
          .put("identity", "nobody" + i + "@example.com").put("secret", "whatever-it-is")).statusCode()).isEqualTo(401);
    }
    assertTooManyRequests(from("10.0.1.1", POST, "/users/tokens/issue", new JsonObject()
        .put("identity", "nobody9@example.com").put("secret", "whatever-it-is")), "address");

    // Self-registration, per address; a signed-in user creating accounts is not counted.
    assertThat(from("10.0.2.1", POST, "/users", newUser("b1", "b1@example.com", "bob-secret-1")).statusCode())
        .isEqualTo(201);
    assertThat(from("10.0.2.1", POST, "/users", newUser("b2", "b2@example.com", "bob-secret-1")).statusCode())
        .isEqualTo(201);
    assertTooManyRequests(from("10.0.2.1", POST, "/users", newUser("b3", "b3@example.com", "bob-secret-1")),
        "address");
    String adminToken = tokens(ADMIN, ADMIN_SECRET).getString("access_token");
    var byAdmin = Await.result(http.post(port, "127.0.0.1", "/users").putHeader("X-Client-Address", "10.0.2.1")
        .bearerTokenAuthentication(adminToken).sendJsonObject(newUser("b4", "b4@example.com", "bob-secret-1")));
    assertThat(byAdmin.statusCode()).isEqualTo(201);

    // Password reset, per e-mail address; a refused request mails nothing.
    for (int i = 0; i < 2; i++) {
      assertThat(from("10.0.3." + i, POST, "/password/reset-request",
          new JsonObject().put("email", "alice@example.com")).statusCode()).isEqualTo(201);
    }
    assertTooManyRequests(from("10.0.3.9", POST, "/password/reset-request",
        new JsonObject().put("email", "alice@example.com")), "identity");
    assertThat(SMTP.waitForIncomingEmail(10_000, 2)).isTrue();
    assertThat(from("10.0.3.9", io.vertx.core.http.HttpMethod.PUT, "/password/reset", new JsonObject()
        .put("token", "x").put("password", "p-123456").put("confirm_password", "p-123456")).statusCode())
        .as("the reset itself counts per address too").isEqualTo(401);
    assertTooManyRequests(from("10.0.3.9", io.vertx.core.http.HttpMethod.PUT, "/password/reset", new JsonObject()
        .put("token", "x").put("password", "p-123456").put("confirm_password", "p-123456")), "address");

    assertThat(usersInDatabase()).as("the administrator, alice, b1, b2 and b4").isEqualTo(5);
    assertThat(SMTP.getReceivedMessages()).hasSize(2);
  }

  @Test
  void forgedAndExpiredTokensGet401() throws Exception {
    String aliceId = register("alice", "alice@example.com", "alice-secret");
    Await.result(fx.vertx.undeploy(deployment));
    // JWT times are whole seconds: a 1 s lifetime can end within milliseconds of issue, so give it 3 s.
    deploy(config(Map.of("FG_USERS_ACCESS_TOKEN_TTL", "3s")));
    String shortLived = tokens("alice@example.com", "alice-secret").getString("access_token");
    assertThat(get("/users/profile", shortLived).statusCode()).isEqualTo(200);

    String forged = new UserTokens(fx.vertx, config(Map.of("FG_USERS_TOKEN_KEY", "another-key-entirely-of-at-least-32-bytes")))
        .issue(new User(aliceId, "", "", new io.vertx.core.json.JsonArray(),
            "", new JsonObject(), "enabled", User.Role.ADMIN, "", "", "", 1), 0)
        .getString("access_token");
    assertThat(get("/users/profile", forged).statusCode()).isEqualTo(401);
    assertThat(get("/users/profile", "not-a-jwt").statusCode()).isEqualTo(401);
    assertThat(get("/users/profile", null).statusCode()).isEqualTo(401);

    Thread.sleep(4_100);
    var expired = get("/users/profile", shortLived);
    assertThat(expired.statusCode()).isEqualTo(401);
    assertThat(expired.bodyAsJsonObject().getString("error")).isEqualTo("missing or invalid credentials provided");
  }

  @Test
  void aUserSeesOnlyItsOwnAccountAndAnAdministratorSeesAll() {
    String alice = register("alice", "alice@example.com", "alice-secret");
    String bob = register("bob", "bob@example.com", "bob-secret-1");
    String aliceToken = tokens("alice@example.com", "alice-secret").getString("access_token");
    String adminToken = tokens(ADMIN, ADMIN_SECRET).getString("access_token");

    assertThat(get("/users/" + bob, aliceToken).statusCode()).isEqualTo(403);
    assertThat(get("/users/" + alice, aliceToken).statusCode()).isEqualTo(200);
    assertThat(get("/users/" + bob, adminToken).bodyAsJsonObject().getString("name")).isEqualTo("bob");
    assertThat(get("/users/00000000-0000-0000-0000-000000000000", adminToken).statusCode()).isEqualTo(404);

    awaitEvent("user.view", 2);
    assertThat(eventsOf("user.view").get(0).fields().getString("id")).isEqualTo(alice);
    assertThat(eventsOf("user.view").get(1).fields().getString("id")).isEqualTo(bob);
  }

  @Test
  void identifiesATokenOverTheBusForOtherServices() {
    String alice = register("alice", "alice@example.com", "alice-secret");
    String token = tokens("alice@example.com", "alice-secret").getString("access_token");

    Object caller = Await.result(fx.vertx.eventBus().request(Addresses.USERS_IDENTIFY, token)).body();
    assertThat(caller).isEqualTo(new JsonObject().put("id", alice).put("admin", false));
    var refused = fx.vertx.eventBus().request(Addresses.USERS_IDENTIFY, "forged");
    Await.until("the refusal", Duration.ofSeconds(10), refused::isComplete);
    assertThat(refused.failed()).isTrue();
    assertThat(((io.vertx.core.eventbus.ReplyException) refused.cause()).failureCode()).isEqualTo(401);
    assertThat(awaitEvent("user.identify", 1).fields().getString("user_id")).isEqualTo(alice);
  }

  HttpResponse<Buffer> patch(String path, String token, JsonObject body) {
    return Await.result(http.patch(port, "127.0.0.1", path).bearerTokenAuthentication(token).sendJsonObject(body));
  }

  @Test
  void aUserChangesItsOwnAccountAndEachChangeIsAnEventWithTheNextRevision() {
    String alice = register("alice", "alice@example.com", "alice-secret");
    String bob = register("bob", "bob@example.com", "bob-secret-1");
    String token = tokens("alice@example.com", "alice-secret").getString("access_token");

    var renamed = patch("/users/" + alice, token, new JsonObject().put("name", "Alice")
        .put("metadata", new JsonObject().put("team", "ops")));
    assertThat(renamed.statusCode()).as(renamed.bodyAsString()).isEqualTo(200);
    assertThat(renamed.bodyAsJsonObject().getString("updated_by")).isEqualTo(alice);
    var tagged = patch("/users/" + alice + "/tags", token,
        new JsonObject().put("tags", new io.vertx.core.json.JsonArray().add("night-shift")));
    assertThat(tagged.bodyAsJsonObject().getJsonArray("tags").getString(0)).isEqualTo("night-shift");
    assertThat(patch("/users/" + alice + "/identity", token, new JsonObject().put("identity", "bob@example.com"))
        .statusCode()).as("a taken identity").isEqualTo(409);
    assertThat(patch("/users/" + alice + "/identity", token, new JsonObject().put("identity", "a@example.com"))
        .statusCode()).isEqualTo(200);
    assertThat(patch("/users/" + bob, token, new JsonObject().put("name", "mallory").put("metadata", new JsonObject()))
        .statusCode()).isEqualTo(403);
    assertThat(patch("/users/" + alice + "/tags", token, new JsonObject().put("tags", "x")).statusCode())
        .isEqualTo(400);

    DomainEvent update = awaitEvent("user.update", 1);
    assertThat(update.revision()).isEqualTo(2);
    assertThat(update.fields().getString("name")).isEqualTo("Alice");
    assertThat(update.fields().getString("updated_by")).isEqualTo(alice);
    assertThat(update.fields().getString("updated_at")).isNotBlank();
    assertThat(awaitEvent("user.update_tags", 1).revision()).isEqualTo(3);
    DomainEvent identity = awaitEvent("user.update_identity", 1);
    assertThat(identity.revision()).isEqualTo(4);
    assertThat(identity.fields().getString("identity")).isEqualTo("a@example.com");
    assertThat(eventsOf("user.update_identity")).hasSize(1);
    assertThat(get("/users/" + bob, tokens(ADMIN, ADMIN_SECRET).getString("access_token"))
        .bodyAsJsonObject().getString("name")).isEqualTo("bob");
  }

  @Test
  void onlyAnAdministratorChangesOwnerAndStatusAndADisabledUserCannotSignIn() {
    String alice = register("alice", "alice@example.com", "alice-secret");
    String bob = register("bob", "bob@example.com", "bob-secret-1");
    String aliceToken = tokens("alice@example.com", "alice-secret").getString("access_token");
    String adminToken = tokens(ADMIN, ADMIN_SECRET).getString("access_token");

    assertThat(post("/users/" + bob + "/disable", aliceToken, null).statusCode()).isEqualTo(403);
    assertThat(patch("/users/" + bob + "/owner", aliceToken, new JsonObject().put("owner", alice)).statusCode())
        .isEqualTo(403);

    var disabled = post("/users/" + bob + "/disable", adminToken, null);
    assertThat(disabled.bodyAsJsonObject().getString("status")).isEqualTo("disabled");
    assertThat(post("/users/tokens/issue", null, new JsonObject().put("identity", "bob@example.com")
        .put("secret", "bob-secret-1")).statusCode()).isEqualTo(401);
    DomainEvent changed = awaitEvent("user.change_status", 1);
    assertThat(changed.fields().getString("status")).isEqualTo("disabled");
    assertThat(changed.fields().getString("updated_by")).isNotEqualTo(bob);

    assertThat(post("/users/" + bob + "/enable", adminToken, null).statusCode()).isEqualTo(200);
    tokens("bob@example.com", "bob-secret-1");
    assertThat(patch("/users/" + bob + "/owner", adminToken, new JsonObject().put("owner", alice))
        .bodyAsJsonObject().getString("owner")).isEqualTo(alice);
    assertThat(awaitEvent("user.update_owner", 1).fields().getString("owner")).isEqualTo(alice);
  }

  @Test
  void aNewOwnerMustExist() {
    String alice = register("alice", "alice@example.com", "alice-secret");
    String bob = register("bob", "bob@example.com", "bob-secret-1");
    String adminToken = tokens(ADMIN, ADMIN_SECRET).getString("access_token");
    String aliceToken = tokens("alice@example.com", "alice-secret").getString("access_token");
    String nobody = java.util.UUID.randomUUID().toString();

    var refused = patch("/users/" + bob + "/owner", adminToken, new JsonObject().put("owner", nobody));
    assertThat(refused.statusCode()).isEqualTo(404);
    assertThat(refused.bodyAsJsonObject().getString("message")).contains(nobody);
    assertThat(get("/users/" + bob, adminToken).bodyAsJsonObject().getString("owner")).isNull();
    assertThat(patch("/users/" + bob + "/owner", adminToken, new JsonObject().put("owner", alice)).statusCode())
        .isEqualTo(200);
    assertThat(post("/users", adminToken, newUser("carol", "carol@example.com", "carol-secret").put("owner", nobody))
        .statusCode()).isEqualTo(404);
    assertThat(usersInDatabase()).isEqualTo(3);

    // Groups take the reference's owner_id: an administrator may name an existing owner, nobody else another one.
    assertThat(post("/groups", adminToken, new JsonObject().put("name", "g").put("owner_id", nobody)).statusCode())
        .isEqualTo(404);
    var forAlice = post("/groups", adminToken, new JsonObject().put("name", "g").put("owner_id", alice));
    assertThat(forAlice.statusCode()).as(forAlice.bodyAsString()).isEqualTo(201);
    assertThat(forAlice.bodyAsJsonObject().getString("owner_id")).isEqualTo(alice);
    assertThat(get("/groups/" + forAlice.bodyAsJsonObject().getString("id"), aliceToken).statusCode()).isEqualTo(200);
    assertThat(post("/groups", aliceToken, new JsonObject().put("name", "h").put("owner_id", bob)).statusCode())
        .isEqualTo(403);
    assertThat(eventsOf("user.update_owner")).hasSize(1);
  }

  @Test
  void anIdentityIsAnEmailAddressAndCreatedEntitiesHaveTheirLocation() {
    Await.result(fx.vertx.undeploy(deployment));
    deploy(config(Map.of("FG_USERS_RATE_REGISTER", "off")));
    for (String bad : new String[] {"alice", "alice@", "@example.com", "alice@example.com\r\nBcc: x@example.com",
        " alice@example.com", "al ice@example.com", "alice..b@example.com", "alice@-example.com",
        "a\u0007@example.com"}) {
      var refused = post("/users", null, newUser("alice", bad, "alice-secret"));
      assertThat(refused.statusCode()).as(bad).isEqualTo(400);
      assertThat(refused.bodyAsJsonObject().getString("message")).as(bad).contains("credentials.identity");
    }
    assertThat(usersInDatabase()).as("only the administrator").isEqualTo(1);

    var created = post("/users", null, newUser("alice", "alice.o'brien+ops@sub.example.com", "alice-secret"));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    String alice = created.bodyAsJsonObject().getString("id");
    assertThat(created.getHeader("Location")).isEqualTo("/users/" + alice);
    assertThat(post("/users", null, newUser("jürgen", "jürgen@bücher.example", "jurgen-secret")).statusCode())
        .isEqualTo(201);
    String token = tokens("alice.o'brien+ops@sub.example.com", "alice-secret").getString("access_token");
    assertThat(patch("/users/" + alice + "/identity", token, new JsonObject().put("identity", "alice\n@example.com"))
        .statusCode()).isEqualTo(400);

    var group = post("/groups", token, new JsonObject().put("name", "plant"));
    assertThat(group.statusCode()).isEqualTo(201);
    assertThat(group.getHeader("Location")).isEqualTo("/groups/" + group.bodyAsJsonObject().getString("id"));
    // level is 1 to 5 on every listing of groups, as children and parents had it.
    assertThat(get("/groups?level=0", token).statusCode()).isEqualTo(400);
    assertThat(get("/groups?level=99", token).statusCode()).isEqualTo(400);
    assertThat(get("/groups?level=1", token).bodyAsJsonObject().getLong("total")).isEqualTo(1);

    assertThatThrownBy(() -> config(Map.of("FG_USERS_ADMIN_IDENTITY", "admin")))
        .isInstanceOf(io.fluxgate.config.ConfigException.class).hasMessageContaining("FG_USERS_ADMIN_IDENTITY");
  }

  @Test
  void aUserReplacesItsSecretOnlyWithTheOldOne() {
    register("alice", "alice@example.com", "alice-secret");
    String token = tokens("alice@example.com", "alice-secret").getString("access_token");

    assertThat(patch("/users/secret", token, new JsonObject().put("old_secret", "guess-again")
        .put("new_secret", "brand-new-secret")).statusCode()).isEqualTo(401);
    assertThat(patch("/users/secret", token, new JsonObject().put("old_secret", "alice-secret")
        .put("new_secret", "short")).statusCode()).isEqualTo(400);
    assertThat(patch("/users/secret", token, new JsonObject().put("old_secret", "alice-secret")
        .put("new_secret", "brand-new-secret")).statusCode()).isEqualTo(200);

    tokens("alice@example.com", "brand-new-secret");
    assertThat(post("/users/tokens/issue", null, new JsonObject().put("identity", "alice@example.com")
        .put("secret", "alice-secret")).statusCode()).isEqualTo(401);
    DomainEvent changed = awaitEvent("user.update_secret", 1);
    assertThat(changed.fields().fieldNames()).containsExactlyInAnyOrder("id", "updated_at", "updated_by");
    assertThat(eventsOf("user.update_secret")).hasSize(1);
  }

  @Test
  void anAdministratorListsUsersPageByPageWithFilters() {
    register("alice", "alice@example.com", "alice-secret");
    String bobId = register("bob", "bob@example.com", "bob-secret-1");
    String carolId = register("carol", "carol@example.com", "carol-secret");
    String adminToken = tokens(ADMIN, ADMIN_SECRET).getString("access_token");
    String aliceToken = tokens("alice@example.com", "alice-secret").getString("access_token");

    JsonObject first = get("/users?limit=2&offset=0", adminToken).bodyAsJsonObject();
    assertThat(first.getLong("total")).isEqualTo(4);
    assertThat(first.getJsonArray("users")).hasSize(2);
    JsonObject second = get("/users?limit=2&offset=2", adminToken).bodyAsJsonObject();
    assertThat(second.getJsonArray("users")).hasSize(2);
    assertThat(second.getJsonArray("users").getJsonObject(0).getString("id"))
        .isNotIn(first.getJsonArray("users").getJsonObject(0).getString("id"),
            first.getJsonArray("users").getJsonObject(1).getString("id"));
    patch("/users/" + carolId, adminToken, new JsonObject()
        .put("name", "carol").put("metadata", new JsonObject().put("site", "north").put("shift", 2)));
    patch("/users/" + bobId, adminToken, new JsonObject()
        .put("name", "bob").put("metadata", new JsonObject().put("site", "south").put("note", "\"site\":\"north\"")));
    JsonObject north = get("/users?metadata=" + java.net.URLEncoder.encode("{\"site\":\"north\"}",
        java.nio.charset.StandardCharsets.UTF_8), adminToken).bodyAsJsonObject();
    assertThat(north.getLong("total")).isEqualTo(1);
    assertThat(north.getJsonArray("users").getJsonObject(0).getString("name")).isEqualTo("carol");
    assertThat(get("/users?metadata=42", adminToken).statusCode()).isEqualTo(400);
    JsonObject named = get("/users?name=car", adminToken).bodyAsJsonObject();
    assertThat(named.getLong("total")).isEqualTo(1);
    assertThat(named.getJsonArray("users").getJsonObject(0).getString("name")).isEqualTo("carol");

    assertThat(get("/users?name=%25", adminToken).bodyAsJsonObject().getLong("total"))
        .as("a wildcard in a filter is a literal character").isZero();
    assertThat(get("/users?limit=101", adminToken).statusCode()).isEqualTo(400);
    assertThat(get("/users?offset=-1", adminToken).statusCode()).isEqualTo(400);
    assertThat(get("/users", aliceToken).bodyAsJsonObject().getLong("total"))
        .as("alice created nobody and owns no group with members").isZero();
    assertThat(get("/users?visibility=everyone", aliceToken).statusCode()).isEqualTo(400);

    DomainEvent listed = awaitEvent("user.list", 4);
    awaitEvent("user.list", 5);
    assertThat(listed.fields().getLong("total")).isEqualTo(1);
    assertThat(listed.fields().getString("name")).isEqualTo("car");
    assertThat(listed.fields().getInteger("limit")).isEqualTo(10);
  }

  HttpResponse<Buffer> requestReset(String email) {
    return Await.result(http.post(port, "127.0.0.1", "/password/reset-request")
        .sendJsonObject(new JsonObject().put("email", email)));
  }

  HttpResponse<Buffer> reset(String token, String password, String confirm) {
    return Await.result(http.put(port, "127.0.0.1", "/password/reset").sendJsonObject(new JsonObject()
        .put("token", token).put("password", password).put("confirm_password", confirm)));
  }

  @Test
  void resetsASecretThroughTheMailedLinkOnlyOnce() throws Exception {
    String alice = register("alice", "alice@example.com", "alice-secret");
    assertThat(requestReset("alice@example.com").statusCode()).isEqualTo(201);

    assertThat(SMTP.waitForIncomingEmail(10_000, 1)).isTrue();
    var mail = SMTP.getReceivedMessages()[0];
    assertThat(mail.getAllRecipients()[0].toString()).isEqualTo("alice@example.com");
    String body = GreenMailUtil.getBody(mail);
    var link = java.util.regex.Pattern.compile("https://console\\.example\\.com/password/reset\\?token=(\\S+)")
        .matcher(body);
    assertThat(link.find()).as(body).isTrue();
    String token = link.group(1);
    secretsUsed.add(token);
    secretsUsed.add("new-secret-1");
    secretsUsed.add("third-secret");

    assertThat(reset(token, "new-secret-1", "new-secret-2").statusCode()).isEqualTo(400);
    assertThat(reset(token, "new-secret-1", "new-secret-1").statusCode()).isEqualTo(201);
    tokens("alice@example.com", "new-secret-1");
    assertThat(post("/users/tokens/issue", null, new JsonObject().put("identity", "alice@example.com")
        .put("secret", "alice-secret")).statusCode()).isEqualTo(401);
    assertThat(reset(token, "third-secret", "third-secret").statusCode()).as("used once").isEqualTo(401);

    DomainEvent requested = awaitEvent("user.generate_reset_token", 1);
    assertThat(requested.fields().getString("email")).isEqualTo("alice@example.com");
    assertThat(requested.fields().getString("host")).isEqualTo(RESET_PAGE);
    DomainEvent reset = awaitEvent("user.reset_secret", 1);
    assertThat(reset.fields().getString("user_id")).isEqualTo(alice);
    assertThat(reset.revision()).isEqualTo(2);
    for (DomainEvent event : events) {
      assertThat(event.toJson().encode()).doesNotContain(token, "new-secret-1");
    }
  }

  @Test
  void aResetForAnUnknownAddressAnswersAlikeAndMailsNobody() throws Exception {
    var response = requestReset("nobody@example.com");
    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(SMTP.waitForIncomingEmail(1_000, 1)).isFalse();
  }

  @Test
  void withAFailingMailServerAKnownAndAnUnknownAddressGetTheSameAnswer() {
    Await.result(fx.vertx.undeploy(deployment));
    deploy(config(Map.of()), true, TestStores.freePort());
    register("alice", "alice@example.com", "alice-secret");
    var log = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
    log.start();
    var mailLogger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ResetMails.class);
    mailLogger.addAppender(log);

    var known = requestReset("alice@example.com");
    var unknown = requestReset("nobody@example.com");

    assertThat(known.statusCode()).as(known.bodyAsString()).isEqualTo(unknown.statusCode()).isEqualTo(201);
    assertThat(known.bodyAsString()).isEqualTo(unknown.bodyAsString());
    Await.until("the failed mail counted", Duration.ofSeconds(10), () -> verticle.resetMailFailures() == 1);
    mailLogger.detachAppender(log);
    assertThat(log.list).hasSize(1);
    assertThat(log.list.get(0).getFormattedMessage()).contains("a***@example.com").doesNotContain("alice@")
        .doesNotContain("\n");
  }

  @Test
  void theMailedLinkComesFromTheConfigurationNeverFromTheRequest() throws Exception {
    register("alice", "alice@example.com", "alice-secret");
    var response = Await.result(http.post(port, "127.0.0.1", "/password/reset-request")
        .putHeader("Referrer", "https://evil.example").putHeader("Referer", "https://evil.example")
        .putHeader("Host", "evil.example").sendJsonObject(new JsonObject().put("email", "alice@example.com")));
    assertThat(response.statusCode()).isEqualTo(201);

    assertThat(SMTP.waitForIncomingEmail(10_000, 1)).isTrue();
    String body = GreenMailUtil.getBody(SMTP.getReceivedMessages()[0]);
    var link = java.util.regex.Pattern.compile("(\\S+)\\?token=(\\S+)").matcher(body);
    assertThat(link.find()).as(body).isTrue();
    secretsUsed.add(link.group(2));
    assertThat(link.group(1)).isEqualTo(RESET_PAGE);
    assertThat(body).doesNotContain("evil.example");
  }

  @Test
  void withoutAConfiguredResetPageAResetRequestIsAClearErrorAndMailsNobody() {
    Await.result(fx.vertx.undeploy(deployment));
    deploy(config(Map.of("FG_USERS_RESET_URL", "")));
    register("alice", "alice@example.com", "alice-secret");

    var response = Await.result(http.post(port, "127.0.0.1", "/password/reset-request")
        .putHeader("Referer", "https://console.example.com")
        .sendJsonObject(new JsonObject().put("email", "alice@example.com")));

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.bodyAsJsonObject().getString("message")).contains("users.reset_url", "FG_USERS_RESET_URL");
    assertThat(SMTP.getReceivedMessages()).isEmpty();
  }

  @Test
  void readEventsCanBeTurnedOffWhileChangesStillEmitTheirs() {
    Await.result(fx.vertx.undeploy(deployment));
    deploy(config(Map.of()), false);
    String alice = register("alice", "alice@example.com", "alice-secret");
    String token = tokens("alice@example.com", "alice-secret").getString("access_token");
    assertThat(get("/users/profile", token).statusCode()).isEqualTo(200);
    patch("/users/" + alice + "/tags", token, new JsonObject().put("tags", new io.vertx.core.json.JsonArray()));

    // Events of one stream arrive in order: once this later change is here, any read event would be too.
    awaitEvent("user.update_tags", 1);
    assertThat(eventsOf("user.create")).hasSize(2);
    assertThat(eventsOf("user.issue_token")).isEmpty();
    assertThat(eventsOf("user.view_profile")).isEmpty();
  }

  HttpResponse<Buffer> put(String path, String token, JsonObject body) {
    return Await.result(http.put(port, "127.0.0.1", path).bearerTokenAuthentication(token).sendJsonObject(body));
  }

  String createGroup(String token, String name, String parentId) {
    JsonObject body = new JsonObject().put("name", name);
    if (parentId != null) {
      body.put("parent_id", parentId);
    }
    var response = post("/groups", token, body);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return response.bodyAsJsonObject().getString("id");
  }

  static List<String> names(JsonObject page) {
    return page.getJsonArray("groups").stream().map(g -> ((JsonObject) g).getString("name")).toList();
  }

  @Test
  void buildsAGroupHierarchyAndWalksItBothWays() {
    String alice = register("alice", "alice@example.com", "alice-secret");
    String token = tokens("alice@example.com", "alice-secret").getString("access_token");
    String plant = createGroup(token, "plant", null);
    String line = createGroup(token, "line-1", plant);
    String cell = createGroup(token, "cell-a", line);

    JsonObject cellJson = get("/groups/" + cell, token).bodyAsJsonObject();
    assertThat(cellJson.getInteger("level")).isEqualTo(3);
    assertThat(cellJson.getString("path")).isEqualTo(plant + "." + line + "." + cell);
    assertThat(cellJson.getString("owner_id")).isEqualTo(alice);

    assertThat(names(get("/groups/" + plant + "/children", token).bodyAsJsonObject())).containsExactly("line-1");
    assertThat(names(get("/groups/" + plant + "/children?level=2", token).bodyAsJsonObject()))
        .containsExactly("line-1", "cell-a");
    assertThat(names(get("/groups/" + cell + "/parents?level=2", token).bodyAsJsonObject()))
        .containsExactly("plant", "line-1");
    assertThat(post("/groups", token, new JsonObject().put("name", "line-1").put("parent_id", plant)).statusCode())
        .as("a name is unique on its level").isEqualTo(409);
    String deepest = cell;
    for (int level = 4; level <= 5; level++) {
      deepest = createGroup(token, "level-" + level, deepest);
    }
    assertThat(post("/groups", token, new JsonObject().put("name", "level-6").put("parent_id", deepest))
        .statusCode()).isEqualTo(400);
    JsonObject tree = get("/groups/" + plant + "/children?level=2&tree=true", token).bodyAsJsonObject();
    JsonObject lineNode = tree.getJsonArray("groups").getJsonObject(0);
    assertThat(lineNode.getString("name")).isEqualTo("line-1");
    assertThat(lineNode.getJsonArray("children").getJsonObject(0).getString("name")).isEqualTo("cell-a");
    assertThat(get("/groups?metadata=%7Bbad", token).statusCode()).isEqualTo(400);

    DomainEvent created = awaitEvent("group.create", 2);
    assertThat(created.fields().getString("id")).isEqualTo(line);
    assertThat(created.fields().getString("parent")).isEqualTo(plant);
    assertThat(created.fields().getString("owner")).isEqualTo(alice);
    assertThat(created.revision()).isEqualTo(1);
    assertThat(awaitEvent("group.list", 3).fields().getString("level")).isEqualTo("2");
  }

  @Test
  void aUserWorksOnlyOnItsOwnGroupsAndAnAdministratorOnAll() {
    register("alice", "alice@example.com", "alice-secret");
    register("bob", "bob@example.com", "bob-secret-1");
    String alice = tokens("alice@example.com", "alice-secret").getString("access_token");
    String bob = tokens("bob@example.com", "bob-secret-1").getString("access_token");
    String admin = tokens(ADMIN, ADMIN_SECRET).getString("access_token");
    String plant = createGroup(alice, "plant", null);
    createGroup(bob, "depot", null);

    assertThat(get("/groups/" + plant, bob).statusCode()).isEqualTo(403);
    assertThat(put("/groups/" + plant, bob, new JsonObject().put("name", "mine")).statusCode()).isEqualTo(403);
    assertThat(post("/groups", bob, new JsonObject().put("name", "x").put("parent_id", plant)).statusCode())
        .isEqualTo(403);
    assertThat(post("/groups/" + plant + "/disable", bob, null).statusCode()).isEqualTo(403);
    assertThat(get("/groups/" + java.util.UUID.randomUUID(), alice).statusCode()).isEqualTo(404);
    assertThat(get("/groups/" + plant, admin).statusCode()).isEqualTo(200);

    assertThat(names(get("/groups", alice).bodyAsJsonObject())).containsExactly("plant");
    assertThat(names(get("/groups", bob).bodyAsJsonObject())).containsExactly("depot");
    assertThat(names(get("/groups", admin).bodyAsJsonObject())).containsExactlyInAnyOrder("plant", "depot");
    assertThat(eventsOf("group.update")).isEmpty();
  }

  @Test
  void updatesAndDisablesAGroupWithTheNextRevisions() {
    register("alice", "alice@example.com", "alice-secret");
    String token = tokens("alice@example.com", "alice-secret").getString("access_token");
    String plant = createGroup(token, "plant", null);

    var updated = put("/groups/" + plant, token, new JsonObject().put("name", "north plant")
        .put("description", "the one by the river").put("metadata", new JsonObject().put("site", 7)));
    assertThat(updated.statusCode()).as(updated.bodyAsString()).isEqualTo(200);
    assertThat(put("/groups/" + plant, token, new JsonObject().put("metadata", "x")).statusCode()).isEqualTo(400);
    assertThat(post("/groups/" + plant + "/disable", token, null).bodyAsJsonObject().getString("status"))
        .isEqualTo("disabled");
    assertThat(names(get("/groups", token).bodyAsJsonObject())).isEmpty();
    assertThat(names(get("/groups?status=all", token).bodyAsJsonObject())).containsExactly("north plant");

    DomainEvent update = awaitEvent("group.update", 1);
    assertThat(update.revision()).isEqualTo(2);
    assertThat(update.fields().getString("description")).isEqualTo("the one by the river");
    DomainEvent status = awaitEvent("group.change_status", 1);
    assertThat(status.revision()).isEqualTo(3);
    assertThat(status.fields().getString("status")).isEqualTo("disabled");
  }

  void grant(String token, String subject, String object, String... actions) {
    var response = post("/policies", token, new JsonObject().put("subject", subject).put("object", object)
        .put("actions", new io.vertx.core.json.JsonArray(List.of(actions))));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
  }

  static List<String> ids(JsonObject page, String key) {
    return page.getJsonArray(key).stream().map(item -> ((JsonObject) item).getString("id")).toList();
  }

  @Test
  void listingsTakeTheFiltersOfTheReferenceUnderItsNames() {
    String alice = register("alice", "alice@example.com", "alice-secret");
    String bob = register("bob", "bob@example.com", "bob-secret-1");
    String carol = register("carol", "carol@example.com", "carol-secret");
    String adminToken = tokens(ADMIN, ADMIN_SECRET).getString("access_token");
    String aliceToken = tokens("alice@example.com", "alice-secret").getString("access_token");
    String bobToken = tokens("bob@example.com", "bob-secret-1").getString("access_token");
    var dave = post("/users", adminToken, newUser("dave", "dave@example.com", "dave-secret").put("owner", alice));
    assertThat(dave.statusCode()).as(dave.bodyAsString()).isEqualTo(201);

    // GET /users: owner_id (the reference's name), and owner as before.
    assertThat(ids(get("/users?owner_id=" + alice, adminToken).bodyAsJsonObject(), "users"))
        .containsExactly(dave.bodyAsJsonObject().getString("id"));
    assertThat(get("/users?owner=" + alice, adminToken).bodyAsJsonObject().getLong("total")).isEqualTo(1);

    String plant = createGroup(aliceToken, "plant", null);
    String line = createGroup(aliceToken, "line", plant);
    grant(aliceToken, bob, plant, "g_list");
    grant(aliceToken, carol, plant, "g_list", "g_update");
    grant(aliceToken, bob, line, "g_list");

    // GET /groups/{id}/members: name, identity, tags, metadata, status as for users.
    assertThat(ids(get("/groups/" + plant + "/members", aliceToken).bodyAsJsonObject(), "members"))
        .containsExactlyInAnyOrder(bob, carol);
    assertThat(ids(get("/groups/" + plant + "/members?name=car", aliceToken).bodyAsJsonObject(), "members"))
        .containsExactly(carol);
    assertThat(ids(get("/groups/" + plant + "/members?identity=BOB", aliceToken).bodyAsJsonObject(), "members"))
        .containsExactly(bob);
    assertThat(get("/groups/" + plant + "/members?status=nope", aliceToken).statusCode()).isEqualTo(400);

    // GET /users/{id}/memberships: name, parentId, level, ownerId, tree as for groups.
    assertThat(ids(get("/users/" + bob + "/memberships", bobToken).bodyAsJsonObject(), "memberships"))
        .containsExactly(plant, line);
    assertThat(ids(get("/users/" + bob + "/memberships?name=lin", bobToken).bodyAsJsonObject(), "memberships"))
        .containsExactly(line);
    assertThat(ids(get("/users/" + bob + "/memberships?parentId=" + plant, bobToken).bodyAsJsonObject(),
        "memberships")).containsExactly(line);
    assertThat(ids(get("/users/" + bob + "/memberships?level=1", bobToken).bodyAsJsonObject(), "memberships"))
        .containsExactly(plant);
    assertThat(ids(get("/users/" + bob + "/memberships?ownerId=" + bob, bobToken).bodyAsJsonObject(),
        "memberships")).isEmpty();
    JsonObject tree = get("/users/" + bob + "/memberships?tree=true", bobToken).bodyAsJsonObject();
    assertThat(ids(tree, "memberships")).containsExactly(plant);
    assertThat(tree.getJsonArray("memberships").getJsonObject(0).getJsonArray("children").getJsonObject(0)
        .getString("id")).isEqualTo(line);
    assertThat(get("/users/" + bob + "/memberships?level=9", bobToken).statusCode()).isEqualTo(400);

    // GET /policies: actions, repeated or comma-separated; a policy must hold them all.
    assertThat(get("/policies?actions=g_list", aliceToken).bodyAsJsonObject().getLong("total")).isEqualTo(3);
    assertThat(get("/policies?actions=g_update", aliceToken).bodyAsJsonObject().getJsonArray("policies")
        .getJsonObject(0).getString("subject")).isEqualTo(carol);
    assertThat(get("/policies?actions=g_list&actions=g_update", aliceToken).bodyAsJsonObject().getLong("total"))
        .isEqualTo(1);
    assertThat(get("/policies?actions=g_list,g_update", aliceToken).bodyAsJsonObject().getLong("total"))
        .isEqualTo(1);
    assertThat(get("/policies?actions=fly", aliceToken).statusCode()).isEqualTo(400);
  }

  @Test
  void policiesGrantActionsOnGroupsAndMakeMembers() {
    String alice = register("alice", "alice@example.com", "alice-secret");
    String bob = register("bob", "bob@example.com", "bob-secret-1");
    String aliceToken = tokens("alice@example.com", "alice-secret").getString("access_token");
    String bobToken = tokens("bob@example.com", "bob-secret-1").getString("access_token");
    String plant = createGroup(aliceToken, "plant", null);
    JsonObject grant = new JsonObject().put("subject", bob).put("object", plant)
        .put("actions", new io.vertx.core.json.JsonArray().add("g_list"));

    assertThat(get("/groups/" + plant, bobToken).statusCode()).isEqualTo(403);
    var added = post("/policies", aliceToken, grant);
    assertThat(added.statusCode()).as(added.bodyAsString()).isEqualTo(201);
    assertThat(post("/policies", aliceToken, grant).statusCode()).isEqualTo(409);
    assertThat(post("/policies", bobToken, grant.copy().put("subject", alice)).statusCode()).isEqualTo(403);
    assertThat(post("/policies", aliceToken, grant.copy().put("actions", new io.vertx.core.json.JsonArray()
        .add("fly"))).statusCode()).isEqualTo(400);
    assertThat(post("/policies", aliceToken, grant.copy().put("subject", java.util.UUID.randomUUID().toString()))
        .statusCode()).isEqualTo(404);

    assertThat(get("/groups/" + plant, bobToken).statusCode()).as("g_list lets bob see it").isEqualTo(200);
    assertThat(put("/groups/" + plant, bobToken, new JsonObject().put("name", "bob's")).statusCode()).isEqualTo(403);
    JsonObject members = get("/groups/" + plant + "/members", aliceToken).bodyAsJsonObject();
    // The reference's page keys: members of a group, memberships of a user.
    assertThat(members.fieldNames()).containsExactlyInAnyOrder("total", "offset", "limit", "members");
    assertThat(members.getJsonArray("members").getJsonObject(0).getString("id")).isEqualTo(bob);
    JsonObject memberships = get("/users/" + bob + "/memberships", bobToken).bodyAsJsonObject();
    assertThat(memberships.fieldNames()).containsExactlyInAnyOrder("total", "offset", "limit", "memberships");
    assertThat(memberships.getJsonArray("memberships").stream().map(g -> ((JsonObject) g).getString("name")))
        .containsExactly("plant");
    assertThat(get("/users/" + alice + "/memberships", bobToken).statusCode()).isEqualTo(403);
    assertThat(get("/policies", aliceToken).bodyAsJsonObject().getLong("total")).isEqualTo(1);
    JsonObject shared = get("/users?visibility=shared", aliceToken).bodyAsJsonObject();
    assertThat(shared.getJsonArray("users").stream().map(u -> ((JsonObject) u).getString("id")).toList())
        .as("bob is in alice's group").containsExactly(bob);
    assertThat(get("/users?visibility=shared", bobToken).bodyAsJsonObject().getLong("total")).isZero();
    assertThat(get("/policies", bobToken).bodyAsJsonObject().getLong("total")).as("bob granted nothing").isZero();

    var updated = put("/policies", aliceToken, grant.copy().put("actions",
        new io.vertx.core.json.JsonArray().add("g_list").add("g_update")));
    assertThat(updated.statusCode()).as(updated.bodyAsString()).isEqualTo(200);
    assertThat(put("/groups/" + plant, bobToken, new JsonObject().put("name", "shared plant")).statusCode())
        .isEqualTo(200);

    var deleted = Await.result(http.delete(port, "127.0.0.1", "/policies/" + bob + "/" + plant)
        .bearerTokenAuthentication(aliceToken).send());
    assertThat(deleted.statusCode()).isEqualTo(204);
    assertThat(get("/groups/" + plant, bobToken).statusCode()).isEqualTo(403);
    assertThat(Await.result(http.delete(port, "127.0.0.1", "/policies/" + bob + "/" + plant)
        .bearerTokenAuthentication(aliceToken).send()).statusCode()).isEqualTo(404);

    DomainEvent add = awaitEvent("policies.add", 1);
    assertThat(add.fields().getString("subject")).isEqualTo(bob);
    assertThat(add.fields().getString("object")).isEqualTo(plant);
    assertThat(add.fields().getJsonArray("actions").getString(0)).isEqualTo("g_list");
    assertThat(add.fields().getString("owner")).isEqualTo(alice);
    assertThat(awaitEvent("policies.update", 1).fields().getJsonArray("actions")).hasSize(2);
    assertThat(awaitEvent("policies.delete", 1).fields().getString("subject")).isEqualTo(bob);
    assertThat(eventsOf("policies.add")).hasSize(1);
    assertThat(awaitEvent("user.list_by_group", 1).fields().getString("group_id")).isEqualTo(plant);
    assertThat(awaitEvent("group.list_by_user", 1).fields().getString("user_id")).isEqualTo(bob);
    assertThat(awaitEvent("policies.list", 2).fields().getLong("total")).isZero();
    assertThat(awaitEvent("user.list", 1).fields().getString("visibility")).isEqualTo("shared");
  }

  @Test
  void noEventEverCarriesASecretOrAToken() {
    register("alice", "alice@example.com", "alice-secret");
    JsonObject pair = tokens("alice@example.com", "alice-secret");
    post("/users/tokens/issue", null, new JsonObject().put("identity", "alice@example.com").put("secret", "a-wrong-one"));
    JsonObject refreshed = post("/users/tokens/refresh", pair.getString("refresh_token"), null).bodyAsJsonObject();
    get("/users/profile", refreshed.getString("access_token"));
    Await.result(fx.vertx.eventBus().request(Addresses.USERS_IDENTIFY, pair.getString("access_token")));
    awaitEvent("user.identify", 1);
    patch("/users/secret", refreshed.getString("access_token"),
        new JsonObject().put("old_secret", "alice-secret").put("new_secret", "alice-second-secret"));
    awaitEvent("user.update_secret", 1);
    JsonObject last = tokens("alice@example.com", "alice-second-secret");
    assertThat(post("/users/tokens/revoke", last.getString("access_token"), null).statusCode()).isEqualTo(204);
    awaitEvent("user.revoke_token", 1);

    List<String> secrets = List.of("alice-secret", "alice-second-secret", "a-wrong-one", ADMIN_SECRET, pair.getString("access_token"),
        pair.getString("refresh_token"), refreshed.getString("access_token"), refreshed.getString("refresh_token"),
        last.getString("access_token"), last.getString("refresh_token"), "$2a$", "$2y$");
    for (DomainEvent event : events) {
      String json = event.toJson().encode();
      for (String secret : secrets) {
        assertThat(json).as(event.operation()).doesNotContain(secret);
      }
    }
  }

  // ---- events complete enough to rebuild ----

  @Test
  void userCreateCarriesTheRoleSoAdministratorsCanBeRebuilt() {
    register("alice", "alice@example.com", "alice-secret");
    DomainEvent admin = awaitEvent("user.create", 1);
    DomainEvent alice = awaitEvent("user.create", 2);
    assertThat(admin.fields().getString("identity")).isEqualTo(ADMIN);
    assertThat(admin.fields().getString("role")).isEqualTo("admin");
    assertThat(alice.fields().getString("role")).isEqualTo("user");
  }

  @Test
  void aPolicyKeepsCountingRevisionsAcrossDeleteAndReAdd() {
    register("alice", "alice@example.com", "alice-secret");
    String bob = register("bob", "bob@example.com", "bob-secret-1");
    String aliceToken = tokens("alice@example.com", "alice-secret").getString("access_token");
    String plant = createGroup(aliceToken, "plant", null);
    JsonObject grant = new JsonObject().put("subject", bob).put("object", plant)
        .put("actions", new io.vertx.core.json.JsonArray().add("g_list"));
    assertThat(post("/policies", aliceToken, grant).statusCode()).isEqualTo(201);
    assertThat(put("/policies", aliceToken, grant.copy().put("actions",
        new io.vertx.core.json.JsonArray().add("g_update"))).statusCode()).isEqualTo(200);
    assertThat(Await.result(http.delete(port, "127.0.0.1", "/policies/" + bob + "/" + plant)
        .bearerTokenAuthentication(aliceToken).send()).statusCode()).isEqualTo(204);
    assertThat(post("/policies", aliceToken, grant).statusCode()).isEqualTo(201);

    assertThat(awaitEvent("policies.add", 1).revision()).isEqualTo(1);
    assertThat(awaitEvent("policies.update", 1).revision()).isEqualTo(2);
    assertThat(awaitEvent("policies.delete", 1).revision()).isEqualTo(3);
    assertThat(awaitEvent("policies.add", 2).revision()).as("a re-added policy continues its count").isEqualTo(4);
  }
}
