package io.fluxgate.events.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ConfirmListener;
import io.fluxgate.events.ContextHandoff;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes on one confirm-mode channel from a thread of its own (a publish may block on the socket), in the order
 * appends were made, and completes each append on its caller's context when the broker confirms that message.
 * While the connection is down appends fail at once and it reconnects in the background.
 */
final class RabbitPublisher {

  private static final Logger LOG = LoggerFactory.getLogger(RabbitPublisher.class);
  private static final long RECONNECT_MS = 500;
  /** How many confirmed event ids are remembered, so an event appended again soon after is not stored twice. */
  private static final int REMEMBERED = 100_000;

  private final Vertx vertx;
  private final ConnectionFactory factory;
  private final String where;
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "fluxgate-rabbitmq-publisher");
    t.setDaemon(true);
    return t;
  });
  private final Map<Context, ContextHandoff<Ack>> acks = new ConcurrentHashMap<>();
  /** Messages published on {@link #channel} and not yet confirmed, by publish sequence number. */
  private final ConcurrentNavigableMap<Long, Pending> pending = new ConcurrentSkipListMap<>();
  private final Map<String, Boolean> confirmed = new LinkedHashMap<>(1024, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > REMEMBERED;
    }
  };
  /** Message ids the broker returned as unroutable, until their confirm arrives. */
  private final Set<String> unroutable = ConcurrentHashMap.newKeySet();
  private volatile Channel channel;
  private Connection connection;
  private volatile boolean closed;

  RabbitPublisher(Vertx vertx, ConnectionFactory factory, String where) {
    this.vertx = vertx;
    this.factory = factory;
    this.where = where;
  }

  /** An answer of the broker on its way back to the context that appended. */
  private record Ack(Promise<Void> promise, Throwable error) {
    void complete() {
      if (error == null) {
        promise.complete();
      } else {
        promise.fail(error);
      }
    }
  }

  private record Pending(Promise<Void> promise, ContextHandoff<Ack> acks, String eventId, String messageId) {}

  /** Connects (blocking the publisher's thread, not the caller's); fails with the broker's or socket's reason. */
  Future<Void> start() {
    Promise<Void> started = Promise.promise();
    thread.execute(() -> {
      try {
        connect();
        started.complete();
      } catch (Exception e) {
        started.fail(e);
      }
    });
    return started.future();
  }

  /**
   * Publishes {@code body} once {@code ready} (its queue's declaration) succeeded and completes on {@code caller}
   * when the broker confirms it; a message with an {@code eventId} confirmed lately is not published again.
   */
  Future<Void> publish(Context caller, Future<Void> ready, String exchange, String routingKey,
      AMQP.BasicProperties properties, byte[] body, String eventId) {
    if (channel == null) {
      return Future.failedFuture("the RabbitMQ event store at " + where + " is unreachable, reconnecting");
    }
    ContextHandoff<Ack> handoff = acks.computeIfAbsent(caller, context -> new ContextHandoff<>(context, Ack::complete));
    Promise<Void> published = Promise.promise();
    try {
      thread.execute(() -> send(ready, exchange, routingKey, properties, body, eventId, published, handoff));
    } catch (RejectedExecutionException e) {
      return Future.failedFuture("the RabbitMQ event store is closed");
    }
    return published.future();
  }

  private void send(Future<Void> ready, String exchange, String routingKey, AMQP.BasicProperties properties,
      byte[] body, String eventId, Promise<Void> published, ContextHandoff<Ack> handoff) {
    if (!ready.isComplete()) {
      // The stream's queue is being declared: this thread waits, so later appends keep their place behind this one.
      try {
        ready.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // Answered below.
      }
    }
    if (!ready.succeeded()) {
      handoff.hand(new Ack(published, ready.failed() ? ready.cause()
          : new IllegalStateException("the stream queue of " + routingKey + " was not declared in time")));
      return;
    }
    Channel open = channel;
    if (open == null) {
      handoff.hand(new Ack(published, new IllegalStateException(
          "the RabbitMQ event store at " + where + " is unreachable, reconnecting")));
      return;
    }
    if (eventId != null && remembered(eventId)) {
      handoff.hand(new Ack(published, null));
      return;
    }
    long sequence = open.getNextPublishSeqNo();
    pending.put(sequence, new Pending(published, handoff, eventId, properties.getMessageId()));
    try {
      // Mandatory: a message no queue took (a stream queue not back yet after a broker restart) is returned, not lost.
      open.basicPublish(exchange, routingKey, true, properties, body);
    } catch (Exception e) {
      if (pending.remove(sequence) != null) {
        handoff.hand(new Ack(published, e));
      }
    }
  }

  private boolean remembered(String eventId) {
    synchronized (confirmed) {
      return confirmed.containsKey(eventId);
    }
  }

  private void connect() throws Exception {
    Connection opened = factory.newConnection("fluxgate-publisher");
    try {
      Channel confirming = opened.createChannel();
      confirming.confirmSelect();
      confirming.addConfirmListener(new ConfirmListener() {
        @Override
        public void handleAck(long sequence, boolean multiple) {
          settle(sequence, multiple, null);
        }

        @Override
        public void handleNack(long sequence, boolean multiple) {
          settle(sequence, multiple, new IllegalStateException("RabbitMQ did not take the message (nack)"));
        }
      });
      // The broker returns an unroutable message before it confirms it: the confirm then fails the append.
      confirming.addReturnListener(returned -> {
        String id = returned.getProperties().getMessageId();
        if (id != null) {
          unroutable.add(id);
        }
      });
      opened.addShutdownListener(cause -> {
        if (!cause.isInitiatedByApplication()) {
          execute(() -> lost(opened, cause));
        }
      });
      connection = opened;
      channel = confirming;
    } catch (Exception e) {
      opened.abort();
      throw e;
    }
  }

  /** Called on the connection's thread: completes the appends the broker confirmed. */
  private void settle(long sequence, boolean multiple, Throwable error) {
    if (multiple) {
      ConcurrentNavigableMap<Long, Pending> head = pending.headMap(sequence, true);
      head.values().forEach(p -> settled(p, error));
      head.clear();
    } else {
      Pending one = pending.remove(sequence);
      if (one != null) {
        settled(one, error);
      }
    }
  }

  private void settled(Pending pending, Throwable error) {
    if (pending.messageId() != null && unroutable.remove(pending.messageId()) && error == null) {
      error = new IllegalStateException("RabbitMQ routed the message to no queue (is the stream queue of "
          + "its stream there?)");
    }
    if (error == null && pending.eventId() != null) {
      synchronized (confirmed) {
        confirmed.put(pending.eventId(), Boolean.TRUE);
      }
    }
    pending.acks().hand(new Ack(pending.promise(), error));
  }

  /** On the publisher's thread: fails what was not confirmed (the outbox keeps it) and reconnects. */
  private void lost(Connection which, Exception cause) {
    if (connection != which) {
      return;
    }
    channel = null;
    connection = null;
    failPending(new IllegalStateException("lost the RabbitMQ connection before the broker confirmed: " + cause.getMessage()));
    if (!closed) {
      LOG.warn("lost the RabbitMQ connection to {} ({}); reconnecting", where, cause.getMessage());
      thread.schedule(this::reconnect, RECONNECT_MS, TimeUnit.MILLISECONDS);
    }
  }

  private void failPending(Throwable error) {
    var all = pending.values().iterator();
    while (all.hasNext()) {
      Pending p = all.next();
      all.remove();
      p.acks().hand(new Ack(p.promise(), error));
    }
  }

  private void reconnect() {
    if (closed) {
      return;
    }
    try {
      connect();
      LOG.info("reconnected to RabbitMQ at {}", where);
    } catch (Exception e) {
      LOG.debug("RabbitMQ at {} still unreachable: {}", where, e.toString());
      thread.schedule(this::reconnect, RECONNECT_MS, TimeUnit.MILLISECONDS);
    }
  }

  private void execute(Runnable task) {
    try {
      thread.execute(task);
    } catch (RejectedExecutionException e) {
      // Closed: nothing is left to do.
    }
  }

  /** Waits for the outstanding confirms (at most a few seconds), then closes the connection and the thread. */
  Future<Void> close() {
    Promise<Void> done = Promise.promise();
    execute(() -> {
      closed = true;
      Channel open = channel;
      try {
        if (open != null) {
          open.waitForConfirms(5_000);
        }
      } catch (Exception e) {
        // Whatever is unconfirmed fails below; the outbox still has it.
      }
      channel = null;
      failPending(new IllegalStateException("the RabbitMQ event store closed before the broker confirmed"));
      if (connection != null) {
        try {
          connection.close(2_000);
        } catch (Exception e) {
          connection.abort();
        }
        connection = null;
      }
      done.complete();
    });
    return done.future().eventually(() -> {
      thread.shutdown();
      return Future.succeededFuture();
    });
  }
}
