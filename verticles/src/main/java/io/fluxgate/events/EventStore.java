package io.fluxgate.events;

import io.fluxgate.codecs.DomainEvent;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;

/**
 * A durable, ordered log of domain events, each kind found through its {@link EventStoreProvider} by
 * {@link EventStores#open}. Futures complete on the Vert.x context that called the method.
 */
public interface EventStore {

  /**
   * The store answered that it will not take this event (it is too large for it, say), as opposed to not answering:
   * an append failing so counts towards the outbox's dead letter whatever else the store does meanwhile.
   */
  final class Refused extends RuntimeException {
    public Refused(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Appends one event and completes once the store has acknowledged it. Appends of one stream made one after
   * another from one context are stored in that order, and may be in flight together. Appending an
   * {@code event_id} the store already holds succeeds without storing it twice.
   */
  default Future<Void> append(DomainEvent event) {
    return append(event, event.toBytes());
  }

  /**
   * Appends {@code event} whose contract JSON is {@code body} (its {@link DomainEvent#toBytes()}), encoded by the
   * caller: the interceptor encodes on the publisher's thread so the appending context does not have to. A store
   * whose {@link #storesBody()} is false may be handed {@code null}.
   */
  Future<Void> append(DomainEvent event, byte[] body);

  /**
   * Whether {@link #append(DomainEvent, byte[])} stores the body it is given; a store that lays out the event
   * itself says no, and the interceptor then leaves a published event unencoded.
   */
  default boolean storesBody() {
    return true;
  }

  /**
   * Starts a durable consumer named {@code consumer} on {@code stream}: it keeps its own cursor, gets every event
   * at least once in stream order, acknowledges each after {@code handler} succeeds, retries a failing handler with
   * back-off and, after the configured number of attempts, parks the event on the stream's dead-letter stream and
   * goes on. {@code from} applies only to a consumer the store has never seen; a known one resumes at its cursor.
   */
  Future<Subscription> subscribe(String stream, String consumer, StartFrom from, EventHandler handler);

  /** Follows {@code stream} without a durable cursor or acknowledgements, for people who watch the log. */
  Future<Subscription> tail(String stream, StartFrom from, Handler<DomainEvent> handler);

  /**
   * How long after an append the store still drops a second append of the same {@code event_id} by itself; the
   * outbox relay asks {@link #held} about rows older than this. Stores that de-duplicate for ever say so.
   */
  default Duration deduplicationWindow() {
    return FOREVER;
  }

  /**
   * Which of {@code events} the store already holds, looked for among events appended between {@code from} and
   * {@code to} (Unix nanoseconds). Asked only for events older than {@link #deduplicationWindow()}.
   */
  default Future<Set<String>> held(List<DomainEvent> events, long from, long to) {
    return Future.succeededFuture(Set.of());
  }

  /** A window no delay reaches. */
  Duration FOREVER = ChronoUnit.FOREVER.getDuration();

  /**
   * Reads {@code stream} from the oldest event the store retains up to the last one appended when the call began,
   * handing each to {@code handler} (on the calling context, in stream order), then completes with the count: a
   * bounded replay, for rebuilding state.
   */
  Future<Long> readToEnd(String stream, Handler<DomainEvent> handler);

  /** Stops every subscription and releases the connection. */
  Future<Void> close();

  /** Where a new consumer starts. */
  enum StartFrom {
    /** The oldest event the store retains: a replay. */
    BEGINNING,
    /** Only events appended from now on. */
    NOW
  }

  /** A durable consumer's handler; a failed future means "not handled, try again". */
  @FunctionalInterface
  interface EventHandler {
    Future<Void> handle(DomainEvent event);
  }

  /** A running consumer. */
  interface Subscription {
    /**
     * Stops the consumer; completes within {@link Delivery#STOP_GRACE} even if a handler never answers, whose
     * event then comes again to the next instance.
     */
    Future<Void> stop();
  }
}
