package io.fluxgate.users;

import io.fluxgate.api.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.time.Instant;
import java.util.Arrays;

/**
 * Signed JWTs (HS256): an access token authenticates calls, a refresh token only buys new tokens. Both carry the
 * user's token generation ({@code gen}), which revocation moves on, and a refresh never outlives the sign-in's.
 */
public final class UserTokens {

  static final String ACCESS = "access";
  static final String REFRESH = "refresh";
  static final String RESET = "reset";
  private static final String ISSUER = "fluxgate.users";
  private static final String GENERATION = "gen";

  private final JWTAuth jwt;
  private final UsersConfig config;

  public UserTokens(Vertx vertx, UsersConfig config) {
    this.config = config;
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(config.tokenKey()))
        .setJWTOptions(new JWTOptions().setIssuer(ISSUER)));
  }

  /** A pair of tokens for {@code user} at a sign-in, in the API's shape. */
  public JsonObject issue(User user, long generation) {
    return pair(user, generation, config.refreshTokenTtl().toSeconds());
  }

  /** A new pair for a refresh: its refresh token expires when {@code used} does, so a session ends at last. */
  public JsonObject refresh(User user, long generation, Claim used) {
    long left = used.expiresAt() - Instant.now().getEpochSecond();
    return pair(user, generation, Math.max(1, left));
  }

  private JsonObject pair(User user, long generation, long refreshSeconds) {
    return new JsonObject()
        .put("access_token", sign(user.id(), ACCESS, generation, config.accessTokenTtl().toSeconds()))
        .put("refresh_token", sign(user.id(), REFRESH, generation, refreshSeconds))
        .put("access_type", "Bearer");
  }

  /** A password-reset token, valid once: it names the user's revision, which the reset moves on. */
  public String issueReset(User user) {
    return jwt.generateToken(new JsonObject().put("type", RESET).put("rev", user.revision()),
        new JWTOptions().setSubject(user.id()).setIssuer(ISSUER)
            .setExpiresInSeconds((int) config.resetTokenTtl().toSeconds()));
  }

  /** The user id and revision a valid reset token names; a 401 otherwise. */
  public Future<ResetClaim> verifyReset(String token) {
    return jwt.authenticate(new TokenCredentials(token))
        .recover(e -> Future.failedFuture(ApiError.unauthenticated("invalid or expired reset token")))
        .compose(principal -> {
          JsonObject claims = principal.principal();
          if (!RESET.equals(claims.getString("type")) || claims.getString("sub") == null
              || claims.getLong("rev") == null) {
            return Future.failedFuture(ApiError.unauthenticated("not a reset token"));
          }
          return Future.succeededFuture(new ResetClaim(claims.getString("sub"), claims.getLong("rev")));
        });
  }

  /** What a reset token says. */
  public record ResetClaim(String userId, long revision) {}

  private String sign(String userId, String type, long generation, long ttlSeconds) {
    return jwt.generateToken(new JsonObject().put("type", type).put(GENERATION, generation),
        new JWTOptions().setSubject(userId).setIssuer(ISSUER).setExpiresInSeconds((int) ttlSeconds));
  }

  /** What a valid access or refresh token says: whose it is, its generation, when it expires (epoch seconds). */
  public record Claim(String userId, String type, long generation, long expiresAt) {}

  /** The claim of a valid, unexpired token of one of {@code types}; a 401 otherwise. */
  public Future<Claim> verify(String token, String... types) {
    return jwt.authenticate(new TokenCredentials(token))
        .recover(e -> Future.failedFuture(ApiError.unauthenticated("invalid or expired token")))
        .compose(principal -> {
          JsonObject claims = principal.principal();
          String type = claims.getString("type");
          // Vert.x moves the registered time claims out of the principal into the attributes.
          if (type == null || !Arrays.asList(types).contains(type) || claims.getString("sub") == null
              || !(principal.attributes().getValue("exp") instanceof Number expiry)) {
            return Future.failedFuture(ApiError.unauthenticated("not an " + String.join(" or ", types) + " token"));
          }
          // Tokens from before generations existed count as generation 0 until their user's first revocation.
          long generation = claims.getValue(GENERATION) instanceof Number n ? n.longValue() : 0;
          return Future.succeededFuture(new Claim(claims.getString("sub"), type, generation, expiry.longValue()));
        });
  }
}
