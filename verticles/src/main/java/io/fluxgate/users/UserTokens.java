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

/** Signed JWTs (HS256): an access token authenticates calls, a refresh token only buys new tokens. */
public final class UserTokens {

  static final String ACCESS = "access";
  static final String REFRESH = "refresh";
  static final String RESET = "reset";
  private static final String ISSUER = "fluxgate.users";

  private final JWTAuth jwt;
  private final UsersConfig config;

  public UserTokens(Vertx vertx, UsersConfig config) {
    this.config = config;
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(config.tokenKey()))
        .setJWTOptions(new JWTOptions().setIssuer(ISSUER)));
  }

  /** A pair of tokens for {@code user}, in the API's shape. */
  public JsonObject issue(User user) {
    return new JsonObject()
        .put("access_token", sign(user.id(), ACCESS, config.accessTokenTtl().toSeconds()))
        .put("refresh_token", sign(user.id(), REFRESH, config.refreshTokenTtl().toSeconds()))
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

  private String sign(String userId, String type, long ttlSeconds) {
    return jwt.generateToken(new JsonObject().put("type", type),
        new JWTOptions().setSubject(userId).setIssuer(ISSUER).setExpiresInSeconds((int) ttlSeconds));
  }

  /** The user id in a valid, unexpired token of {@code type}; a 401 otherwise. */
  public Future<String> verify(String token, String type) {
    return jwt.authenticate(new TokenCredentials(token))
        .recover(e -> Future.failedFuture(ApiError.unauthenticated("invalid or expired token")))
        .compose(principal -> {
          JsonObject claims = principal.principal();
          if (!type.equals(claims.getString("type")) || claims.getString("sub") == null) {
            return Future.failedFuture(ApiError.unauthenticated("not an " + type + " token"));
          }
          return Future.succeededFuture(claims.getString("sub"));
        });
  }
}
