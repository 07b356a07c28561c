package io.fluxgate.users;

import io.fluxgate.api.ApiError;
import io.fluxgate.api.ApiResponses;
import io.fluxgate.api.TokenBuckets;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Rate limits of the users calls anyone can make without a token (sign-in, self-registration, password reset), per
 * client address and per identity, kept by this node: a caller over a limit gets 429 with {@code Retry-After}
 * before any bcrypt, look-up or mail.
 */
public final class PublicCallLimits {

  /** Buckets remembered per limit; beyond it the least recently used are forgotten. */
  private static final int MAX_KEYS = 50_000;

  private final TokenBuckets signIn;
  private final TokenBuckets register;
  private final TokenBuckets reset;
  private final String clientAddressHeader;
  private final AtomicLong refused = new AtomicLong();

  public PublicCallLimits(UsersConfig config) {
    this.signIn = new TokenBuckets(config.signInRate(), MAX_KEYS);
    this.register = new TokenBuckets(config.registerRate(), MAX_KEYS);
    this.reset = new TokenBuckets(config.resetRate(), MAX_KEYS);
    this.clientAddressHeader = config.clientAddressHeader();
  }

  /** {@code POST /users/tokens/issue}: per address and per {@code identity}. */
  public Handler<RoutingContext> signIn() {
    return ctx -> check(ctx, signIn, "sign-in", field(body(ctx), "identity"));
  }

  /** {@code POST /users} without a token: per address and per {@code credentials.identity}. */
  public Handler<RoutingContext> register() {
    return ctx -> {
      if (ctx.request().getHeader("Authorization") != null) {
        ctx.next();
        return;
      }
      JsonObject body = body(ctx);
      check(ctx, register, "self-registration",
          field(body != null && body.getValue("credentials") instanceof JsonObject c ? c : null, "identity"));
    };
  }

  /** {@code POST /password/reset-request} (per address and per {@code email}) and {@code PUT /password/reset}. */
  public Handler<RoutingContext> reset() {
    return ctx -> check(ctx, reset, "password reset", field(body(ctx), "email"));
  }

  /** Requests refused since this node started. */
  public long refused() {
    return refused.get();
  }

  private void check(RoutingContext ctx, TokenBuckets buckets, String what, String identity) {
    Duration wait = buckets.take("a " + clientAddress(ctx));
    String whose = "this client address";
    if (wait.isZero() && identity != null) {
      wait = buckets.take("i " + identity.toLowerCase(Locale.ROOT));
      whose = "this identity";
    }
    if (wait.isZero()) {
      ctx.next();
      return;
    }
    refused.incrementAndGet();
    ApiResponses.fail(ctx, ApiError.tooManyRequests("too many " + what + " requests for " + whose
        + " on this node: retry after the Retry-After seconds", wait));
  }

  // The configured header's last address is the one the operator's own proxy added; without one, the peer.
  private String clientAddress(RoutingContext ctx) {
    if (!clientAddressHeader.isEmpty()) {
      String forwarded = ctx.request().getHeader(clientAddressHeader);
      if (forwarded != null && !forwarded.isBlank()) {
        String[] hops = forwarded.split(",");
        return hops[hops.length - 1].trim();
      }
    }
    return ctx.request().remoteAddress() == null ? "" : ctx.request().remoteAddress().host();
  }

  // The body as far as it is a JSON object; the route itself answers a malformed one with 400.
  private static JsonObject body(RoutingContext ctx) {
    try {
      return ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static String field(JsonObject body, String name) {
    return body != null && body.getValue(name) instanceof String value && !value.isEmpty() ? value : null;
  }
}
