package io.fluxgate.users;

import io.fluxgate.api.ApiError;
import io.fluxgate.events.Change;
import io.fluxgate.events.EventPublisher;
import io.fluxgate.sql.SqlErrors;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The rules of user accounts and tokens. Every call emits its event of the users stream. */
public final class UsersService {

  private static final Logger LOG = LoggerFactory.getLogger(UsersService.class);
  private static final int MAX_IDENTITY = 254;
  private static final int MAX_NAME = 1024;

  private final UsersConfig config;
  private final UserRepository users;
  private final Passwords passwords;
  private final UserTokens tokens;
  private final UserEvents events;
  private final EventPublisher publisher;
  private final boolean readEvents;

  public UsersService(UsersConfig config, UserRepository users, Passwords passwords, UserTokens tokens,
      UserEvents events, EventPublisher publisher, boolean readEvents) {
    this.config = config;
    this.users = users;
    this.passwords = passwords;
    this.tokens = tokens;
    this.events = events;
    this.publisher = publisher;
    this.readEvents = readEvents;
  }

  /** Creates the configured first administrator unless an account with its identity exists. */
  public Future<Void> ensureAdmin() {
    if (config.adminIdentity().isEmpty()) {
      LOG.warn("no first administrator configured (FG_USERS_ADMIN_IDENTITY, FG_USERS_ADMIN_SECRET)");
      return Future.succeededFuture();
    }
    return users.findByIdentity(config.adminIdentity()).compose(existing -> {
      if (existing != null) {
        return Future.succeededFuture();
      }
      JsonObject request = new JsonObject().put("name", "admin").put("credentials",
          new JsonObject().put("identity", config.adminIdentity()).put("secret", config.adminSecret()));
      return create(NewUser.from(request, config.secretMinLength()), User.Role.ADMIN)
          .onSuccess(admin -> LOG.info("created the first administrator {}", admin.identity()))
          .recover(e -> SqlErrors.isUniqueViolation(e) ? Future.succeededFuture() : Future.failedFuture(e))
          .mapEmpty();
    });
  }

