package io.fluxgate.events.redis;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.Delivery;
import io.fluxgate.events.EventStore.StartFrom;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance of a durable consumer: a member of the consumer group named after the consumer, on a connection of
 * its own that blocks in XREADGROUP; hands entries to the handler one at a time in stream order on the subscriber's
 * context, XACKs each once handled or dead-lettered, and takes over entries other instances left unacknowledged.
 */
final class RedisConsumerWorker extends BlockingReader {

  private static final Logger LOG = LoggerFactory.getLogger(RedisConsumerWorker.class);
  private static final int BATCH = 32;
  private static final int BLOCK_MS = 2_000;
  private static final long RETRY_MS = 1_000;
  /** Set as the idle time of entries left at stop, so the next instance's XAUTOCLAIM takes them at once. */
  private static final long RELEASED_IDLE_MS = 365L * 24 * 3600 * 1000;

  private final String stream;
  private final String key;
  private final String group;
  private final String member;
  private final StartFrom from;
  private final Delivery delivery;
  private final long claimIdleMs;
  /** Reading the entries this member already holds (after a claim or a failure) before new ones. */
  private boolean history = true;
  private long claimDueAt;
  private String claimCursor = "0-0";
  /** The batch being handed out and the position in it: the entries from there on are not acknowledged yet. */
  private List<StreamEntries.Entry> batch = List.of();
  private int position;
  private long touchTimer = -1;

  RedisConsumerWorker(RedisEventStore store, String stream, String consumer, StartFrom from, Delivery delivery,
      Context context) {
    super(store, context);
    this.stream = stream;
    this.key = RedisEventStore.key(stream);
    this.group = consumer;
    this.member = memberName();
    this.from = from;
    this.delivery = delivery;
    this.claimIdleMs = store.settings().claimIdle().toMillis();
  }

