package io.fluxgate.api;

/**
 * A request the services refuse, with the HTTP status the APIs answer it with and a message safe to show the
 * caller (it never contains a secret).
 */
public final class ApiError extends RuntimeException {

  /** Why a request was refused; each maps to one HTTP status and one {@code error} text. */
  public enum Kind {
    MALFORMED(400, "malformed entity specification"),
    UNAUTHENTICATED(401, "missing or invalid credentials provided"),
    FORBIDDEN(403, "failed to perform authorization over the entity"),
    NOT_FOUND(404, "entity not found"),
    METHOD_NOT_ALLOWED(405, "method not allowed"),
    CONFLICT(409, "entity already exists"),
    TOO_LARGE(413, "request body too large"),
    URI_TOO_LONG(414, "request URI too long"),
    UNSUPPORTED_CONTENT_TYPE(415, "unsupported content type"),
    TOO_MANY_REQUESTS(429, "too many requests"),
    HEADERS_TOO_LARGE(431, "request header fields too large"),
    UNAVAILABLE(503, "service unavailable");

    public final int status;
    public final String error;

    Kind(int status, String error) {
      this.status = status;
      this.error = error;
    }
  }

  private final Kind kind;
  private final java.time.Duration retryAfter;

  public ApiError(Kind kind, String message) {
    this(kind, message, java.time.Duration.ZERO);
  }

  private ApiError(Kind kind, String message, java.time.Duration retryAfter) {
    super(message, null, false, false);
    this.kind = kind;
    this.retryAfter = retryAfter;
  }

  public Kind kind() {
    return kind;
  }

  /** How long the caller should wait before trying again (the {@code Retry-After} header); zero when it need not. */
  public java.time.Duration retryAfter() {
    return retryAfter;
  }

  /** A 429: the caller sent too many such requests and may try again after {@code retryAfter}. */
  public static ApiError tooManyRequests(String message, java.time.Duration retryAfter) {
    return new ApiError(Kind.TOO_MANY_REQUESTS, message, retryAfter);
  }

  /** A 503 the caller may retry after {@code retryAfter}. */
  public static ApiError unavailable(String message, java.time.Duration retryAfter) {
    return new ApiError(Kind.UNAVAILABLE, message, retryAfter);
  }

  public static ApiError malformed(String message) {
    return new ApiError(Kind.MALFORMED, message);
  }

  public static ApiError unauthenticated(String message) {
    return new ApiError(Kind.UNAUTHENTICATED, message);
  }

  public static ApiError forbidden(String message) {
    return new ApiError(Kind.FORBIDDEN, message);
  }

  public static ApiError notFound(String message) {
    return new ApiError(Kind.NOT_FOUND, message);
  }

  public static ApiError conflict(String message) {
    return new ApiError(Kind.CONFLICT, message);
  }

  public static ApiError unavailable(String message) {
    return new ApiError(Kind.UNAVAILABLE, message);
  }
}
