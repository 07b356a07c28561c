package io.fluxgate.events.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.Streams;
import io.fluxgate.config.ConfigException;
import io.fluxgate.events.Delivery;
import io.fluxgate.events.EventStore;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.sql.Database;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.rabbitmq.RabbitMQClient;
import io.vertx.rabbitmq.RabbitMQOptions;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RabbitMQ event store: a durable topic exchange ({@code events}) where each event is a persistent message with
 * routing key {@code events.<stream>} and {@code message_id} = {@code event_id}, an append completing on the broker's
 * publisher confirm; a stream queue {@code events.<stream>} bound to that key keeps the log for replay, tails and
 * durable consumers (stream consumers whose offsets are stored per consumer name in the state database).
 */
public final class RabbitEventStore implements EventStore {

  private static final Logger LOG = LoggerFactory.getLogger(RabbitEventStore.class);
  /** The {@code type} of an end marker: a message that carries no event, which readers skip. */
  static final String MARKER_TYPE = "fluxgate.marker";
  static final String MARKER_HEADER = "x-fluxgate-marker";
  /** How far before its outbox row an event's chunk may be stamped: clocks of nodes and broker differ. */
  private static final long CLOCK_SLACK_MS = 5_000;

  private final Vertx vertx;
  private final EventStoreConfig config;
  private final RabbitSettings settings;
  private final ConnectionFactory factory;
  private final RabbitPublisher publisher;
  private final ConsumerOffsets offsets;
  private final Map<String, Future<Void>> declared = new ConcurrentHashMap<>();
  private final Set<StreamQueueReader> readers = ConcurrentHashMap.newKeySet();
  private RabbitMQClient topology;
  private Connection readConnection;

  private RabbitEventStore(Vertx vertx, EventStoreConfig config, ConnectionFactory factory, Database db) {
    this.vertx = vertx;
    this.config = config;
    this.settings = (RabbitSettings) config.store();
    this.factory = factory;
    this.publisher = new RabbitPublisher(vertx, factory, settings.describe());
    // Commands that only read the log (events tail) open the store without a state database.
    this.offsets = db == null ? null : new ConsumerOffsets(db);
  }

  /**
   * Connects, declares the exchange and the stream queues of the known streams; a refused password, an unknown
   * virtual host or a broker without stream queues fails with the setting named. Completes on the calling context,
   * like every other future of the store: the steps complete on the publisher's own thread and on the topology
   * client's context, and what the caller does next (the event log starts its relay timer) must not run there.
   */
  public static Future<EventStore> open(Vertx vertx, EventStoreConfig config, Database db) {
    Context caller = vertx.getOrCreateContext();
    return onContext(caller, () -> connect(vertx, config, db));
  }