  /** Host, process and a random part: unique per subscription, readable in XINFO CONSUMERS. */
  private static String memberName() {
    return ManagementFactory.getRuntimeMXBean().getName() + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Called on the subscriber's context. */
  Future<RedisEventStore.Reader> start() {
    return connect().compose(v -> adoptOrphans()).map(v -> {
      store.register(this);
      // Renews the idle time of entries in hand, so a slow handler's entries are not taken by another instance.
      touchTimer = context.owner().setPeriodic(Math.max(500, claimIdleMs / 3), id -> touch());
      loop();
      return this;
    });
  }

  private Future<Void> connect() {
    return store.client().connect().compose(opened -> {
      connection = opened;
      // Named after the member, so a later instance can tell a member whose connection is gone (a dead node).
      return opened.send(Request.cmd(Command.CLIENT).arg("SETNAME").arg(member))
          .compose(named -> opened.send(Request.cmd(Command.CLIENT).arg("ID")))
          .compose(id -> {
            clientId = id.toLong();
            return opened.send(Request.cmd(Command.XGROUP).arg("CREATE").arg(key).arg(group)
                .arg(from == StartFrom.BEGINNING ? "0" : "$").arg("MKSTREAM"));
          })
          .<Void>mapEmpty()
          .recover(e -> String.valueOf(e.getMessage()).startsWith("BUSYGROUP")
              ? Future.succeededFuture() : Future.failedFuture(e))
          .onFailure(e -> opened.close());
    });
  }

  /**
   * Takes over, before reading anything new, the entries of members that have no connection left (a node that died):
   * the stream goes on in order instead of waiting for {@code es.redis_claim_idle}. Where the server refuses
   * CLIENT LIST (an ACL), XAUTOCLAIM after the idle time still takes them.
   */
  private Future<Void> adoptOrphans() {
    return connection.send(Request.cmd(Command.XPENDING).arg(key).arg(group)).compose(summary -> {
      Response holders = summary.size() > 3 ? summary.get(3) : null;
      if (holders == null || holders.size() == 0) {
        return Future.<Void>succeededFuture();
      }
      return connection.send(Request.cmd(Command.CLIENT).arg("LIST")).compose(clients -> {
        java.util.Set<String> live = new java.util.HashSet<>();
        for (String field : clients.toString().split("\\s+")) {
          if (field.startsWith("name=") && field.length() > 5) {
            live.add(field.substring(5));
          }
        }
        Future<Void> chain = Future.succeededFuture();
        for (Response holder : holders) {
          String name = holder.get(0).toString();
          if (!name.equals(member) && !live.contains(name)) {
            chain = chain.compose(v -> adopt(name));
          }
        }
        return chain;
      });
    }).recover(e -> {
      LOG.debug("consumer {} of {} cannot look for dead members ({}); XAUTOCLAIM takes their entries", group,
          stream, e.getMessage());
      return Future.succeededFuture();
    });
  }

  private Future<Void> adopt(String dead) {
    return connection.send(Request.cmd(Command.XPENDING).arg(key).arg(group).arg("-").arg("+").arg(10_000).arg(dead))
        .compose(pending -> {
          if (pending.size() == 0) {
            return Future.<Void>succeededFuture();
          }
          Request claim = Request.cmd(Command.XCLAIM).arg(key).arg(group).arg(member).arg(0);
          pending.forEach(entry -> claim.arg(entry.get(0).toString()));
          return connection.send(claim.arg("JUSTID")).<Void>map(claimed -> {
            LOG.info("consumer {} ({}) took over {} entries of {} from {}, whose connection is gone", group, member,
                claimed.size(), stream, dead);
            return null;
          });
        });
  }

  private void loop() {
    if (stopping) {
      finish();
      return;
    }
    if (!history && System.currentTimeMillis() >= claimDueAt) {
      claim();
      return;
    }
    Request read = Request.cmd(Command.XREADGROUP).arg("GROUP").arg(group).arg(member).arg("COUNT").arg(BATCH);
    if (!history) {
      read.arg("BLOCK").arg(BLOCK_MS);
    }
    read.arg("STREAMS").arg(key).arg(history ? "0" : ">");
    blocked = !history;
    connection.send(read).onComplete(reply -> {
      blocked = false;
      if (reply.failed()) {
        failed(reply.cause());
        return;
      }
      Response streams = reply.result();
      List<StreamEntries.Entry> entries =
          streams == null || streams.size() == 0 ? List.of() : StreamEntries.entries(streams.get(0).get(1));
      if (history && entries.isEmpty()) {
        history = false;
      }
      batch = entries;
      handle(entries, 0);
    });
  }

  private void handle(List<StreamEntries.Entry> entries, int index) {
    if (abandoned) {
      return;
    }
    if (stopping && index < entries.size()) {
      release(entries.subList(index, entries.size()));
      return;
    }
    position = index;
    if (index == entries.size()) {
      batch = List.of();
      loop();
      return;
    }
    StreamEntries.Entry entry = entries.get(index);
    DomainEvent event = RedisEventStore.decode(stream, entry);
    // A trimmed or foreign entry is acknowledged unhandled: retrying cannot make it an event.
    Future<Void> handled = event == null ? Future.succeededFuture() : delivery.deliver(event);
    handled.compose(v -> abandoned ? Future.<Response>succeededFuture()
            : connection.send(Request.cmd(Command.XACK).arg(key).arg(group).arg(entry.id())))
        .onComplete(done -> {
          if (abandoned) {
            return;
          }
          if (done.succeeded()) {
            handle(entries, index + 1);
          } else {
            failed(done.cause());
          }
        });
  }

  private void claim() {
    connection.send(Request.cmd(Command.XAUTOCLAIM).arg(key).arg(group).arg(member).arg(claimIdleMs)
            .arg(claimCursor).arg("COUNT").arg(100).arg("JUSTID"))
        .onComplete(reply -> {
          if (reply.failed()) {
            failed(reply.cause());
            return;
          }
          claimCursor = reply.result().get(0).toString();
          if ("0-0".equals(claimCursor)) {
            claimDueAt = System.currentTimeMillis() + claimIdleMs / 2;
          }
          if (reply.result().get(1).size() > 0) {
            LOG.info("consumer {} ({}) took over {} entries of {} left unacknowledged by another instance",
                group, member, reply.result().get(1).size(), stream);
            history = true;
          }
          loop();
        });
  }

  private void touch() {
    if (blocked || position >= batch.size() || connection == null) {
      return;
    }
    Request claim = Request.cmd(Command.XCLAIM).arg(key).arg(group).arg(member).arg(0);
    batch.subList(position, batch.size()).forEach(entry -> claim.arg(entry.id()));
    connection.send(claim.arg("JUSTID"));
  }

  @Override
  void abandon() {
    if (stopped.future().isComplete()) {
      return;
    }
    abandoned = true;
    if (connection == null || position >= batch.size()) {
      finish();
    } else {
      release(batch.subList(position, batch.size()));
    }
  }

  /** Marks entries read but not handled as long idle, so the next instance takes them first, in order. */
  private void release(List<StreamEntries.Entry> left) {
    Request claim = Request.cmd(Command.XCLAIM).arg(key).arg(group).arg(member).arg(0);
    left.forEach(entry -> claim.arg(entry.id()));
    claim.arg("IDLE").arg(RELEASED_IDLE_MS).arg("JUSTID");
    connection.send(claim).onComplete(v -> finish());
  }

  private void failed(Throwable error) {
    if (stopping) {
      finish();
      return;
    }
    LOG.warn("consumer {} of {} failed ({}); reading again in {} ms", group, stream, error.getMessage(), RETRY_MS);
    history = true;
    batch = List.of();
    RedisConnection broken = connection;
    connection = null;
    broken.close();
    context.owner().setTimer(RETRY_MS, id -> reconnect());
  }

  private void reconnect() {
    if (stopping) {
      finish();
      return;
    }
    connect().onSuccess(v -> loop()).onFailure(this::failed0);
  }

  private void failed0(Throwable error) {
    LOG.warn("consumer {} of {} cannot reconnect ({}); trying again in {} ms", group, stream, error.getMessage(),
        RETRY_MS);
    context.owner().setTimer(RETRY_MS, id -> reconnect());
  }

  /** Leaves the group if nothing is pending for this member, closes the connection. */
  @Override
  void finish() {
    if (stopped.future().isComplete()) {
      // A connection opened while stopping (a reconnect under way) goes back at once.
      if (connection != null) {
        connection.close();
        connection = null;
      }
      return;
    }
    context.owner().cancelTimer(touchTimer);
    store.unregister(this);
    RedisConnection open = connection;
    connection = null;
    if (open == null) {
      stopped.complete();
      return;
    }
    open.send(Request.cmd(Command.XPENDING).arg(key).arg(group).arg("-").arg("+").arg(1).arg(member))
        .compose(pending -> pending.size() == 0
            ? open.send(Request.cmd(Command.XGROUP).arg("DELCONSUMER").arg(key).arg(group).arg(member)).mapEmpty()
            : Future.succeededFuture())
        .eventually(open::close)
        .onComplete(v -> stopped.complete());
  }
}
