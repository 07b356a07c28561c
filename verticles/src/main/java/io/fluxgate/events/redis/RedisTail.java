package io.fluxgate.events.redis;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.EventStore.StartFrom;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Follows one stream with XREAD BLOCK on a connection of its own, handing each event over on the caller's context. */
final class RedisTail extends BlockingReader {

  private static final Logger LOG = LoggerFactory.getLogger(RedisTail.class);
  private static final int BATCH = 256;
  private static final int BLOCK_MS = 2_000;
  private static final long RETRY_MS = 1_000;

  private final String stream;
  private final String key;
  private final StartFrom from;
  private final Handler<DomainEvent> handler;
  private String lastId = "0-0";

  RedisTail(RedisEventStore store, String stream, StartFrom from, Handler<DomainEvent> handler) {
    super(store, Vertx.currentContext());
    this.stream = stream;
    this.key = RedisEventStore.key(stream);
    this.from = from;
    this.handler = handler;
  }

  /** Called on the caller's context. */
  Future<RedisEventStore.Reader> start() {
    return connect().compose(v -> from == StartFrom.BEGINNING ? Future.succeededFuture() : connection
            .send(Request.cmd(Command.XREVRANGE).arg(key).arg("+").arg("-").arg("COUNT").arg(1))
            .map(last -> {
              if (last != null && last.size() > 0) {
                lastId = last.get(0).get(0).toString();
              }
              return null;
            }))
        .map(v -> {
          store.register(this);
          read();
          return this;
        });
  }

  private Future<Void> connect() {
    return store.client().connect().compose(opened -> {
      connection = opened;
      return opened.send(Request.cmd(Command.CLIENT).arg("ID")).<Void>map(id -> {
        clientId = id.toLong();
        return null;
      }).onFailure(e -> opened.close());
    });
  }

  private void read() {
    if (stopping) {
      finish();
      return;
    }
    blocked = true;
    connection.send(Request.cmd(Command.XREAD).arg("COUNT").arg(BATCH).arg("BLOCK").arg(BLOCK_MS)
            .arg("STREAMS").arg(key).arg(lastId))
        .onComplete(reply -> {
          blocked = false;
          if (reply.failed()) {
            retry(reply.cause());
            return;
          }
          Response streams = reply.result();
          if (streams != null && streams.size() > 0) {
            for (StreamEntries.Entry entry : StreamEntries.entries(streams.get(0).get(1))) {
              lastId = entry.id();
              DomainEvent event = RedisEventStore.decode(stream, entry);
              if (event != null && !stopping) {
                handler.handle(event);
              }
            }
          }
          read();
        });
  }

  private void retry(Throwable error) {
    if (stopping) {
      finish();
      return;
    }
    LOG.warn("tail of {} failed ({}); reading again in {} ms", stream, error.getMessage(), RETRY_MS);
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
    connect().onSuccess(v -> read()).onFailure(e -> context.owner().setTimer(RETRY_MS, id -> reconnect()));
  }

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
    store.unregister(this);
    RedisConnection open = connection;
    connection = null;
    (open == null ? Future.<Void>succeededFuture() : open.close()).onComplete(v -> stopped.complete());
  }
}
