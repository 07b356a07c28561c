package io.fluxgate.api;

import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import java.time.Duration;

/**
 * Requests from one service to another over the event bus (on any node of the cluster), each bounded by a short
 * timeout: a service no node runs, or one that does not answer in time (its node just died), is a 503 that says so,
 * while the refusal of a service that answered keeps its code for the caller to map.
 */
public final class ServiceRequests {

  /** The default of {@code node.bus_timeout}. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  private final EventBus bus;
  private final Duration timeout;
  private final DeliveryOptions options;

  public ServiceRequests(EventBus bus, Duration timeout) {
    this.bus = bus;
    this.timeout = timeout;
    this.options = new DeliveryOptions().setSendTimeout(timeout.toMillis());
  }

  /**
   * The body of the {@code service}'s answer to {@code body} at {@code address}; a {@link ReplyException} of type
   * {@code RECIPIENT_FAILURE} when the service refused, a 503 {@link ApiError} when no node answered.
   */
  public <T> Future<T> request(String service, String address, Object body) {
    return bus.<T>request(address, body, options).map(Message::body)
        .recover(error -> Future.failedFuture(unavailable(service, error)));
  }

  private Throwable unavailable(String service, Throwable error) {
    if (!(error instanceof ReplyException reply)) {
      return error;
    }
    return switch (reply.failureType()) {
      case RECIPIENT_FAILURE -> error;
      case NO_HANDLERS -> ApiError.unavailable("no node runs the " + service + " service: start one with the "
          + service + " role, or check that this node has joined the cluster", Duration.ofSeconds(1));
      case TIMEOUT -> ApiError.unavailable("the " + service + " service did not answer within " + written(timeout)
          + " (node.bus_timeout); a node running it may have just left the cluster: try again", Duration.ofSeconds(1));
      default -> ApiError.unavailable("the " + service + " service cannot be reached: " + reply.getMessage(),
          Duration.ofSeconds(1));
    };
  }

  private static String written(Duration duration) {
    long millis = duration.toMillis();
    return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
  }
}
