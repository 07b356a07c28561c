package io.fluxgate.testing;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.EventStore;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** A real store whose appends pass through a test's own step first (to count, note or refuse them). */
public final class TappedStore implements EventStore {

  /** What the test does with one append; it hands the event on to the wrapped store itself where it should go on. */
  public interface Tap {
    Future<Void> append(DomainEvent event, byte[] body);
  }

  private final EventStore store;
  private final Tap tap;

  private TappedStore(EventStore store, Tap tap) {
    this.store = store;
    this.tap = tap;
  }

  public static EventStore of(EventStore store, Tap tap) {
    return new TappedStore(store, tap);
  }

  @Override
  public Future<Void> append(DomainEvent event, byte[] body) {
    return tap.append(event, body);
  }

  @Override
  public boolean storesBody() {
    return store.storesBody();
  }

  @Override
  public Future<Subscription> subscribe(String stream, String consumer, StartFrom from, EventHandler handler) {
    return store.subscribe(stream, consumer, from, handler);
  }

  @Override
  public Future<Subscription> tail(String stream, StartFrom from, Handler<DomainEvent> handler) {
    return store.tail(stream, from, handler);
  }

  @Override
  public Duration deduplicationWindow() {
    return store.deduplicationWindow();
  }

  @Override
  public Future<Set<String>> held(List<DomainEvent> events, long from, long to) {
    return store.held(events, from, to);
  }

  @Override
  public Future<Long> readToEnd(String stream, Handler<DomainEvent> handler) {
    return store.readToEnd(stream, handler);
  }

  @Override
  public Future<Void> close() {
    return store.close();
  }
}
