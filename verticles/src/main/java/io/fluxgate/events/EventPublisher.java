package io.fluxgate.events;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.EncodedEvent;
import io.fluxgate.sql.Database;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.sqlclient.SqlConnection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * How services emit domain events: a command that changes state runs in {@link #commit}, which writes its change
 * and its events in one transaction and publishes the events once it has committed; events that change nothing go
 * out through {@link #publish}. Either way the event is on the bus at {@code events.<stream>}, where the
 * {@link EventInterceptor} makes it durable before anyone receives it.
 */
public final class EventPublisher {

  /** Marks an event that has an outbox row, so the interceptor clears the row once the store has the event. */
  static final String OUTBOX_HEADER = "fg-outbox";
  /** The header's value on an event the relay publishes again from its row. */
  static final String RELAYED = "relay";

  private final Database db;
  private final EventBus bus;
  private final Outbox outbox;
  /** Bus addresses by stream, built once: a fresh string per publish also had its hash computed by the bus. */
  private final Map<String, String> addresses = new ConcurrentHashMap<>();

  public EventPublisher(Database db, EventBus bus, Outbox outbox) {
    this.db = db;
    this.bus = bus;
    this.outbox = outbox;
  }

  /**
   * Runs {@code command} in a transaction with its events' outbox rows; the result succeeds once the transaction
   * has committed, whether or not the event store is reachable at that moment.
   */
  public <T> Future<T> commit(Function<SqlConnection, Future<Change<T>>> command) {
    return db.inTransaction(conn -> command.apply(conn)
            .compose(change -> outbox.record(conn, change.events())
                .map(recorded -> new Committed<>(change.result(), recorded))))
        .map(committed -> {
          // Ahead of the durable copies, whose delivery waits for the store: a right taken away must not wait.
          committed.events().forEach(event -> bus.publish(Addresses.committed(event.event().stream()), event));
          committed.events().forEach(this::publishRecorded);
          return committed.result();
        });
  }

  private String address(String stream) {
    return addresses.computeIfAbsent(stream, Addresses::events);
  }

  /** A command's result and its events with the bytes their outbox rows hold, so that nothing encodes them again. */
  private record Committed<T>(T result, List<EncodedEvent> events) {}

  /** Publishes an event that changes no state (a read, a session change); it is appended with bounded retries. */
  public void publish(DomainEvent event) {
    bus.publish(address(event.stream()), event);
  }

  /** Publishes an event that has an outbox row, carrying the row's bytes to the store. */
  void publishRecorded(EncodedEvent recorded) {
    bus.publish(address(recorded.event().stream()), recorded,
        new DeliveryOptions().addHeader(OUTBOX_HEADER, "1"));
  }

  /** Publishes again an event the relay took from its outbox row, oldest first. */
  void publishRelayed(EncodedEvent recorded) {
    bus.publish(address(recorded.event().stream()), recorded,
        new DeliveryOptions().addHeader(OUTBOX_HEADER, RELAYED));
  }
}
