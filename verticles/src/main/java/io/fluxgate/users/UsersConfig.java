package io.fluxgate.users;

import io.fluxgate.api.TokenBuckets;
import io.fluxgate.config.ConfigException;
import io.fluxgate.config.ConfigSection;
import io.fluxgate.config.ConfigTree;
import io.fluxgate.config.StoredKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The users service, from the {@code users} section ({@code FG_USERS_*}): the first administrator, password rules,
 * token lifetimes, the key that signs tokens (generated into the data directory at first start when not given;
 * give every node of a cluster the same one), the page password-reset mails link to, the pool that computes bcrypt
 * and the rate limits of the calls anyone can make without a token.
 */
public record UsersConfig(
    String adminIdentity,
    String adminSecret,
    int secretMinLength,
    int bcryptCost,
    Duration accessTokenTtl,
    Duration refreshTokenTtl,
    Duration resetTokenTtl,
    String tokenKey,
    boolean selfRegister,
    String resetUrl,
    int bcryptThreads,
    int bcryptQueue,
    TokenBuckets.Rate signInRate,
    TokenBuckets.Rate registerRate,
    TokenBuckets.Rate resetRate,
    String clientAddressHeader) {

  private static final String RATE = "expected N/duration such as 20/1m or 5/1h, or off";

  public static UsersConfig from(ConfigTree tree, Path dataDir) {
    ConfigSection users = tree.section("users");
    String identity = users.string("admin_identity", "");
    String secret = users.string("admin_secret", "");
    int minLength = users.integer("secret_min_length", 8, 1, 1024);
    if (!identity.isEmpty() && !EmailAddress.isValid(identity)) {
      throw new ConfigException("invalid configuration users.admin_identity (FG_USERS_ADMIN_IDENTITY) = '"
          + identity.replaceAll("\\p{Cntrl}", "?") + "': expected an e-mail address");
    }
    if (identity.isEmpty() != secret.isEmpty()) {
      throw new ConfigException("invalid configuration users.admin_identity / users.admin_secret"
          + " (FG_USERS_ADMIN_IDENTITY, FG_USERS_ADMIN_SECRET): give both or neither");
    }
    if (!secret.isEmpty() && secret.length() < minLength) {
      throw new ConfigException("invalid configuration users.admin_secret (FG_USERS_ADMIN_SECRET): shorter than "
          + minLength + " characters");
    }
    String key = users.string("token_key", "");
    return new UsersConfig(
        identity,
        secret,
        minLength,
        users.integer("bcrypt_cost", 12, 4, 31),
        users.duration("access_token_ttl", Duration.ofHours(1)),
        users.duration("refresh_token_ttl", Duration.ofHours(24)),
        users.duration("reset_token_ttl", Duration.ofMinutes(15)),
        tokenKey(key, dataDir),
        users.bool("self_register", true),
        resetUrl(users.string("reset_url", "")),
        users.integer("bcrypt_threads", Math.max(1, Runtime.getRuntime().availableProcessors() / 2), 1, 256),
        users.integer("bcrypt_queue", 32, 1, 100_000),
        users.parsed("rate_sign_in", TokenBuckets.Rate.parse("20/1m"), RATE, TokenBuckets.Rate::parse),
        users.parsed("rate_register", TokenBuckets.Rate.parse("10/1h"), RATE, TokenBuckets.Rate::parse),
        users.parsed("rate_reset", TokenBuckets.Rate.parse("5/1h"), RATE, TokenBuckets.Rate::parse),
        users.string("client_address_header", ""));
  }

  /** The shortest HS256 key accepted: the hash's own size, below which tokens can be forged by guessing the key. */
  public static final int MIN_TOKEN_KEY_BYTES = 32;

  // The configured key, else the stored one; either must hold at least MIN_TOKEN_KEY_BYTES, and is never printed.
  private static String tokenKey(String configured, Path dataDir) {
    String key = configured.isEmpty() ? StoredKey.readOrCreate(dataDir, "users-token.key") : configured;
    if (key.getBytes(StandardCharsets.UTF_8).length < MIN_TOKEN_KEY_BYTES) {
      String where = configured.isEmpty() ? "the stored key " + dataDir.resolve("users-token.key")
          + " (delete it to have a new one generated, or set users.token_key / FG_USERS_TOKEN_KEY)"
          : "users.token_key (FG_USERS_TOKEN_KEY)";
      throw new ConfigException("invalid configuration " + where + ": shorter than " + MIN_TOKEN_KEY_BYTES
          + " bytes; use for instance 32 random bytes in base64 (openssl rand -base64 32)");
    }
    return key;
  }

  /** Whether password reset is on: it needs the operator's reset page, the mailed link never comes from a request. */
  public boolean resetEnabled() {
    return !resetUrl.isEmpty();
  }

  // An absolute http(s) URL without a fragment, so "?token=…" or "&token=…" can be appended to it.
  private static String resetUrl(String url) {
    if (url.isEmpty()) {
      return url;
    }
    try {
      java.net.URI uri = new java.net.URI(url);
      if ((!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme()))
          || uri.getHost() == null || uri.getRawFragment() != null) {
        throw new java.net.URISyntaxException(url, "not absolute");
      }
      return url;
    } catch (java.net.URISyntaxException e) {
      throw new ConfigException("invalid configuration users.reset_url (FG_USERS_RESET_URL) = '" + url
          + "': expected the absolute http(s) URL of the reset page, e.g. https://console.example.com/password/reset");
    }
  }


  @Override
  public String toString() {
    // Never print the secrets with the rest of the configuration.
    return "UsersConfig[adminIdentity=" + adminIdentity + ", secretMinLength="
        + secretMinLength + ", bcryptCost=" + bcryptCost + ", accessTokenTtl=" + accessTokenTtl
        + ", refreshTokenTtl=" + refreshTokenTtl + ", selfRegister=" + selfRegister + ", resetUrl=" + resetUrl
        + ", bcryptThreads=" + bcryptThreads + ", bcryptQueue=" + bcryptQueue + ", signInRate=" + signInRate
        + ", registerRate=" + registerRate + ", resetRate=" + resetRate + ", clientAddressHeader=" + clientAddressHeader
        + "]";
  }
}
