package io.fluxgate.e2e;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;

/** The REST and HTTP-adapter calls of a run: each timed under its event's operation name, each checked. */
final class PlatformClient {

  /** The public interfaces of a deployment, by service. */
  enum Service { USERS, THINGS, BOOTSTRAP, HTTP_ADAPTER }

  /** What a call answered. */
  record Answer(int status, byte[] bytes, String location) {
    String body() {
      return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }

    JsonObject json() {
      try {
        return body().isBlank() ? new JsonObject() : new JsonObject(body());
      } catch (DecodeException e) {
        throw new CallFailed("answer is not a JSON object: " + abbreviated(body()));
      }
    }
  }

  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final EndToEndRun.Target target;
  private final CallTimings timings;
  private final Pacer pacer;

  /** The longest {@code Retry-After} of a 429 waited out, in seconds; a longer one fails the call. */
  private static final long MAX_RATE_WAIT = 60;

  PlatformClient(EndToEndRun.Target target, CallTimings timings, Pacer pacer) {
    this.target = target;
    this.timings = timings;
    this.pacer = pacer;
  }

  /**
   * Makes one call and fails the run unless it answered {@code expected}.
   *
   * @param call the operation the call stands for, e.g. {@code thing.create}: the summary's call type
   * @param authorization the whole {@code Authorization} value ("Bearer …", "Thing …"), or null
   * @param body a JSON value, or null for no body
   */
  Answer call(String call, Service service, String method, String path, String authorization, Object body,
      int... expected) {
    return send(call, service, method, path, authorization, body, "application/json", expected);
  }

  /** As {@link #call}, with a body of another content type. */
  Answer send(String call, Service service, String method, String path, String authorization, Object body,
      String contentType, int... expected) {
    URI uri = URI.create("http://" + target.host() + ":" + port(service) + path);
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(CALL_TIMEOUT);
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    if (body != null) {
      request.header("Content-Type", contentType);
      String text = body instanceof String s ? s : Json.encode(body);
      request.method(method, HttpRequest.BodyPublishers.ofString(text));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    pacer.await();
    long start = System.nanoTime();
    HttpResponse<byte[]> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (ConnectException e) {
      throw new CallFailed(call + ": " + method + " " + uri + ": nothing listens there (" + service.name()
          .toLowerCase().replace('_', ' ') + " not running?)");
    } catch (IOException e) {
      throw new CallFailed(call + ": " + method + " " + uri + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CallFailed(call + ": interrupted");
    }
    timings.record(call, System.nanoTime() - start);
    int answered = response.statusCode();
    long wait = retryAfterSeconds(response);
    if (answered == 429 && Arrays.stream(expected).noneMatch(status -> status == 429) && wait <= MAX_RATE_WAIT) {
      // The deployment limits this call (sign-ins per address, say): wait as it asks, then make it again.
      try {
        Thread.sleep(wait * 1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CallFailed(call + ": interrupted");
      }
      return send(call, service, method, path, authorization, body, contentType, expected);
    }
    if (Arrays.stream(expected).noneMatch(status -> status == answered)) {
      throw new CallFailed(call + ": " + method + " " + uri + " answered " + response.statusCode() + " (expected "
          + Arrays.toString(expected) + "): " + abbreviated(new String(response.body(),
          java.nio.charset.StandardCharsets.UTF_8)));
    }
    return new Answer(response.statusCode(), response.body(),
        response.headers().firstValue("Location").orElse(null));
  }

  private int port(Service service) {
    return switch (service) {
      case USERS -> target.usersPort();
      case THINGS -> target.thingsPort();
      case BOOTSTRAP -> target.bootstrapPort();
      case HTTP_ADAPTER -> target.httpPort();
    };
  }

  static String abbreviated(String body) {
    String flat = body == null ? "" : body.replaceAll("\\s+", " ");
    return flat.length() > 400 ? flat.substring(0, 400) + "…" : flat;
  }

  // Whole seconds of a Retry-After header; none, or a date, counts as more than is ever waited.
  private static long retryAfterSeconds(HttpResponse<byte[]> response) {
    try {
      return response.headers().firstValue("Retry-After").map(Long::parseLong).orElse(Long.MAX_VALUE);
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }
}
