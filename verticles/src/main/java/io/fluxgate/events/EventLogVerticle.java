package io.fluxgate.events;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.config.UrlCredentials;
import io.fluxgate.sql.Database;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the event log of one node: opens the configured store, installs the {@link EventInterceptor} on the bus
 * and runs the {@link OutboxRelay}. Deployed before the services and undeployed after them, so that every event a
 * service publishes is appended and no append is cut off at shutdown.
 */
public final class EventLogVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(EventLogVerticle.class);

  private final Database db;
  private final EventStoreConfig config;
  private final UnaryOperator<EventStore> storeView;
  private EventStore store;
  private EventPublisher publisher;
  private Outbox outbox;
  private OutboxRelay relay;
  private EventInterceptor interceptor;
  private long timer;

  public EventLogVerticle(Database db, EventStoreConfig config) {
    this(db, config, UnaryOperator.identity());
  }

  /** With {@code storeView} around the opened store: how a test puts a refusing store between log and store. */
  public EventLogVerticle(Database db, EventStoreConfig config, UnaryOperator<EventStore> storeView) {
    this.db = db;
    this.config = config;
    this.storeView = storeView;
  }

  @Override
  public Future<?> start() {
    return EventStores.open(vertx, config, db).onSuccess(opened -> {
      store = storeView.apply(opened);
      outbox = new Outbox(db, config.maxEventBytes());
      publisher = new EventPublisher(db, vertx.eventBus(), outbox);
      relay = new OutboxRelay(vertx, outbox, publisher, store, config);
      interceptor = new EventInterceptor(vertx, context, store, relay, config.retryBuffer(), config.maxPending());
      relay.follow(interceptor, context);
    }).compose(opened -> outbox.streams()).onSuccess(waiting -> {
      // Rows a previous run left go to the store before anything newer of their streams.
      waiting.forEach(interceptor::hold);
      vertx.eventBus().addOutboundInterceptor(interceptor);
      timer = vertx.setPeriodic(config.relayInterval().toMillis(), id -> onOwnContext(() -> {
        // Retry first, expire after: what expires now waits one tick in the buffer before its next attempt.
        interceptor.retryBuffered();
        interceptor.expire(config.appendTimeout());
        relay.relay();
      }));
      registerMetrics();
      LOG.info("event store {} ready (stream prefix {})", describe(), config.prefix());
    });
  }

  /**
   * Runs {@code work} on this verticle's context, where the interceptor and the relay live: a store whose futures
   * completed elsewhere (breaking its contract) would otherwise start the timer on another event loop.
   */
  private void onOwnContext(Runnable work) {
    if (vertx.getOrCreateContext() == context) {
      work.run();
    } else {
      context.runOnContext(v -> work.run());
    }
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return interceptor.drain()
        .timeout(config.appendTimeout().toMillis() * 2, TimeUnit.MILLISECONDS)
        .recover(e -> {
          LOG.warn("stopping with appends still outstanding; their outbox rows are relayed at the next start");
          return Future.succeededFuture();
        })
        .compose(v -> relay.settle())
        .eventually(() -> {
          vertx.eventBus().removeOutboundInterceptor(interceptor);
          return store.close();
        });
  }

  /** Counters operators watch on /metrics; absent when the node runs without metrics. */
  private void registerMetrics() {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    if (registry == null) {
      return;
    }
    FunctionCounter.builder("fluxgate_events_appended", interceptor, EventInterceptor::appended)
        .description("Events the store acknowledged through the interceptor").register(registry);
    FunctionCounter.builder("fluxgate_events_append_failures", interceptor, EventInterceptor::failedAppends)
        .description("Appends that failed or timed out (outbox events are relayed, others retried)").register(registry);
    FunctionCounter.builder("fluxgate_events_dropped", interceptor, EventInterceptor::dropped)
        .description("Direct events dropped because the retry buffer was full").register(registry);
    Gauge.builder("fluxgate_events_retry_buffered", interceptor, EventInterceptor::buffered)
        .description("Direct events waiting for the store").register(registry);
    Gauge.builder("fluxgate_events_outbox_rows", relay, r -> r.stats().rows())
        .description("Events committed and not yet acknowledged by the store").register(registry);
    Gauge.builder("fluxgate_events_outbox_oldest_age_seconds", relay,
            r -> r.stats().oldestCreatedAt() == 0 ? 0 : (DomainEvent.nowNanos() - r.stats().oldestCreatedAt()) / 1e9)
        .description("Age of the oldest event waiting in the outbox").register(registry);
    Gauge.builder("fluxgate_events_outbox_dead_rows", relay, r -> r.stats().deadRows())
        .description("Outbox events the store kept refusing, parked for an operator").register(registry);
    Gauge.builder("fluxgate_events_in_flight", interceptor, EventInterceptor::inFlightCount)
        .description("Events published and not yet acknowledged by the store").register(registry);
    Gauge.builder("fluxgate_events_held", interceptor, EventInterceptor::held)
        .description("Events held in memory waiting for the store (at most es.max_pending)").register(registry);
    Gauge.builder("fluxgate_events_parked", interceptor, EventInterceptor::parkedCount)
        .description("Outbox events held in memory behind older rows of their stream that the relay publishes first")
        .register(registry);
    FunctionCounter.builder("fluxgate_events_left_to_relay", interceptor, EventInterceptor::leftToRelay)
        .description("Outbox events not held because es.max_pending were waiting; the relay republishes them")
        .register(registry);
  }

  private String describe() {
    return EventStores.usesStateDatabase(config) ? config.type() + " (" + db.config().describe() + ")"
        : config.type() + " " + config.store().describe();
  }

  /** The store, for durable subscribers and tools. */
  public EventStore store() {
    return store;
  }

  /** How services emit events. */
  public EventPublisher publisher() {
    return publisher;
  }

  /** The outbox, for operators and tests that want to know how much waits for the store. */
  public Outbox outbox() {
    return outbox;
  }

  /**
   * Counters of the interceptor: appended, failed appends, dropped direct events, buffered direct events, events
   * in flight, events held in memory (now and at most), outbox events left to the relay by the bound.
   */
  public EventLogStats stats() {
    return new EventLogStats(interceptor.appended(), interceptor.failedAppends(), interceptor.dropped(),
        interceptor.buffered(), interceptor.inFlightCount(), interceptor.held(), interceptor.peakHeld(),
        interceptor.leftToRelay());
  }

  /** A snapshot of the interceptor's counters. */
  public record EventLogStats(long appended, long failedAppends, long dropped, int buffered, int inFlight, int held,
      int peakHeld, long leftToRelay) {}
}
