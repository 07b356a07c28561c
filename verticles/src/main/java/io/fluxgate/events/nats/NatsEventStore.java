package io.fluxgate.events.nats;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.config.ConfigException;
import io.fluxgate.events.ContextHandoff;
import io.fluxgate.events.Delivery;
import io.fluxgate.events.EventStore;
import io.fluxgate.events.EventStoreConfig;
import io.nats.client.ConsumeOptions;
import io.nats.client.Connection;
import io.nats.client.ConsumerContext;
import io.nats.client.IterableConsumer;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.MessageConsumer;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.StreamContext;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The NATS JetStream event store: one stream (default {@code events}) over subjects {@code events.>}, file
 * storage, retention from configuration (no 24-hour cut); each event on subject {@code events.<stream>} with
 * header {@code Nats-Msg-Id} = {@code event_id}, so the server drops duplicates; durable pull consumers named
 * {@code <subject with . as _>-<consumer>} with explicit acknowledgement.
 */
public final class NatsEventStore implements EventStore {

  static final String MSG_ID = "Nats-Msg-Id";
  /** Room for an event's headers (id, content type) within the server's max_payload. */
  private static final int HEADROOM = 1024;
  private static final Logger LOG = LoggerFactory.getLogger(NatsEventStore.class);
  private static final int JS_NOT_FOUND = 404;
  /** How far before its row's creation an event may sit in the stream: clocks of nodes and server differ. */
  private static final Duration CLOCK_SLACK = Duration.ofSeconds(5);

  /** A tail's pull lasts this long, so a pull lost with the connection is renewed within 3 of its half-lives. */
  private static final long TAIL_PULL_EXPIRES_MS = 5_000;

  private final Vertx vertx;
  private final EventStoreConfig config;
  private final NatsSettings settings;
  private final Connection connection;
  private final JetStream jetStream;
  private final StreamContext streamContext;
  /** Per appending context: its queue of appends not yet written and the hand-off of their answers back to it. */
  private final Map<Context, Appender> appenders = new ConcurrentHashMap<>();
  /** Subjects by stream, built once rather than per append. */
  private final Map<String, String> subjects = new ConcurrentHashMap<>();
  private final Set<MessageConsumer> consumers = ConcurrentHashMap.newKeySet();
  private final Set<NatsConsumerWorker> workers = ConcurrentHashMap.newKeySet();

  private NatsEventStore(Vertx vertx, EventStoreConfig config, Connection connection) throws Exception {
    this.vertx = vertx;
    this.config = config;
    this.settings = (NatsSettings) config.store();
    this.connection = connection;
    this.jetStream = connection.jetStream();
    this.streamContext = connection.getStreamContext(settings.stream());
  }

  /** Connects (retrying in the background after a later loss) and makes sure the stream exists as configured. */
  public static Future<EventStore> open(Vertx vertx, EventStoreConfig config) {
    return vertx.<EventStore>executeBlocking(() -> {
      Options options = Options.builder()
          .server(((NatsSettings) config.store()).url())
          .connectionName("fluxgate")
          .maxReconnects(-1)
          // Above the interceptor's window, so publishing never waits for room (which would block an event loop).
          .maxMessagesInOutgoingQueue(65_536)
          // A JetStream publish is a request, and jnats writes every request to the socket on its own by default:
          // one write (and one read on the server) per event. Without it the writer sends whatever is queued in
          // one write, as it does for plain publishes.
          .dontForceFlushOnRequest()
          .reconnectWait(Duration.ofMillis(250))
          // No publishing into a buffer while disconnected: an append that timed out and went back to the outbox
          // must not be sent after the reconnect as well, behind or ahead of its relayed copy and newer events.
          .reconnectBufferSize(0)
          .connectionTimeout(Duration.ofSeconds(5))
          .errorListener(new QuietErrorListener())
          .build();
      Connection connection = Nats.connect(options);
      try {
        // An event the server will never take would sit in the outbox until dead-lettered: refuse the setting instead.
        if (config.maxEventBytes() + HEADROOM > connection.getMaxPayload()) {
          throw new ConfigException("invalid configuration es.max_event_bytes (FG_ES_MAX_EVENT_BYTES) = "
              + config.maxEventBytes() + ": the NATS server at " + ((NatsSettings) config.store()).describe()
              + " takes messages of at most " + connection.getMaxPayload() + " bytes (max_payload), headers included;"
              + " set it at most " + (connection.getMaxPayload() - HEADROOM) + " or raise the server's max_payload");
        }
        ensureStream(connection.jetStreamManagement(), config);
        return new NatsEventStore(vertx, config, connection);
      } catch (Exception e) {
        connection.close();
        throw e;
      }
    }, false).recover(error -> {
      if (error instanceof ConfigException) {
        return Future.failedFuture(error);
      }
      NatsSettings settings = (NatsSettings) config.store();
      return Future.failedFuture(new ConfigException("cannot use the event store es.url (FG_ES_URL) = '"
          + settings.describe() + "': " + explain(error, settings)));
    });
  }

