package io.fluxgate.events.redis;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.config.ConfigException;
import io.fluxgate.events.Delivery;
import io.fluxgate.events.EventStore;
import io.fluxgate.events.EventStoreConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.ProtocolVersion;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
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
 * The Redis Streams event store: one stream key per stream ({@code <prefix>.<stream>}), one entry per event laid
 * out by {@link StreamEntries}; a Lua script sets {@code <prefix>.dedup.<event_id>} with NX and adds the entry in one
 * step, so a repeated {@code event_id} is dropped after any delay; one consumer group per consuming service.
 */
public final class RedisEventStore implements EventStore {

  private static final Logger LOG = LoggerFactory.getLogger(RedisEventStore.class);

  /**
   * KEYS: the stream, the event's de-duplication key; ARGV: the key's TTL in ms (0 = none), MAXLEN (0 = none), then
   * the entry's field-value pairs. Returns 1 when the entry was added, 0 when the id was known.
   */
  static final String APPEND_SCRIPT = """
      local set
      if ARGV[1] == '0' then
        set = redis.call('SET', KEYS[2], '1', 'NX')
      else
        set = redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1])
      end
      if not set then
        return 0
      end
      if ARGV[2] == '0' then
        redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))
      else
        redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 3))
      end
      return 1
      """;

  /** How far from its outbox row's time an event's entry id may be: clocks of nodes and server differ. */
  private static final long CLOCK_SLACK_MS = 5_000;
  private static final int PAGE = 500;
  private static final long RECONNECT_MS = 500;

  private final Vertx vertx;
  private final EventStoreConfig config;
  private final RedisSettings settings;
  private final Redis client;
  private final Set<Reader> readers = ConcurrentHashMap.newKeySet();
  private volatile RedisConnection appender;
  private volatile String scriptSha;
  private volatile boolean closed;

  private RedisEventStore(Vertx vertx, EventStoreConfig config, Redis client) {
    this.vertx = vertx;
    this.config = config;
    this.settings = (RedisSettings) config.store();
    this.client = client;
  }

