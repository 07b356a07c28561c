package io.fluxgate.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * An MQTT load tool: publishers and subscribers on one topic at a fixed rate or flat out, plus idle connections to
 * hold; reports messages per second sent and received, lost, duplicated, latency percentiles, and (given the
 * broker's pid) the broker's CPU time per message and memory per connection. Against Fluxgate it provisions its
 * own things and channel through the REST API; against another broker it connects anonymously.
 */
@Command(name = "mqtt-load", mixinStandardHelpOptions = true, description = "MQTT load generator")
public final class MqttLoad implements Callable<Integer> {

  @Option(names = "--host", defaultValue = "127.0.0.1") String host;
  @Option(names = "--port", defaultValue = "1883") int port;
  @Option(names = "--publishers", defaultValue = "4") int publishers;
  @Option(names = "--subscribers", defaultValue = "1") int subscribers;
  @Option(names = "--qos", defaultValue = "0") int qos;
  @Option(names = "--payload", defaultValue = "100", description = "payload bytes (at least 20)") int payload;
  @Option(names = "--rate", defaultValue = "0", description = "messages per second in all; 0 = flat out") int rate;
  @Option(names = "--duration", defaultValue = "20", description = "seconds measured") int duration;
  @Option(names = "--warmup", defaultValue = "5", description = "seconds before measuring") int warmup;
  @Option(names = "--idle", defaultValue = "0", description = "idle authenticated connections to open and hold") int idle;
  @Option(names = "--connect-rate", defaultValue = "2000", description = "idle connections opened per second") int connectRate;
  @Option(names = "--idle-warmup", defaultValue = "2000", description = "idle connections opened and closed first") int idleWarmup;
  @Option(names = "--hold", defaultValue = "3", description = "seconds to hold the idle connections open") int hold;
  @Option(names = "--connect-clients", defaultValue = "0",
      description = "closed loop: this many clients CONNECT (with credentials) and wait for CONNACK") int connectClients;
  @Option(names = "--connect-inflight", defaultValue = "200",
      description = "closed loop: CONNECTs awaiting their CONNACK at any time") int connectInflight;
  @Option(names = "--window", defaultValue = "2000", description = "unacknowledged publishes per publisher") int window;
  @Option(names = "--broker-pid", defaultValue = "0", description = "pid of the broker, for CPU and memory") long brokerPid;
  @Option(names = "--fluxgate", description = "users API URL (e.g. http://127.0.0.1:9002) to provision through") String usersUrl;
  @Option(names = "--things-url", defaultValue = "http://127.0.0.1:9000") String thingsUrl;
  @Option(names = "--admin", defaultValue = "admin@example.com") String admin;
  @Option(names = "--admin-secret", defaultValue = "admin-secret-1") String adminSecret;
  @Option(names = "--label", defaultValue = "broker") String label;

  private Vertx vertx;
  // Subscribers get their own event loop: flat-out publishers on a shared loop would starve them, and the tool,
  // not the broker, would set the received rate.
  private Vertx receiving;
  private volatile String firstFailure;
  private String topic = "bench/" + Long.toHexString(System.nanoTime());
  private String[] publisherCredentials = new String[2];
  private String[] subscriberCredentials = new String[2];

  public static void main(String[] args) {
    System.exit(new CommandLine(new MqttLoad()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (payload < 20) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--payload must be at least 20");
    }
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(Runtime.getRuntime().availableProcessors()));
    receiving = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    try {
      if (usersUrl != null) {
        provision();
      }
      if (connectClients > 0) {
        connectClosedLoop();
      }
      if (idle > 0) {
        holdIdle();
      }
      if (publishers > 0 && subscribers > 0) {
        traffic();
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      receiving.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    return 0;
  }

  /** Fluxgate: a channel, a writer thing and a reader thing (every connection of a kind shares its thing). */
  private void provision() throws Exception {
    WebClient web = WebClient.create(vertx);
    String token = await(web.postAbs(usersUrl + "/users/tokens/issue").sendJsonObject(new JsonObject()
        .put("identity", admin).put("secret", adminSecret))).bodyAsJsonObject().getString("access_token");
    String channel = await(web.postAbs(thingsUrl + "/channels").bearerTokenAuthentication(token)
        .sendJsonObject(new JsonObject().put("name", "bench-" + System.nanoTime()))).bodyAsJsonObject().getString("id");
    JsonArray made = await(web.postAbs(thingsUrl + "/things/bulk").bearerTokenAuthentication(token).sendJson(
        new JsonArray().add(new JsonObject().put("name", "bench-writer")).add(new JsonObject().put("name",
            "bench-reader")))).bodyAsJsonObject().getJsonArray("things");
    JsonObject writer = made.getJsonObject(0);
    JsonObject reader = made.getJsonObject(1);
    await(web.postAbs(thingsUrl + "/connect").bearerTokenAuthentication(token).sendJsonObject(new JsonObject()
        .put("subjects", new JsonArray().add(writer.getString("id"))).put("objects", new JsonArray().add(channel))
        .put("actions", new JsonArray().add("m_write"))));
    await(web.postAbs(thingsUrl + "/connect").bearerTokenAuthentication(token).sendJsonObject(new JsonObject()
        .put("subjects", new JsonArray().add(reader.getString("id"))).put("objects", new JsonArray().add(channel))
        .put("actions", new JsonArray().add("m_read"))));
    publisherCredentials = new String[] {writer.getString("id"), writer.getJsonObject("credentials").getString("secret")};
    subscriberCredentials = new String[] {reader.getString("id"), reader.getJsonObject("credentials").getString("secret")};
    topic = "channels/" + channel + "/messages/bench";
  }

  private MqttClient client(String id, String[] credentials) {
    return client(vertx, id, credentials);
  }

  private MqttClient client(Vertx owner, String id, String[] credentials) {
    MqttClientOptions options = new MqttClientOptions().setClientId(id).setCleanSession(true)
        .setMaxInflightQueue(Math.max(10, window)).setMaxMessageSize(Math.max(8192, payload + 1024))
        .setKeepAliveInterval(300).setAutoKeepAlive(true);
    if (credentials[0] != null) {
      options.setUsername(credentials[0]).setPassword(credentials[1]);
    }
    return MqttClient.create(owner, options);
  }

  /**
   * Opens {@code --idle} authenticated connections at {@code --connect-rate} and holds them. Each is a bare socket
   * that sends CONNECT and reads CONNACK, from a few shared {@link NetClient}s: a full MQTT client (with its own
   * NetClient) per connection would make the tool, not the broker, the limit on the rate. Keep the hold shorter
   * than the keep-alive (300 s): these sockets send no PINGREQ.
   */
  private void holdIdle() throws Exception {
    if (idleWarmup > 0) {
      // The broker's connect path is compiled and its pools sized before the measured round.
      List<NetSocket> warm = openIdle(idleClients(idleWarmup), idleWarmup, "warm-");
      await(Future.join(warm.stream().map(NetSocket::close).toList()).recover(e -> Future.succeededFuture()));
      Thread.sleep(1000);
    }
    long rssBefore = rssKb();
    connectWaits.clear();
    long start = System.nanoTime();
    List<NetSocket> held = openIdle(idleClients(idle), idle, "idle-");
    double seconds = (System.nanoTime() - start) / 1e9;
    long connected = held.size();
    long[] waits;
    synchronized (connectWaits) {
      waits = connectWaits.stream().mapToLong(Long::longValue).sorted().toArray();
    }
    System.out.printf("%s idle: %d connected, %d refused or failed, in %.1f s = %.0f connections/s (CONNACK after"
        + " p50 %.2f ms, p99 %.2f ms, max %.2f ms)", label, connected, idle - connected, seconds, connected / seconds,
        pct(waits, 0.5), pct(waits, 0.99), pct(waits, 1.0));
    if (brokerPid > 0) {
      Thread.sleep(2000);
      long rssAfter = rssKb();
      System.out.printf(", broker RSS %d -> %d MiB = %.1f KiB per connection", rssBefore / 1024, rssAfter / 1024,
          connected == 0 ? 0.0 : (rssAfter - rssBefore) / (double) connected);
    }
    System.out.println();
    System.out.flush();
    Thread.sleep(hold * 1000L);
    if (publishers > 0 && subscribers > 0) {
      traffic();
    }
    await(Future.join(held.stream().map(NetSocket::close).toList()).recover(e -> Future.succeededFuture()));
    publishers = 0;
  }

  /**
   * Clients for one round of idle connections. Against a loopback broker they send from random 127.x.y.z
   * addresses, a few thousand connections each: the sockets a previous round closed sit in TIME_WAIT for a minute
   * on their local ports, and a bound socket gets only half of one address's 28 000 ephemeral ports, so 20 000
   * connections from one address stall for seconds.
   */
  private List<NetClient> idleClients(int count) {
    List<NetClient> clients = new ArrayList<>();
    int addresses = host.startsWith("127.") ? count / 4_000 + 1 : 1;
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    for (int i = 0; i < addresses; i++) {
      NetClientOptions options = new NetClientOptions().setTcpNoDelay(true);
      if (host.startsWith("127.")) {
        options.setLocalAddress("127." + random.nextInt(1, 255) + "." + random.nextInt(1, 255) + "."
            + random.nextInt(2, 255));
      }
      clients.add(vertx.createNetClient(options));
    }
    return clients;
  }

  /**
   * How fast the broker takes connections: {@code --connect-clients} CONNECTs with credentials, never more than
   * {@code --connect-inflight} awaiting their CONNACK (each answer lets the next one go), the accepted ones held
   * until all are done, then closed. A warm-up round of {@code --idle-warmup} goes first.
   */
  private void connectClosedLoop() throws Exception {
    if (idleWarmup > 0) {
      List<NetSocket> warm = openClosedLoop(idleClients(idleWarmup), idleWarmup, "warm-");
      await(Future.join(warm.stream().map(NetSocket::close).toList()).recover(e -> Future.succeededFuture()));
      Thread.sleep(1000);
    }
    connectWaits.clear();
    connectFailures.clear();
    long cpuBefore = cpuTicks();
    long start = System.nanoTime();
    List<NetSocket> open = openClosedLoop(idleClients(connectClients), connectClients, "conn-");
    double seconds = (System.nanoTime() - start) / 1e9;
    long cpuAfter = cpuTicks();
    long[] waits;
    synchronized (connectWaits) {
      waits = connectWaits.stream().mapToLong(Long::longValue).sorted().toArray();
    }
    System.out.printf("%s connect: %d clients, %d in flight: %d accepted, %d refused or failed, in %.2f s ="
        + " %.0f connections/s (CONNACK after p50 %.2f ms, p99 %.2f ms, max %.2f ms)", label, connectClients,
        connectInflight, open.size(), connectClients - open.size(), seconds, open.size() / seconds, pct(waits, 0.5),
        pct(waits, 0.99), pct(waits, 1.0));
    if (brokerPid > 0 && !open.isEmpty()) {
      double cpuSeconds = (cpuAfter - cpuBefore) / 100.0;
      System.out.printf(", broker CPU %.2f s = %.0f us per connection", cpuSeconds, cpuSeconds * 1e6 / open.size());
    }
    System.out.println();
    connectFailures.forEach((why, n) -> System.out.printf("  %d failed: %s%n", n, why));
    System.out.flush();
    await(Future.join(open.stream().map(NetSocket::close).toList()).recover(e -> Future.succeededFuture()));
  }

  /** Opens {@code count} connections with at most {@code --connect-inflight} awaiting CONNACK; the accepted ones. */
  private List<NetSocket> openClosedLoop(List<NetClient> nets, int count, String prefix) throws Exception {
    List<NetSocket> open = new ArrayList<>(count);
    Promise<Void> finished = Promise.promise();
    int[] started = {0};
    int[] done = {0};
    // Everything on one event loop of the tool: the counters and the encoder need no locks.
    io.vertx.core.Context loop = vertx.getOrCreateContext();
    Runnable[] next = new Runnable[1];
    next[0] = () -> {
      if (started[0] == count) {
        return;
      }
      int index = started[0]++;
      openOne(nets.get(index % nets.size()), prefix + index).onComplete(result -> {
        if (result.succeeded()) {
          open.add(result.result());
        } else {
          connectFailures.merge(String.valueOf(result.cause().getMessage()), 1, Integer::sum);
        }
        if (++done[0] == count) {
          finished.complete();
        } else if (started[0] < count) {
          // A connect refused at once (out of file descriptors) completes synchronously: recursing would
          // overflow the stack, so the next one starts from the loop.
          loop.runOnContext(v -> next[0].run());
        }
      });
    };
    loop.runOnContext(v -> {
      for (int i = 0; i < Math.min(connectInflight, count); i++) {
        next[0].run();
      }
    });
    await(finished.future());
    return open;
  }

  /** Opens {@code count} connections, paced from an event-loop timer; returns those the broker accepted. */
  private List<NetSocket> openIdle(List<NetClient> nets, int count, String prefix) throws Exception {
    List<Future<NetSocket>> opening = new ArrayList<>(count);
    Promise<Void> allStarted = Promise.promise();
    long started = System.nanoTime();
    double perMilli = connectRate / 1000.0;
    vertx.setPeriodic(1, timer -> {
      long due = Math.min(count, (long) ((System.nanoTime() - started) / 1e6 * perMilli) + 1);
      while (opening.size() < due) {
        opening.add(openOne(nets.get(opening.size() % nets.size()), prefix + opening.size()));
      }
      if (opening.size() == count) {
        vertx.cancelTimer(timer);
        allStarted.complete();
      }
    });
    await(allStarted.future());
    await(Future.join(new ArrayList<>(opening)).recover(e -> Future.succeededFuture()));
    List<NetSocket> open = new ArrayList<>(count);
    for (Future<NetSocket> f : opening) {
      if (f.succeeded()) {
        open.add(f.result());
      }
    }
    return open;
  }

  /** CONNECT (3.1.1, clean session, keep-alive 300 s) with the subscriber thing's credentials; CONNACK 0 or fail. */
  private final List<Long> connectWaits = new ArrayList<>();
  /** Why connects failed, by message: a refusal by the broker reads differently from the tool out of sockets. */
  private final java.util.Map<String, Integer> connectFailures = new java.util.TreeMap<>();
  // Netty's encoder, driven off-network; used only from the pacing timer's event loop.
  private final EmbeddedChannel connectEncoder = new EmbeddedChannel(MqttEncoder.INSTANCE);

  private Future<NetSocket> openOne(NetClient net, String clientId) {
    MqttMessageBuilders.ConnectBuilder connect = MqttMessageBuilders.connect().clientId(clientId)
        .protocolVersion(MqttVersion.MQTT_3_1_1).cleanSession(true).keepAlive(300);
    if (subscriberCredentials[0] != null) {
      connect.hasUser(true).username(subscriberCredentials[0]).hasPassword(true)
          .password(subscriberCredentials[1].getBytes(StandardCharsets.UTF_8));
    }
    connectEncoder.writeOutbound(connect.build());
    Buffer packet = BufferInternal.buffer((ByteBuf) connectEncoder.readOutbound());
    long began = System.nanoTime();
    return net.connect(port, host).compose(socket -> {
      Promise<NetSocket> acknowledged = Promise.promise();
      Buffer answer = Buffer.buffer(4);
      socket.handler(bytes -> {
        answer.appendBuffer(bytes);
        if (answer.length() >= 4) {
          socket.handler(null);
          if (answer.getByte(0) == 0x20 && answer.getByte(3) == 0) {
            synchronized (connectWaits) {
              connectWaits.add(System.nanoTime() - began);
            }
            acknowledged.tryComplete(socket);
          } else {
            socket.close();
            acknowledged.tryFail("CONNACK refused: " + answer.getByte(3));
          }
        }
      });
      socket.closeHandler(v -> acknowledged.tryFail("closed before CONNACK"));
      socket.write(packet);
      return acknowledged.future();
    });
  }

  /** Publishers to subscribers on one topic; every payload carries send time, publisher and sequence. */
  private void traffic() throws Exception {
    LongAdder received = new LongAdder();
    LongAdder duplicates = new LongAdder();
    long[][] latencies = new long[subscribers][];
    int[] counts = new int[subscribers];
    BitSet[][] seen = new BitSet[subscribers][publishers];
    boolean[] measuring = new boolean[1];
    int capacity = 4_000_000;
    List<MqttClient> subs = new ArrayList<>();
    for (int s = 0; s < subscribers; s++) {
      int index = s;
      latencies[s] = new long[capacity];
      for (int p = 0; p < publishers; p++) {
        seen[s][p] = new BitSet();
      }
      MqttClient sub = client(receiving, "sub-" + s + "-" + System.nanoTime(), subscriberCredentials);
      sub.publishHandler(message -> {
        Buffer body = message.payload();
        long sentAt = body.getLong(0);
        int publisher = body.getInt(8);
        int seq = (int) body.getLong(12);
        synchronized (seen[index][publisher]) {
          if (seen[index][publisher].get(seq)) {
            duplicates.increment();
            return;
          }
          seen[index][publisher].set(seq);
        }
        received.increment();
        if (measuring[0]) {
          synchronized (latencies[index]) {
            if (counts[index] < capacity) {
              latencies[index][counts[index]++] = System.nanoTime() - sentAt;
            }
          }
        }
      });
      Promise<Void> subscribed = Promise.promise();
      sub.subscribeCompletionHandler(ack -> subscribed.tryComplete());
      await(sub.connect(port, host));
      sub.subscribe(topic, qos);
      await(subscribed.future());
      subs.add(sub);
    }
    List<Publisher> pubs = new ArrayList<>();
    for (int p = 0; p < publishers; p++) {
      // Each publisher lives on one event loop: its client, its timer and its counters.
      io.vertx.core.Context context = vertx.getOrCreateContext();
      int index = p;
      Promise<Publisher> ready = Promise.promise();
      context.runOnContext(v -> {
        MqttClient client = client("pub-" + index + "-" + System.nanoTime(), publisherCredentials);
        client.connect(port, host).onSuccess(ack -> ready.complete(new Publisher(index, client, context)))
            .onFailure(ready::fail);
      });
      pubs.add(await(ready.future()));
    }
    double perPublisher = rate == 0 ? 0 : rate / (double) publishers;
    pubs.forEach(p -> p.start(perPublisher));
    Thread.sleep(warmup * 1000L);
    long receivedBefore = received.sum();
    long sentBefore = pubs.stream().mapToLong(p -> p.sent).sum();
    long cpuBefore = cpuTicks();
    measuring[0] = true;
    long start = System.nanoTime();
    Thread.sleep(duration * 1000L);
    measuring[0] = false;
    double seconds = (System.nanoTime() - start) / 1e9;
    long cpuAfter = cpuTicks();
    long sentDuring = pubs.stream().mapToLong(p -> p.sent).sum() - sentBefore;
    long receivedDuring = received.sum() - receivedBefore;
    pubs.forEach(Publisher::stop);
    long totalSent = pubs.stream().mapToLong(p -> p.sent).sum();
    // Let in-flight messages arrive before counting losses.
    long expected = totalSent * subscribers;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    long last = -1;
    while (System.nanoTime() < deadline && received.sum() < expected) {
      Thread.sleep(500);
      if (received.sum() == last) {
        break;
      }
      last = received.sum();
    }
    long lost = Math.max(0, expected - received.sum());
    long[] all = merge(latencies, counts);
    Arrays.sort(all);
    System.out.printf("%s qos=%d publishers=%d subscribers=%d payload=%d rate=%s: sent %.0f msg/s, received %.0f msg/s,"
        + " lost %d of %d, duplicated %d, latency p50 %.2f ms p99 %.2f ms p99.9 %.2f ms", label, qos, publishers,
        subscribers, payload, rate == 0 ? "max" : String.valueOf(rate), sentDuring / seconds, receivedDuring / seconds,
        lost, expected, duplicates.sum(), pct(all, 0.50), pct(all, 0.99), pct(all, 0.999));
    if (brokerPid > 0 && receivedDuring > 0) {
      double cpuSeconds = (cpuAfter - cpuBefore) / 100.0;
      System.out.printf(", broker CPU %.2f s = %.2f us per message received", cpuSeconds,
          cpuSeconds * 1e6 / receivedDuring);
    }
    System.out.println();
    if (firstFailure != null) {
      System.out.println("  first failed publish: " + firstFailure);
    }
    List<Future<Void>> closing = new ArrayList<>();
    subs.forEach(c -> closing.add(c.disconnect()));
    pubs.forEach(p -> closing.add(p.client.disconnect()));
    await(Future.join(closing).recover(e -> Future.succeededFuture()));
  }

  /** One publishing connection: a fixed rate from a 1 ms timer, or as fast as its window allows. */
  private final class Publisher {
    final int index;
    final MqttClient client;
    volatile long sent;
    int outstanding;
    long timer = -1;
    volatile boolean running;
    double credit;
    boolean pumping;

    final io.vertx.core.Context context;

    Publisher(int index, MqttClient client, io.vertx.core.Context context) {
      this.index = index;
      this.client = client;
      this.context = context;
    }

    void start(double perSecond) {
      context.runOnContext(v -> begin(perSecond));
    }

    private void begin(double perSecond) {
      running = true;
      if (qos > 0) {
        client.publishCompletionHandler(id -> {
          outstanding--;
          if (timer < 0 && running && outstanding < window / 2) {
            pump();
          }
        });
      }
      if (perSecond > 0) {
        timer = vertx.setPeriodic(1, id -> {
          credit += perSecond / 1000.0;
          while (credit >= 1 && outstanding < window) {
            credit -= 1;
            send();
          }
        });
      } else {
        pump();
      }
    }

    private void pump() {
      // Completions may arrive inside send(): loop here instead of recursing.
      if (pumping) {
        return;
      }
      pumping = true;
      int burst = 0;
      while (running && outstanding < window) {
        send();
        if (++burst == 64) {
          // Yield, so the event loop also flushes, reads and serves the other clients.
          context.runOnContext(v -> pump());
          break;
        }
      }
      pumping = false;
    }

    private void send() {
      Buffer body = Buffer.buffer(payload).appendLong(System.nanoTime()).appendInt(index).appendLong(sent);
      body.appendBytes(new byte[payload - 20]);
      outstanding++;
      sent++;
      client.publish(topic, body, MqttQoS.valueOf(qos), false, false).onComplete(r -> {
        if (r.failed() && firstFailure == null) {
          firstFailure = r.cause().toString();
        }
        if (qos == 0 || r.failed()) {
          outstanding--;
          if (timer < 0 && running && outstanding < window / 2) {
            pump();
          }
        }
      });
    }

    void stop() {
      context.runOnContext(v -> {
        running = false;
        if (timer >= 0) {
          vertx.cancelTimer(timer);
        }
      });
    }
  }

  private static long[] merge(long[][] parts, int[] counts) {
    int total = Arrays.stream(counts).sum();
    long[] all = new long[total];
    int at = 0;
    for (int i = 0; i < parts.length; i++) {
      System.arraycopy(parts[i], 0, all, at, counts[i]);
      at += counts[i];
    }
    return all;
  }

  private static double pct(long[] sorted, double p) {
    return sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, sorted.length * p)] / 1e6;
  }

  /** utime + stime of the broker in clock ticks (1/100 s), from /proc. */
  private long cpuTicks() throws Exception {
    if (brokerPid <= 0) {
      return 0;
    }
    String stat = Files.readString(Path.of("/proc/" + brokerPid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  private long rssKb() throws Exception {
    if (brokerPid <= 0) {
      return 0;
    }
    for (String line : Files.readAllLines(Path.of("/proc/" + brokerPid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return 0;
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }
}
