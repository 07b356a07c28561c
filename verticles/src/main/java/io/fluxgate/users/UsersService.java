package io.fluxgate.users;

import static io.fluxgate.api.RequestFields.optionalString;
import static io.fluxgate.api.RequestFields.requiredString;
import static io.fluxgate.api.RequestFields.strings;

import io.fluxgate.api.ApiError;
import io.fluxgate.api.MetadataFilter;
import io.fluxgate.api.RequestFields;
import io.fluxgate.api.PageRequest;
import io.fluxgate.events.Change;
import io.fluxgate.events.EventPublisher;
import io.fluxgate.sql.Page;
import io.fluxgate.sql.SqlErrors;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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
  private final ResetMails mails;
  private final boolean readEvents;

  public UsersService(UsersConfig config, UserRepository users, Passwords passwords, UserTokens tokens,
      UserEvents events, EventPublisher publisher, ResetMails mails, boolean readEvents) {
    this.config = config;
    this.users = users;
    this.passwords = passwords;
    this.tokens = tokens;
    this.events = events;
    this.publisher = publisher;
    this.mails = mails;
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
      return requireUser(owner).compose(v -> create(wanted.withOwner(owner), User.Role.USER));
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
          return Future.succeededFuture(tokens.issue(found.user(), found.tokenGeneration()));
        }));
  }

  /**
   * A new token pair for a valid, unrevoked refresh token of an enabled user; the new refresh token expires when
   * the one used does, so a session ends {@code users.refresh_token_ttl} after its sign-in however often it refreshes.
   */
  public Future<JsonObject> refreshToken(String refreshToken) {
    return tokens.verify(refreshToken, UserTokens.REFRESH)
        .compose(claim -> account(claim).map(account -> {
          emit(events.tokenRefreshed(account.user().id()));
          return tokens.refresh(account.user(), account.tokenGeneration(), claim);
        }));
  }

  /**
   * Signs the bearer's user out everywhere: every access and refresh token issued to it so far is refused from now
   * on, on every node. Either token of a valid pair may ask.
   */
  public Future<Void> revokeTokens(String token) {
    return tokens.verify(token, UserTokens.ACCESS, UserTokens.REFRESH).compose(this::account)
        .compose(account -> publisher.<Void>commit(conn -> users.revokeTokens(conn, account.user().id())
            .map(v -> Change.of(null, events.tokensRevoked(account.user().id())))));
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

  /** Changes name and metadata of an account (its own, or any for an administrator). */
  public Future<User> update(String accessToken, String userId, JsonObject request) {
    return change(accessToken, userId, false, false, (user, at, by) -> {
      String name = optionalString(request, "name", MAX_NAME);
      if (!(request.getValue("metadata") instanceof JsonObject metadata)) {
        throw ApiError.malformed("metadata is required and must be an object");
      }
      return user.changed(name, user.identity(), user.tags(), user.owner(), metadata.copy(), user.status(), at, by);
    }, events::updated);
  }

  public Future<User> updateTags(String accessToken, String userId, JsonObject request) {
    return change(accessToken, userId, false, false, (user, at, by) -> user.changed(user.name(), user.identity(),
        strings(request, "tags", true), user.owner(), user.metadata(), user.status(), at, by), events::tagsUpdated);
  }

  public Future<User> updateIdentity(String accessToken, String userId, JsonObject request) {
    return change(accessToken, userId, false, false, (user, at, by) -> user.changed(user.name(),
        emailIdentity(request, "identity"), user.tags(), user.owner(), user.metadata(), user.status(),
        at, by), events::identityUpdated);
  }

  /** Hands an account to another owner, which must exist; administrators only. */
  public Future<User> updateOwner(String accessToken, String userId, JsonObject request) {
    String owner;
    try {
      owner = requiredString(request, "owner", 36);
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return change(accessToken, userId, true, false, () -> requireUser(owner), (user, at, by) -> user.changed(
        user.name(), user.identity(), user.tags(), owner, user.metadata(), user.status(), at, by),
        events::ownerUpdated);
  }

  /** Succeeds when {@code userId} names a user; a 404 saying it cannot be the owner otherwise. */
  Future<Void> requireUser(String userId) {
    return exists(userId).compose(exists -> exists ? Future.succeededFuture()
        : Future.failedFuture(ApiError.notFound("no user " + userId + " to be the owner")));
  }

  /** Enables or disables an account; administrators only, and never their own. A disable revokes its tokens. */
  public Future<User> changeStatus(String accessToken, String userId, boolean enabled) {
    return change(accessToken, userId, true, !enabled, (user, at, by) -> {
      if (user.id().equals(by)) {
        throw ApiError.forbidden("an administrator cannot change its own status");
      }
      return user.changed(user.name(), user.identity(), user.tags(), user.owner(), user.metadata(),
          enabled ? User.ENABLED : User.DISABLED, at, by);
    }, events::statusChanged);
  }

  /** Replaces the caller's own secret, given the current one; every token issued before is revoked with it. */
  public Future<User> updateSecret(String accessToken, JsonObject request) {
    String oldSecret;
    String newSecret;
    try {
      oldSecret = requiredString(request, "old_secret", 4096);
      newSecret = requiredString(request, "new_secret", 4096);
      if (newSecret.length() < config.secretMinLength()) {
        throw ApiError.malformed("new_secret must be at least " + config.secretMinLength() + " characters");
      }
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return caller(accessToken)
        .compose(caller -> users.findByIdentity(caller.identity()))
        .compose(found -> passwords.matches(oldSecret, found.secretHash()).compose(matches -> {
          if (!matches) {
            return Future.failedFuture(ApiError.unauthenticated("old_secret does not match"));
          }
          User user = found.user();
          User changed = user.changed(user.name(), user.identity(), user.tags(), user.owner(), user.metadata(),
              user.status(), Instant.now().toString(), user.id());
          return passwords.hash(newSecret).compose(hash -> publisher.commit(conn -> users
              .updateSecret(conn, changed, hash).map(v -> Change.of(changed, events.secretUpdated(changed)))));
        }))
        .recover(UsersService::explain);
  }

  /**
   * Mails a one-time link to the configured reset page to {@code email} when it belongs to an enabled user. The
   * answer is the same either way and comes before the look-up and the mail, which are not awaited, so neither
   * status, body nor timing says which addresses have accounts; a mail that fails is counted and logged. Without a
   * configured reset page it is a 503 for every address.
   */
  public Future<Void> requestReset(JsonObject request) {
    String email;
    try {
      if (!config.resetEnabled()) {
        throw ApiError.unavailable("password reset is off: the operator has not configured the reset page"
            + " (users.reset_url, FG_USERS_RESET_URL)");
      }
      email = requiredString(request, "email", MAX_IDENTITY);
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    emit(events.resetTokenGenerated(email, config.resetUrl()));
    users.findByIdentity(email).compose(found -> found == null || !found.user().isEnabled()
        ? Future.succeededFuture()
        : mails.send(email, tokens.issueReset(found.user())))
        .onFailure(error -> mails.failed(email, error));
    return Future.succeededFuture();
  }

  /** Sets a new secret with a mailed reset token, which works once; every token issued before is revoked. */
  public Future<Void> resetSecret(JsonObject request) {
    String token;
    String password;
    try {
      token = requiredString(request, "token", 4096);
      password = requiredString(request, "password", 4096);
      if (!password.equals(request.getValue("confirm_password"))) {
        throw ApiError.malformed("password and confirm_password differ");
      }
      if (password.length() < config.secretMinLength()) {
        throw ApiError.malformed("password must be at least " + config.secretMinLength() + " characters");
      }
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return tokens.verifyReset(token).compose(claim -> users.findById(claim.userId()).compose(user -> {
      if (user == null || !user.isEnabled() || user.revision() != claim.revision()) {
        return Future.failedFuture(ApiError.unauthenticated("the reset token was used or is no longer valid"));
      }
      User changed = user.changed(user.name(), user.identity(), user.tags(), user.owner(), user.metadata(),
          user.status(), Instant.now().toString(), user.id());
      return passwords.hash(password).compose(hash -> publisher.commit(conn -> users
          .updateSecret(conn, changed, hash).map(v -> Change.of(changed, events.secretReset(changed)))));
    })).recover(UsersService::explain).mapEmpty();
  }

  /**
   * A page of users: all of them for an administrator; for anyone else those it created ({@code visibility=owned},
   * the default), the members of its groups ({@code shared}) or both ({@code all}).
   */
  public Future<JsonObject> list(String accessToken, Map<String, String> query) {
    PageRequest paging;
    UserRepository.UserFilter filter;
    JsonObject filters = new JsonObject();
    try {
      paging = PageRequest.from(query);
      filter = filter(query, "");
      for (String key : List.of("name", "identity", "owner_id", "owner", "status", "tags", "metadata", "visibility")) {
        if (query.containsKey(key)) {
          filters.put(key, query.get(key));
        }
      }
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return caller(accessToken).compose(caller -> users.list(caller.isAdmin() ? filter
        : new UserRepository.UserFilter(filter.name(), filter.identity(), filter.owner(), filter.status(),
            filter.tags(), filter.metadata(), caller.id(), filter.visibility(), ""), paging.offset(), paging.limit()))
        .map(page -> {
          emit(events.listed(page.total(), paging.offset(), paging.limit(), filters));
          return paging.toJson("users", page, User::toApi);
        });
  }

  /**
   * The filters of a users listing: {@code name}, {@code identity}, {@code owner_id} (the reference's name;
   * {@code owner} is read too), {@code status}, {@code tags}, {@code metadata}, {@code visibility}; a 400 naming a
   * bad one.
   */
  private static UserRepository.UserFilter filter(Map<String, String> query, String memberOf) {
    String status = RequestFields.statusFilter(query);
    List<String> tags = query.containsKey("tags")
        ? Arrays.stream(query.get("tags").split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList()
        : List.of();
    String visibility = query.getOrDefault("visibility", "owned");
    if (!List.of("owned", "shared", "all").contains(visibility)) {
      throw ApiError.malformed("visibility must be owned, shared or all");
    }
    String owner = query.getOrDefault("owner_id", query.getOrDefault("owner", ""));
    return new UserRepository.UserFilter(query.getOrDefault("name", ""), query.getOrDefault("identity", ""), owner,
        status, tags, MetadataFilter.parse(query.get("metadata")), "", visibility, memberOf);
  }

  /** A change of one account by its owner or, when {@code adminOnly} or not, an administrator. */
  @FunctionalInterface
  private interface Mutation {
    User apply(User user, String at, String by);
  }

  private Future<User> change(String accessToken, String userId, boolean adminOnly, boolean revokesTokens,
      Mutation mutation, java.util.function.Function<User, io.fluxgate.codecs.DomainEvent> event) {
    return change(accessToken, userId, adminOnly, revokesTokens, () -> Future.succeededFuture(), mutation, event);
  }

  // The precondition runs once the caller may make the change, so it tells nothing to anyone else.
  private Future<User> change(String accessToken, String userId, boolean adminOnly, boolean revokesTokens,
      java.util.function.Supplier<Future<Void>> precondition, Mutation mutation,
      java.util.function.Function<User, io.fluxgate.codecs.DomainEvent> event) {
    return caller(accessToken).compose(caller -> {
      if (!caller.isAdmin() && (adminOnly || !caller.id().equals(userId))) {
        return Future.failedFuture(ApiError.forbidden(adminOnly
            ? "only an administrator may do this" : "a user changes only its own account"));
      }
      return precondition.get().compose(ok -> users.findById(userId)).compose(user -> {
        if (user == null) {
          return Future.failedFuture(ApiError.notFound("no user " + userId));
        }
        User changed = mutation.apply(user, Instant.now().toString(), caller.id());
        return publisher.commit(conn -> users.update(conn, changed)
            .compose(v -> revokesTokens ? users.revokeTokens(conn, changed.id()) : Future.<Void>succeededFuture())
            .map(v -> Change.of(changed, event.apply(changed))));
      });
    }).recover(UsersService::explain);
  }

  /** Turns storage failures callers can act on into API errors. */
  static <T> Future<T> explain(Throwable error) {
    if (SqlErrors.isUniqueViolation(error)) {
      return Future.failedFuture(ApiError.conflict("that identity is taken"));
    }
    if (error instanceof io.fluxgate.sql.ConcurrentChange) {
      return Future.failedFuture(ApiError.conflict("the user changed meanwhile; read it again and retry"));
    }
    return Future.failedFuture(error);
  }

  /** The enabled user an access token belongs to, for other services asking over the bus. */
  public Future<User> identify(String accessToken) {
    return caller(accessToken).onSuccess(user -> emit(events.identified(user.id())));
  }

  /** A page of the users holding a policy on {@code groupId}, with the filters of a users listing. */
  Future<Page<User>> membersOf(String groupId, Map<String, String> query, PageRequest paging) {
    UserRepository.UserFilter filter;
    try {
      filter = filter(query, groupId);
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return users.list(filter, paging.offset(), paging.limit());
  }

  /** Whether {@code userId} names an existing user. */
  Future<Boolean> exists(String userId) {
    return users.findById(userId).map(user -> user != null);
  }

  /** The enabled user an unrevoked access token belongs to; a 401 otherwise. */
  public Future<User> caller(String accessToken) {
    return tokens.verify(accessToken, UserTokens.ACCESS).compose(this::account).map(UserRepository.Account::user);
  }

  // The row is read on every call, so a revocation on any node holds at once everywhere: tokens are not cached.
  private Future<UserRepository.Account> account(UserTokens.Claim claim) {
    return users.findAccount(claim.userId()).compose(account -> {
      if (account == null || !account.user().isEnabled()) {
        return Future.failedFuture(ApiError.unauthenticated("the token's user is unknown or disabled"));
      }
      if (account.tokenGeneration() != claim.generation()) {
        return Future.failedFuture(ApiError.unauthenticated(
            "the token was revoked (sign-out, password change or reset, or disable): sign in again"));
      }
      return Future.succeededFuture(account);
    });
  }

  private void emit(io.fluxgate.codecs.DomainEvent event) {
    if (readEvents) {
      publisher.publish(event);
    }
  }


  /** The e-mail address under {@code field} (a dotted path's last part is the key); a 400 naming it otherwise. */
  static String emailIdentity(JsonObject request, String field) {
    String identity = requiredString(request, field.substring(field.lastIndexOf('.') + 1), MAX_IDENTITY);
    if (!EmailAddress.isValid(identity)) {
      throw ApiError.malformed(field + " must be an e-mail address (no spaces or control characters)");
    }
    return identity;
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
      String identity = emailIdentity(credentials, "credentials.identity");
      String secret = requiredString(credentials, "secret", 4096);
      if (secret.length() < secretMinLength) {
        throw ApiError.malformed("credentials.secret must be at least " + secretMinLength + " characters");
      }
      String name = optionalString(request, "name", MAX_NAME);
      String owner = optionalString(request, "owner", 36);
      String status = RequestFields.newStatus(request);
      JsonArray tags = strings(request, "tags", false);
      return new NewUser(name, identity, secret, tags, owner, RequestFields.object(request, "metadata", false), status);
    }

    @Override
    public String toString() {
      // The secret stays out of logs and error messages.
      return "NewUser[identity=" + identity + "]";
    }
  }

}