  /** Connects the appending connection and loads the append script; a refused password fails with its setting. */
  public static Future<EventStore> open(Vertx vertx, EventStoreConfig config) {
    RedisSettings settings = (RedisSettings) config.store();
    Redis client = Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(settings.url())
        // RESP2 replies have one shape for every stream command (RESP3 turns XREAD's into a map).
        .setPreferredProtocolVersion(ProtocolVersion.RESP2)
        // The appender plus one blocking connection per subscription and tail.
        .setMaxPoolSize(64)
        .setMaxPoolWaiting(256)
        // Above the interceptor's window, so a burst of pipelined appends is never refused by the client.
        .setMaxWaitingHandlers(Math.max(65_536, config.maxPending() * 2))
        .setNetClientOptions(netOptions(settings)));
    RedisEventStore store = new RedisEventStore(vertx, config, client);
    return store.connectAppender().<EventStore>map(store).recover(error -> {
      client.close();
      return Future.failedFuture(new ConfigException("cannot use the event store es.url (FG_ES_URL) = '"
          + settings.describe() + "': " + explain(error)));
    });
  }

  /** TLS for {@code rediss://}: the server's name checked against its certificate, trusted by es.redis_tls_ca. */
  private static io.vertx.core.net.NetClientOptions netOptions(RedisSettings settings) {
    var options = new io.vertx.core.net.NetClientOptions().setTcpKeepAlive(true).setTcpNoDelay(true);
    if (settings.tls()) {
      options.setSsl(true).setHostnameVerificationAlgorithm("HTTPS");
      if (!settings.tlsCa().isEmpty()) {
        options.setTrustOptions(new io.vertx.core.net.PemTrustOptions().addCertPath(settings.tlsCa()));
      }
    }
    return options;
  }

  private static String explain(Throwable error) {
    String message = String.valueOf(error.getMessage());
    if (message.startsWith("WRONGPASS") || message.contains("invalid password")) {
      return "Redis refused the password (" + message + ")";
    }
    if (message.startsWith("NOAUTH")) {
      return "Redis requires a password: put it in the URL, redis://:password@host:port (" + message + ")";
    }
    return message;
  }

  private Future<Void> connectAppender() {
    return client.connect().compose(connection -> connection
        .send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(APPEND_SCRIPT))
        .<Void>map(sha -> {
          scriptSha = sha.toString();
          connection.exceptionHandler(e -> lost(connection, e));
          connection.endHandler(v -> lost(connection, null));
          appender = connection;
          return null;
        })
        .onFailure(e -> connection.close()));
  }

  private void lost(RedisConnection connection, Throwable error) {
    if (appender != connection) {
      return;
    }
    appender = null;
    connection.close();
    if (!closed) {
      LOG.warn("lost the Redis connection to {}{}; reconnecting", settings.describe(),
          error == null ? "" : ": " + error);
      reconnect();
    }
  }

  private void reconnect() {
    vertx.setTimer(RECONNECT_MS, id -> {
      if (closed) {
        return;
      }
      connectAppender()
          .onSuccess(v -> LOG.info("reconnected to Redis at {}", settings.describe()))
          .onFailure(e -> reconnect());
    });
  }

  Redis client() {
    return client;
  }

  RedisSettings settings() {
    return settings;
  }

  /** The stream key of {@code stream}: the stream name itself, e.g. {@code fluxgate.things}. */
  public static String key(String stream) {
    return stream;
  }

  /** The key that remembers {@code eventId} was appended. */
  public String dedupKey(String eventId) {
    return config.prefix() + ".dedup." + eventId;
  }

  @Override
  public Future<Void> append(DomainEvent event, byte[] body) {
    RedisConnection connection = appender;
    if (connection == null) {
      // Fail at once while reconnecting: the interceptor keeps the event (outbox or retry buffer) for later.
      return Future.failedFuture("the Redis event store at " + settings.describe() + " is unreachable, reconnecting");
    }
    Request request = Request.cmd(Command.EVALSHA).arg(scriptSha).arg(2)
        .arg(key(event.stream())).arg(dedupKey(event.eventId()))
        .arg(settings.dedupTtl().toMillis()).arg(settings.maxLen());
    StreamEntries.addFields(request, event);
    // Sent on the one appending connection from the caller's context: Redis keeps the order, the reply comes back here.
    return connection.send(request).<Void>mapEmpty().onFailure(e -> {
      if (String.valueOf(e.getMessage()).startsWith("NOSCRIPT")) {
        // The server lost its script cache (SCRIPT FLUSH): load it again, the relay re-sends this event.
        connection.send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(APPEND_SCRIPT));
      }
    });
  }

  @Override
  public Future<Subscription> subscribe(String stream, String consumer, StartFrom from, EventHandler handler) {
    Context context = vertx.getOrCreateContext();
    Delivery delivery = new Delivery(vertx, config, consumer, handler, this::append);
    return onContext(context, () -> new RedisConsumerWorker(this, stream, consumer, from, delivery, context).start()
        .map(Subscription.class::cast));
  }

  @Override
  public Future<Subscription> tail(String stream, StartFrom from, Handler<DomainEvent> handler) {
    Context context = vertx.getOrCreateContext();
    return onContext(context, () -> new RedisTail(this, stream, from, handler).start()
        .map(Subscription.class::cast));
  }

  /** Runs {@code start} on {@code context}, so every reply of the reader it starts comes back there. */
  private static <T> Future<T> onContext(Context context, Supplier<Future<T>> start) {
    if (Vertx.currentContext() == context) {
      return start.get();
    }
    Promise<T> started = Promise.promise();
    context.runOnContext(v -> start.get().onComplete(started));
    return started.future();
  }

  void register(Reader reader) {
    readers.add(reader);
  }

  void unregister(Reader reader) {
    readers.remove(reader);
  }

  /** Wakes a connection blocked in XREAD / XREADGROUP, as if its BLOCK had run out. */
  Future<Void> unblock(long clientId) {
    return client.send(Request.cmd(Command.CLIENT).arg("UNBLOCK").arg(clientId)).mapEmpty();
  }

  @Override
  public Duration deduplicationWindow() {
    return settings.dedupTtl().isZero() ? FOREVER : settings.dedupTtl();
  }

  /** Reads the entries whose ids (milliseconds of the server's clock) fall between {@code from} and {@code to}. */
  @Override
  public Future<Set<String>> held(List<DomainEvent> events, long from, long to) {
    Map<String, Set<String>> wanted = new HashMap<>();
    for (DomainEvent event : events) {
      wanted.computeIfAbsent(event.stream(), s -> new HashSet<>()).add(event.eventId());
    }
    String start = String.valueOf(Math.max(0, from / 1_000_000 - CLOCK_SLACK_MS));
    String end = String.valueOf(to / 1_000_000 + CLOCK_SLACK_MS);
    Set<String> held = ConcurrentHashMap.newKeySet();
    Future<Void> all = Future.succeededFuture();
    for (var stream : wanted.entrySet()) {
      all = all.compose(v -> page(key(stream.getKey()), start, end, entry -> {
        String id = entry.fields() == null ? null : StreamEntries.eventId(entry.fields());
        if (id != null && stream.getValue().contains(id)) {
          held.add(id);
        }
      }).mapEmpty());
    }
    return all.map(v -> held);
  }

  @Override
  public Future<Long> readToEnd(String stream, Handler<DomainEvent> handler) {
    Context context = vertx.getOrCreateContext();
    return onContext(context, () -> client.send(Request.cmd(Command.XREVRANGE).arg(key(stream)).arg("+").arg("-")
            .arg("COUNT").arg(1))
        .compose(last -> {
          if (last == null || last.size() == 0) {
            return Future.succeededFuture(0L);
          }
          String end = last.get(0).get(0).toString();
          long[] read = {0};
          return page(key(stream), "-", end, entry -> {
            DomainEvent event = decode(stream, entry);
            if (event != null) {
              read[0]++;
              handler.handle(event);
            }
          }).map(entries -> read[0]);
        }));
  }

  /** Hands every entry from {@code start} to {@code end} (inclusive) to {@code each}, a page at a time. */
  private Future<Long> page(String key, String start, String end, Handler<StreamEntries.Entry> each) {
    return client.send(Request.cmd(Command.XRANGE).arg(key).arg(start).arg(end).arg("COUNT").arg(PAGE))
        .compose(reply -> {
          List<StreamEntries.Entry> entries = StreamEntries.entries(reply);
          entries.forEach(each::handle);
          if (entries.size() < PAGE) {
            return Future.succeededFuture((long) entries.size());
          }
          String next = "(" + entries.get(entries.size() - 1).id();
          return page(key, next, end, each).map(rest -> rest + entries.size());
        });
  }

  /** The event of an entry, or null (logged) for an entry that is not one. */
  static DomainEvent decode(String stream, StreamEntries.Entry entry) {
    if (entry.fields() == null) {
      return null;
    }
    try {
      return StreamEntries.decode(stream, entry.fields());
    } catch (RuntimeException e) {
      LOG.warn("skipping entry {} of {} that is not a domain event: {}", entry.id(), stream, e.getMessage());
      return null;
    }
  }

  @Override
  public Future<Void> close() {
    closed = true;
    List<Future<Void>> stopping = readers.stream().map(Reader::stop).toList();
    return Future.join(stopping).eventually(() -> {
      RedisConnection connection = appender;
      appender = null;
      Future<Void> closing = connection == null ? Future.succeededFuture() : connection.close();
      return closing.eventually(client::close);
    }).mapEmpty();
  }

  /** A subscription or tail with a blocking connection of its own. */
  interface Reader extends Subscription {}
}
