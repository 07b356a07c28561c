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
import io.vertx.redis.client.ResponseType;
import java.time.Duration;
import java.util.ArrayList;
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
 * step, for a batch of appends at a time, so a repeated {@code event_id} is dropped after any delay; one consumer
 * group per consuming service.
 */
public final class RedisEventStore implements EventStore {

  private static final Logger LOG = LoggerFactory.getLogger(RedisEventStore.class);

  /**
   * Appends a batch of events in one call. KEYS: per event its stream, then its de-duplication key; ARGV: the keys'
   * TTL in ms (0 = none), MAXLEN (0 = none), then per event the count of its entry's field-value arguments followed
   * by them. Returns per event, in order, 1 when its entry was added, 0 when its id was known; when an XADD fails
   * the list ends with that error's text and the events after it were not tried.
   */
  public static final String APPEND_SCRIPT = """
      local ttl, maxlen = ARGV[1], ARGV[2]
      local results = {}
      local at = 3
      for i = 1, #KEYS / 2 do
        local first = at + 1
        local last = at + tonumber(ARGV[at])
        at = last + 1
        local set
        if ttl == '0' then
          set = redis.call('SET', KEYS[2 * i], '1', 'NX')
        else
          set = redis.call('SET', KEYS[2 * i], '1', 'NX', 'PX', ttl)
        end
        if not set then
          results[i] = 0
        else
          local added
          if maxlen == '0' then
            added = redis.pcall('XADD', KEYS[2 * i - 1], '*', unpack(ARGV, first, last))
          else
            added = redis.pcall('XADD', KEYS[2 * i - 1], 'MAXLEN', '~', maxlen, '*', unpack(ARGV, first, last))
          end
          if type(added) == 'table' and added.err then
            -- Not stored, so not known either: a retry of this event must be stored.
            redis.call('DEL', KEYS[2 * i])
            results[i] = added.err
            return results
          end
          results[i] = 1
        end
      end
      return results
      """;

  /** At most this many events go in one script call: Redis runs nothing else while a script runs. */
  public static final int BATCH = 256;

  /** How far from its outbox row's time an event's entry id may be: clocks of nodes and server differ. */
  private static final long CLOCK_SLACK_MS = 5_000;
  private static final int PAGE = 500;
  private static final long RECONNECT_MS = 500;

  private final Vertx vertx;
  private final EventStoreConfig config;
  private final RedisSettings settings;
  private final Redis client;
  private final Set<Reader> readers = ConcurrentHashMap.newKeySet();
  /** Per context, the appends of its current task not yet sent; only that context touches its list. */
  private final Map<Context, List<QueuedAppend>> filling = new ConcurrentHashMap<>();
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

  /** The entry is laid out from the event's fields ({@link StreamEntries}); the encoded body is not used. */
  @Override
  public boolean storesBody() {
    return false;
  }

  @Override
  public Future<Void> append(DomainEvent event) {
    return append(event, null);
  }

  @Override
  public Future<Void> append(DomainEvent event, byte[] body) {
    if (appender == null) {
      // Fail at once while reconnecting: the interceptor keeps the event (outbox or retry buffer) for later.
      return unreachable();
    }
    Context context = Vertx.currentContext();
    QueuedAppend queued = new QueuedAppend(event, Promise.promise());
    if (context == null) {
      send(List.of(queued));
      return queued.done().future();
    }
    // Appends made in one task of a context go to Redis as one script call, sent from that context once the task
    // ends (or once the batch is full): Redis keeps the order, the reply comes back on the context.
    List<QueuedAppend> batch = filling.get(context);
    if (batch == null) {
      batch = new ArrayList<>();
      filling.put(context, batch);
      List<QueuedAppend> started = batch;
      context.runOnContext(v -> {
        if (filling.remove(context, started)) {
          send(started);
        }
      });
    }
    batch.add(queued);
    if (batch.size() == BATCH) {
      filling.remove(context);
      send(batch);
    }
    return queued.done().future();
  }

  private Future<Void> unreachable() {
    return Future.failedFuture("the Redis event store at " + settings.describe() + " is unreachable, reconnecting");
  }

  /** One append waiting for its batch's script call. */
  private record QueuedAppend(DomainEvent event, Promise<Void> done) {}

  private void send(List<QueuedAppend> batch) {
    RedisConnection connection = appender;
    if (connection == null) {
      Future<Void> failed = unreachable();
      batch.forEach(queued -> queued.done().handle(failed));
      return;
    }
    Request request = Request.cmd(Command.EVALSHA).arg(scriptSha).arg(2 * batch.size());
    for (QueuedAppend queued : batch) {
      request.arg(key(queued.event().stream())).arg(dedupKey(queued.event().eventId()));
    }
    request.arg(settings.dedupTtl().toMillis()).arg(settings.maxLen());
    for (QueuedAppend queued : batch) {
      StreamEntries.addCountedFields(request, queued.event());
    }
    connection.send(request).onComplete(reply -> {
      if (reply.failed()) {
        if (String.valueOf(reply.cause().getMessage()).startsWith("NOSCRIPT")) {
          // The server lost its script cache (SCRIPT FLUSH): load it again, the relay re-sends these events.
          connection.send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(APPEND_SCRIPT));
        }
        batch.forEach(queued -> queued.done().fail(reply.cause()));
        return;
      }
      settle(batch, reply.result());
    });
  }

  /** Completes each append of {@code batch} by its entry in the script's reply (see {@link #APPEND_SCRIPT}). */
  private static void settle(List<QueuedAppend> batch, Response results) {
    int answered = results == null ? 0 : results.size();
    String error = "the event store did not try this append after an earlier one of its batch failed";
    for (int i = 0; i < answered; i++) {
      Response result = results.get(i);
      if (result.type() == ResponseType.NUMBER) {
        batch.get(i).done().complete();
      } else {
        error = "Redis refused the entry of event " + batch.get(i).event().eventId() + ": " + result;
        batch.get(i).done().fail(error);
      }
    }
    for (int i = answered; i < batch.size(); i++) {
      batch.get(i).done().fail(error);
    }
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