  /** The reason in an operator's words, without the URL's credentials. */
  private static String explain(Throwable error, NatsSettings settings) {
    String message = String.valueOf(error.getMessage()).replace(settings.url(), settings.describe());
    if (message.contains("Authorization Violation") || message.contains("Authentication")) {
      return "NATS refused the credentials (" + message + ")";
    }
    if (message.contains("Unable to connect")) {
      return "no NATS server answers there (" + message + ")";
    }
    if (message.contains("JetStream not enabled")) {
      return "the NATS server runs without JetStream: start it with -js (" + message + ")";
    }
    return message;
  }

  private static void ensureStream(JetStreamManagement jsm, EventStoreConfig config) throws Exception {
    NatsSettings settings = (NatsSettings) config.store();
    StreamConfiguration stream = StreamConfiguration.builder()
        .name(settings.stream())
        .subjects(Addresses.EVENTS_PREFIX + ">")
        .storageType(StorageType.File)
        .maxAge(config.maxAge())
        .maxBytes(config.maxBytes())
        .duplicateWindow(settings.duplicateWindow())
        .build();
    try {
      jsm.getStreamInfo(settings.stream());
      jsm.updateStream(stream);
    } catch (JetStreamApiException e) {
      if (e.getErrorCode() != JS_NOT_FOUND) {
        throw e;
      }
      jsm.addStream(stream);
      LOG.info("created JetStream stream {} (subjects events.>, file storage, max age {})",
          settings.stream(), config.maxAge().isZero() ? "unlimited" : config.maxAge());
    }
  }

  /** The subject of {@code stream}: {@code events.<stream>}. */
  public static String subject(String stream) {
    return Addresses.events(stream);
  }

  /** The durable consumer of {@code consumer} on {@code stream}, as the event contract names it. */
  public static String durableName(String stream, String consumer) {
    return subject(stream).replace('.', '_') + "-" + consumer;
  }

  /** A JetStream answer on its way back to the context that appended. */
  private record Ack(Promise<Void> promise, Throwable error) {}

  /** An append queued on its context until the end of the context's current task. */
  private record Queued(String subject, String eventId, byte[] body, Promise<Void> promise) {}

  /**
   * The appends of one event-loop context. Appends made during one task of the context are queued and handed to
   * jnats together when the task is over, in the order they were made: jnats' writer thread then finds them all in
   * its queue and writes them in one go, where appends handed over one at a time between other work (the
   * interceptor delivers an event, then appends the next) woke the writer for nearly every message. The answers
   * come back to the context through one {@link ContextHandoff}.
   */
  private final class Appender {
    final Context context;
    final ContextHandoff<Ack> acks;
    /** Touched on the context's thread only. */
    ArrayList<Queued> queued = new ArrayList<>();
    boolean flushScheduled;

    Appender(Context context) {
      this.context = context;
      this.acks = new ContextHandoff<>(context, NatsEventStore::complete);
    }

    Future<Void> append(String subject, String eventId, byte[] body) {
      Promise<Void> appended = Promise.promise();
      queued.add(new Queued(subject, eventId, body, appended));
      if (!flushScheduled) {
        flushScheduled = true;
        context.runOnContext(v -> flush());
      }
      return appended.future();
    }