  private static Future<EventStore> connect(Vertx vertx, EventStoreConfig config, Database db) {
    RabbitSettings settings = (RabbitSettings) config.store();
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(settings.url());
      if (settings.url().startsWith("amqps://")) {
        // setUri alone trusts every certificate: check it against the configured CA or the JVM's, and the host name.
        factory.useSslProtocol(sslContext(vertx, settings));
        factory.enableHostnameVerification();
      }
    } catch (Exception e) {
      return Future.failedFuture(new ConfigException("invalid configuration es.url (FG_ES_URL) = '"
          + settings.describe() + "': " + e.getMessage()));
    }
    // Recovery is the store's own: a stream consumer must come back at its next offset, not where it first began.
    factory.setAutomaticRecoveryEnabled(false);
    factory.setTopologyRecoveryEnabled(false);
    factory.setConnectionTimeout(5_000);
    factory.setRequestedHeartbeat(10);
    // Writes go through a queue drained by the connection's I/O thread instead of one socket flush per publish.
    factory.useNio();
    RabbitEventStore store = new RabbitEventStore(vertx, config, factory, db);
    return store.publisher.start()
        .compose(v -> store.declareTopology())
        .<EventStore>map(store)
        .recover(error -> store.close().transform(v -> Future.failedFuture(new ConfigException(
            "cannot use the event store es.url (FG_ES_URL) = '" + settings.describe() + "': " + explain(error)))));
  }

  private static javax.net.ssl.SSLContext sslContext(Vertx vertx, RabbitSettings settings) throws Exception {
    if (settings.tlsCa().isEmpty()) {
      return javax.net.ssl.SSLContext.getDefault();
    }
    javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
    context.init(null, trust(settings).getTrustManagerFactory(vertx).getTrustManagers(), null);
    return context;
  }

  /** The certificates an amqps:// broker's must chain to: es.rabbitmq_tls_ca, or null for the JVM's. */
  private static io.vertx.core.net.PemTrustOptions trust(RabbitSettings settings) {
    return settings.tlsCa().isEmpty() ? null : new io.vertx.core.net.PemTrustOptions().addCertPath(settings.tlsCa());
  }

  private static String explain(Throwable error) {
    String message = String.valueOf(error.getMessage());
    if (error instanceof AuthenticationFailureException || message.contains("ACCESS_REFUSED")) {
      return "RabbitMQ refused the user name or password (" + message + ")";
    }
    if (error instanceof ConnectException) {
      return "nothing answers there (" + message + ")";
    }
    if (message.contains("vhost") || message.contains("NOT_ALLOWED")) {
      return "RabbitMQ refused the virtual host (" + message + ")";
    }
    if (message.contains("x-queue-type")) {
      return "the broker has no stream queues (RabbitMQ 3.9 or later with the stream_queue feature flag): " + message;
    }
    return message;
  }

  private Future<Void> declareTopology() {
    topology = RabbitMQClient.create(vertx, new RabbitMQOptions()
        .setUri(settings.url())
        .setConnectionName("fluxgate-topology")
        // With ssl set, the client replaces the trust-everything context of an amqps URI by a verifying one.
        .setSsl(settings.url().startsWith("amqps://"))
        .setTrustOptions(trust(settings))
        .setHostnameVerificationAlgorithm("HTTPS")
        .setAutomaticRecoveryEnabled(false)
        .setReconnectAttempts(Integer.MAX_VALUE)
        .setReconnectInterval(500));
    Streams streams = new Streams(config.prefix());
    return topology.start()
        .compose(v -> topology.exchangeDeclare(settings.exchange(), "topic", true, false))
        .compose(v -> {
          List<Future<Void>> all = new ArrayList<>();
          for (String stream : List.of(streams.users(), streams.things(), streams.bootstrap(), streams.mqtt())) {
            all.add(ensureStream(stream));
            all.add(ensureStream(Streams.deadLetters(stream)));
          }
          return Future.all(all).mapEmpty();
        });
  }

  /** The routing key and the stream queue of {@code stream}: {@code events.<stream>}. */
  public static String queue(String stream) {
    return Addresses.events(stream);
  }

  /** Declares the stream queue of {@code stream} and binds it to the exchange, once per store. */
  Future<Void> ensureStream(String stream) {
    Future<Void> known = declared.get(stream);
    if (known != null) {
      return known;
    }
    JsonObject arguments = new JsonObject().put("x-queue-type", "stream");
    if (!config.maxAge().isZero()) {
      arguments.put("x-max-age", config.maxAge().toSeconds() + "s");
    }
    if (config.maxBytes() > 0) {
      arguments.put("x-max-length-bytes", config.maxBytes());
    }
    String queue = queue(stream);
    Future<Void> declaring = topology.queueDeclare(queue, true, false, false, arguments)
        .compose(ok -> topology.queueBind(queue, settings.exchange(), queue));
    Future<Void> raced = declared.putIfAbsent(stream, declaring);
    if (raced != null) {
      return raced;
    }
    return declaring.onFailure(e -> declared.remove(stream, declaring));
  }

  RabbitSettings settings() {
    return settings;
  }

  /** The connection that tails and scans open their channels on, connected again after a loss; blocking. */
  synchronized Connection readers() throws Exception {
    if (readConnection == null || !readConnection.isOpen()) {
      readConnection = connect("fluxgate-readers");
    }
    return readConnection;
  }

  /** A new connection to the broker; blocking. */
  Connection connect(String name) throws Exception {
    return factory.newConnection(name);
  }

  void register(StreamQueueReader reader) {
    readers.add(reader);
  }

  void unregister(StreamQueueReader reader) {
    readers.remove(reader);
  }

  @Override
  public Future<Void> append(DomainEvent event, byte[] body) {
    AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
        .contentType("application/json")
        .deliveryMode(2)
        .messageId(event.eventId())
        .timestamp(new Date(event.occurredAt() / 1_000_000))
        .appId("fluxgate")
        .build();
    return publisher.publish(vertx.getOrCreateContext(), ensureStream(event.stream()), settings.exchange(),
        queue(event.stream()), properties, body, event.eventId());
  }

  /** Publishes an end marker straight to the stream queue of {@code stream} (not through the exchange). */
  Future<Void> publishMarker(String stream, String id, Context context) {
    AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
        .type(MARKER_TYPE)
        .messageId(id)
        .deliveryMode(2)
        .headers(Map.of(MARKER_HEADER, id))
        .build();
    return publisher.publish(context, Future.succeededFuture(), "", queue(stream), properties, new byte[0], null);
  }

  /** The id of an end marker, or null for any other message. */
  static String markerId(AMQP.BasicProperties properties) {
    if (!MARKER_TYPE.equals(properties.getType()) || properties.getHeaders() == null) {
      return null;
    }
    Object id = properties.getHeaders().get(MARKER_HEADER);
    return id == null ? null : id.toString();
  }

  /** The event of a message body, or null (logged) for a body that is not one. */
  static DomainEvent decode(String stream, byte[] body) {
    try {
      return DomainEvent.fromBuffer(stream, Buffer.buffer(body));
    } catch (RuntimeException e) {
      LOG.warn("skipping a message on {} that is not a domain event: {}", queue(stream), e.getMessage());
      return null;
    }
  }

  /** The offset of a marker published now: everything appended before the call lies before it. */
  Future<Long> end(String stream, Context context) {
    // From the last chunk, not "next": a consumer attaches after consume-ok, and the marker may be written first.
    return new StreamScan(this, stream, "last", event -> { }, context).run();
  }

  @Override
  public Future<Subscription> subscribe(String stream, String consumer, StartFrom from, EventHandler handler) {
    if (offsets == null) {
      return Future.failedFuture("durable consumers of the RabbitMQ store keep their offsets in the state database,"
          + " and this store was opened without one");
    }
    Context context = vertx.getOrCreateContext();
    Delivery delivery = new Delivery(vertx, config, consumer, handler, this::append);
    return onContext(context, () -> ensureStream(stream).compose(v -> {
      var worker = new RabbitConsumerWorker(this, stream, consumer, from, delivery, offsets, context);
      return worker.start().map((Subscription) worker);
    }));
  }

  @Override
  public Future<Subscription> tail(String stream, StartFrom from, Handler<DomainEvent> handler) {
    Context context = vertx.getOrCreateContext();
    return onContext(context, () -> ensureStream(stream).compose(v -> {
      var tail = new RabbitTail(this, stream, from, handler, context);
      return tail.start().map((Subscription) tail).onFailure(e -> tail.stop());
    }));
  }

  @Override
  public Future<Long> readToEnd(String stream, Handler<DomainEvent> handler) {
    Context context = vertx.getOrCreateContext();
    return onContext(context, () -> ensureStream(stream).compose(v -> {
      var scan = new StreamScan(this, stream, "first", handler, context);
      return scan.run().map(marker -> scan.count());
    }));
  }

  /**
   * No window survives a node's restart (the broker keeps no ids), so the outbox relay asks {@link #held} about
   * every row it relays; the publisher still drops an id it had confirmed lately.
   */
  @Override
  public Duration deduplicationWindow() {
    return Duration.ZERO;
  }

  /** Reads each stream from the chunks stamped at {@code from} on, until every id is found or the end is reached. */
  @Override
  public Future<Set<String>> held(List<DomainEvent> events, long from, long to) {
    Context context = vertx.getOrCreateContext();
    Map<String, Set<String>> wanted = new HashMap<>();
    for (DomainEvent event : events) {
      wanted.computeIfAbsent(event.stream(), s -> new HashSet<>()).add(event.eventId());
    }
    Date start = new Date(Math.max(0, from / 1_000_000 - CLOCK_SLACK_MS));
    Set<String> held = new HashSet<>();
    return onContext(context, () -> {
      Future<Void> all = Future.succeededFuture();
      for (var stream : wanted.entrySet()) {
        all = all.compose(v -> ensureStream(stream.getKey())).compose(v -> {
          StreamScan[] scan = new StreamScan[1];
          scan[0] = new StreamScan(this, stream.getKey(), start, event -> {
            if (stream.getValue().contains(event.eventId()) && held.add(event.eventId())
                && held.containsAll(stream.getValue())) {
              scan[0].enough();
            }
          }, context);
          return scan[0].run().mapEmpty();
        });
      }
      return all.map(v -> held);
    });
  }

  /** Runs {@code start} on {@code context} and completes there, whichever context its steps complete on. */
  private static <T> Future<T> onContext(Context context, Supplier<Future<T>> start) {
    Promise<T> done = Promise.promise();
    context.runOnContext(v -> {
      Future<T> started;
      try {
        started = start.get();
      } catch (RuntimeException e) {
        started = Future.failedFuture(e);
      }
      started.onComplete(result -> context.runOnContext(x -> {
        if (result.succeeded()) {
          done.complete(result.result());
        } else {
          done.fail(result.cause());
        }
      }));
    });
    return done.future();
  }

  /** Completes on the calling context (its steps end on the publisher's thread and the topology client's). */
  @Override
  public Future<Void> close() {
    return onContext(vertx.getOrCreateContext(), this::shutDown);
  }

  private Future<Void> shutDown() {
    List<Future<Void>> stopping = readers.stream().map(StreamQueueReader::stop).toList();
    return Future.join(stopping).eventually(publisher::close).eventually(() -> {
      RabbitMQClient client = topology;
      return client == null ? Future.succeededFuture() : client.stop();
    }).eventually(() -> vertx.executeBlocking(() -> {
      synchronized (this) {
        if (readConnection != null) {
          readConnection.abort(2_000);
          readConnection = null;
        }
      }
      return null;
    }, false)).mapEmpty();
  }
}