  /** Registers an account: by itself when self-registration is on and no token is given, else by a signed-in user. */
  public Future<User> register(String callerToken, JsonObject request) {
    NewUser wanted;
    try {
      wanted = NewUser.from(request, config.secretMinLength());
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    if (callerToken == null) {
      if (!config.selfRegister()) {
        return Future.failedFuture(ApiError.unauthenticated("self-registration is off: sign in to create users"));
      }
      if (!wanted.owner().isEmpty() || wanted.status() != null) {
        return Future.failedFuture(ApiError.forbidden("only an administrator sets owner or status"));
      }
      return create(wanted, User.Role.USER);
    }
    return caller(callerToken).compose(caller -> {
      if (!caller.isAdmin() && (!wanted.owner().isEmpty() || wanted.status() != null)) {
        return Future.failedFuture(ApiError.forbidden("only an administrator sets owner or status"));
      }
      String owner = caller.isAdmin() && !wanted.owner().isEmpty() ? wanted.owner() : caller.id();
      return create(wanted.withOwner(owner), User.Role.USER);
    });
  }

  private Future<User> create(NewUser wanted, User.Role role) {
    String now = Instant.now().toString();
    User user = new User(UUID.randomUUID().toString(), wanted.name(), wanted.identity(), wanted.tags(),
        wanted.owner(), wanted.metadata(), wanted.status() == null ? User.ENABLED : wanted.status(), role, now, "",
        "", 1);
    return passwords.hash(wanted.secret())
        .compose(hash -> publisher.commit(conn -> users.insert(conn, user, hash)
            .map(v -> Change.of(user, events.created(user)))))
        .recover(e -> SqlErrors.isUniqueViolation(e)
            ? Future.failedFuture(ApiError.conflict("a user with identity " + wanted.identity() + " exists"))
            : Future.failedFuture(e));
  }

  /** A token pair for matching credentials of an enabled user; a 401 that does not say which part was wrong. */
  public Future<JsonObject> issueToken(JsonObject request) {
    String identity;
    String secret;
    try {
      identity = requiredString(request, "identity", MAX_IDENTITY);
      secret = requiredString(request, "secret", 4096);
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return users.findByIdentity(identity).compose(found -> passwords
        .matches(secret, found == null ? null : found.secretHash())
        .compose(matches -> {
          if (!matches || !found.user().isEnabled()) {
            emit(events.tokenIssued(identity, ""));
            return Future.failedFuture(ApiError.unauthenticated("wrong identity or secret"));
          }
          emit(events.tokenIssued(identity, found.user().id()));
          return Future.succeededFuture(tokens.issue(found.user()));
        }));
  }

  /** A new token pair for a valid refresh token of an enabled user. */
  public Future<JsonObject> refreshToken(String refreshToken) {
    return tokens.verify(refreshToken, UserTokens.REFRESH)
        .compose(this::enabledUser)
        .map(user -> {
          emit(events.tokenRefreshed(user.id()));
          return tokens.issue(user);
        });
  }

  public Future<User> profile(String accessToken) {
    return caller(accessToken).onSuccess(user -> emit(events.profileViewed(user)));
  }

  /** A user's own account, or any account for an administrator. */
  public Future<User> view(String accessToken, String userId) {
    return caller(accessToken).compose(caller -> {
      if (!caller.isAdmin() && !caller.id().equals(userId)) {
        return Future.failedFuture(ApiError.forbidden("a user sees only its own account"));
      }
      return users.findById(userId).compose(user -> user == null
          ? Future.failedFuture(ApiError.notFound("no user " + userId))
          : Future.succeededFuture(user));
    }).onSuccess(user -> emit(events.viewed(user)));
  }

  /** The id of the enabled user an access token belongs to; other services ask this over the bus. */
  public Future<String> identify(String accessToken) {
    return caller(accessToken).map(user -> {
      emit(events.identified(user.id()));
      return user.id();
    });
  }

  private Future<User> caller(String accessToken) {
    return tokens.verify(accessToken, UserTokens.ACCESS).compose(this::enabledUser);
  }

  private Future<User> enabledUser(String userId) {
    return users.findById(userId).compose(user -> user == null || !user.isEnabled()
        ? Future.failedFuture(ApiError.unauthenticated("the token's user is unknown or disabled"))
        : Future.succeededFuture(user));
  }

  private void emit(io.fluxgate.codecs.DomainEvent event) {
    if (readEvents) {
      publisher.publish(event);
    }
  }

  static String requiredString(JsonObject json, String field, int maxLength) {
    Object value = json.getValue(field);
    if (!(value instanceof String text) || text.isBlank()) {
      throw ApiError.malformed(field + " is required and must be a non-empty string");
    }
    if (text.length() > maxLength) {
      throw ApiError.malformed(field + " is longer than " + maxLength + " characters");
    }
    return text;
  }

  /** A validated registration request. */
  record NewUser(String name, String identity, String secret, JsonArray tags, String owner, JsonObject metadata,
      String status) {

    NewUser withOwner(String owner) {
      return new NewUser(name, identity, secret, tags, owner, metadata, status);
    }

    static NewUser from(JsonObject request, int secretMinLength) {
      if (!(request.getValue("credentials") instanceof JsonObject credentials)) {
        throw ApiError.malformed("credentials is required and must be an object with identity and secret");
      }
      String identity = requiredString(credentials, "identity", MAX_IDENTITY);
      String secret = requiredString(credentials, "secret", 4096);
      if (secret.length() < secretMinLength) {
        throw ApiError.malformed("credentials.secret must be at least " + secretMinLength + " characters");
      }
      String name = optionalString(request, "name", MAX_NAME);
      String owner = optionalString(request, "owner", 36);
      String status = request.containsKey("status") ? optionalString(request, "status", 16) : null;
      if (status != null && !status.equals(User.ENABLED) && !status.equals(User.DISABLED)) {
        throw ApiError.malformed("status must be enabled or disabled");
      }
      Object tags = request.getValue("tags");
      if (tags != null && !(tags instanceof JsonArray array && array.stream().allMatch(t -> t instanceof String))) {
        throw ApiError.malformed("tags must be an array of strings");
      }
      Object metadata = request.getValue("metadata");
      if (metadata != null && !(metadata instanceof JsonObject)) {
        throw ApiError.malformed("metadata must be an object");
      }
      return new NewUser(name, identity, secret, tags == null ? new JsonArray() : (JsonArray) tags, owner,
          metadata == null ? new JsonObject() : (JsonObject) metadata, status);
    }

    private static String optionalString(JsonObject json, String field, int maxLength) {
      Object value = json.getValue(field);
      if (value == null) {
        return "";
      }
      if (!(value instanceof String text)) {
        throw ApiError.malformed(field + " must be a string");
      }
      if (text.length() > maxLength) {
        throw ApiError.malformed(field + " is longer than " + maxLength + " characters");
      }
      return text;
    }

    @Override
    public String toString() {
      return "NewUser[identity=" + identity + "]";
    }
  }
}