    void flush() {
      flushScheduled = false;
      ArrayList<Queued> batch = queued;
      queued = new ArrayList<>(Math.max(16, batch.size()));
      for (Queued next : batch) {
        try {
          publish(next.subject(), next.eventId(), next.body(), acks, next.promise());
        } catch (RuntimeException e) {
          next.promise().fail(e);
        }
      }
    }
  }

  @Override
  public Future<Void> append(DomainEvent event, byte[] body) {
    String subject = subjects.computeIfAbsent(event.stream(), NatsEventStore::subject);
    Context current = Vertx.currentContext();
    if (current != null && current.isEventLoopContext() && current.owner() == vertx) {
      return appenders.computeIfAbsent(current, Appender::new).append(subject, event.eventId(), body);
    }
    // Off an event loop (a worker, a foreign thread): at once, answered on the context the caller would get.
    Appender appender = appenders.computeIfAbsent(vertx.getOrCreateContext(), Appender::new);
    Promise<Void> appended = Promise.promise();
    try {
      publish(subject, event.eventId(), body, appender.acks, appended);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return appended.future();
  }

  private void publish(String subject, String eventId, byte[] body, ContextHandoff<Ack> acks,
      Promise<Void> appended) {
    Headers headers = new Headers();
    headers.put(MSG_ID, eventId);
    headers.put("Content-Type", "application/json");
    try {
      jetStream.publishAsync(subject, headers, body).whenComplete((ack, error) -> acks.hand(new Ack(appended, error)));
    } catch (IllegalArgumentException e) {
      // The client measures the message against the server's max_payload before sending it.
      throw new Refused(e.getMessage());
    }
  }

  private static void complete(Ack ack) {
    if (ack.error() == null) {
      ack.promise().complete();
    } else {
      Throwable cause = ack.error() instanceof CompletionException && ack.error().getCause() != null
          ? ack.error().getCause() : ack.error();
      ack.promise().fail(cause);
    }
  }

  @Override
  public Future<Subscription> subscribe(String stream, String consumer, StartFrom from, EventHandler handler) {
    Context context = vertx.getOrCreateContext();
    String name = durableName(stream, consumer);
    return vertx.executeBlocking(() -> durableConsumer(stream, name, from), false).compose(consumerContext -> {
      Delivery delivery = new Delivery(vertx, config, consumer, handler, this::append);
      var worker = new NatsConsumerWorker(stream, context, delivery, config);
      return vertx.executeBlocking(() -> {
        MessageConsumer running = consumerContext.consume(worker.consumeOptions(), worker::received);
        consumers.add(running);
        workers.add(worker);
        return (Subscription) () -> {
          workers.remove(worker);
          // Pulling stops first, so the messages given back go to the next instance, not to this one again.
          return stop(running).eventually(worker::stop);
        };
      }, false);
    });
  }

  private ConsumerContext durableConsumer(String stream, String name, StartFrom from) throws Exception {
    try {
      return streamContext.getConsumerContext(name);
    } catch (JetStreamApiException e) {
      if (e.getErrorCode() != JS_NOT_FOUND) {
        throw e;
      }
    }
    return streamContext.createOrUpdateConsumer(ConsumerConfiguration.builder()
        .durable(name)
        .filterSubject(subject(stream))
        .ackPolicy(AckPolicy.Explicit)
        .ackWait(settings.ackWait())
        .maxAckPending(NatsConsumerWorker.MAX_ACK_PENDING)
        .deliverPolicy(from == StartFrom.BEGINNING ? DeliverPolicy.All : DeliverPolicy.New)
        .build());
  }

  @Override
  public Future<Subscription> tail(String stream, StartFrom from, Handler<DomainEvent> handler) {
    Context context = vertx.getOrCreateContext();
    return vertx.executeBlocking(() -> {
      var ordered = streamContext.createOrderedConsumer(new OrderedConsumerConfiguration()
          .filterSubject(subject(stream))
          .deliverPolicy(from == StartFrom.BEGINNING ? DeliverPolicy.All : DeliverPolicy.New));
      // jnats's default pull (30 s, heartbeat 15 s) notices a pull lost to a server restart only after 45 s.
      MessageConsumer running = ordered.consume(ConsumeOptions.builder().expiresIn(TAIL_PULL_EXPIRES_MS).build(),
          message -> {
            DomainEvent event = decode(stream, message);
            if (event != null) {
              context.runOnContext(v -> handler.handle(event));
            }
          });
      consumers.add(running);
      return (Subscription) () -> stop(running);
    }, false);
  }

  @Override
  public Duration deduplicationWindow() {
    return settings.duplicateWindow();
  }

  /** Reads the headers of each stream's messages stored from {@code from} to {@code to}, looking for the ids. */
  @Override
  public Future<Set<String>> held(List<DomainEvent> events, long from, long to) {
    Map<String, Set<String>> wanted = new HashMap<>();
    for (DomainEvent event : events) {
      wanted.computeIfAbsent(event.stream(), s -> new HashSet<>()).add(event.eventId());
    }
    ZonedDateTime start = Instant.ofEpochSecond(0, from).minus(CLOCK_SLACK).atZone(ZoneOffset.UTC);
    Instant end = Instant.ofEpochSecond(0, to).plus(CLOCK_SLACK);
    return vertx.executeBlocking(() -> {
      Set<String> held = new HashSet<>();
      for (var stream : wanted.entrySet()) {
        held.addAll(scan(stream.getKey(), stream.getValue(), start, end));
      }
      return held;
    }, false);
  }

  private Set<String> scan(String stream, Set<String> ids, ZonedDateTime start, Instant end) throws Exception {
    Set<String> found = new HashSet<>();
    var ordered = streamContext.createOrderedConsumer(new OrderedConsumerConfiguration()
        .filterSubject(subject(stream))
        .deliverPolicy(DeliverPolicy.ByStartTime)
        .startTime(start)
        .headersOnly(true));
    try (IterableConsumer messages = ordered.iterate()) {
      Message message;
      while (found.size() < ids.size() && (message = messages.nextMessage(Duration.ofSeconds(2))) != null) {
        Headers headers = message.getHeaders();
        String id = headers == null ? null : headers.getFirst(MSG_ID);
        if (id != null && ids.contains(id)) {
          found.add(id);
        }
        var meta = message.metaData();
        if (meta.pendingCount() == 0 || meta.timestamp().toInstant().isAfter(end)) {
          break;
        }
      }
    }
    return found;
  }

  @Override
  public Future<Long> readToEnd(String stream, Handler<DomainEvent> handler) {
    Context context = vertx.getOrCreateContext();
    return vertx.executeBlocking(() -> {
      long end;
      try {
        end = connection.jetStreamManagement().getLastMessage(settings.stream(), subject(stream)).getSeq();
      } catch (JetStreamApiException e) {
        if (e.getErrorCode() == JS_NOT_FOUND) {
          return 0L;
        }
        throw e;
      }
      var ordered = streamContext.createOrderedConsumer(new OrderedConsumerConfiguration()
          .filterSubject(subject(stream)).deliverPolicy(DeliverPolicy.All));
      long read = 0;
      try (var messages = ordered.iterate()) {
        while (true) {
          Message message = messages.nextMessage(Duration.ofSeconds(30));
          if (message == null) {
            throw new IllegalStateException("JetStream stopped delivering " + stream + " before its end (" + end + ")");
          }
          DomainEvent event = decode(stream, message);
          if (event != null) {
            read++;
            context.runOnContext(v -> handler.handle(event));
          }
          if (message.metaData().streamSequence() >= end) {
            return read;
          }
        }
      }
    }, true);
  }

  static DomainEvent decode(String stream, Message message) {
    try {
      return DomainEvent.fromBuffer(stream, Buffer.buffer(message.getData()));
    } catch (RuntimeException e) {
      LOG.warn("skipping a message on {} that is not a domain event: {}", message.getSubject(), e.getMessage());
      return null;
    }
  }

  private Future<Void> stop(MessageConsumer running) {
    consumers.remove(running);
    return vertx.executeBlocking(() -> {
      running.close();
      return null;
    }, false);
  }

  @Override
  public Future<Void> close() {
    List<MessageConsumer> open = List.copyOf(consumers);
    consumers.clear();
    workers.forEach(NatsConsumerWorker::stop);
    workers.clear();
    return vertx.executeBlocking(() -> {
      for (MessageConsumer running : open) {
        running.close();
      }
      connection.close();
      return null;
    }, false);
  }
}
