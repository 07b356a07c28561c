package io.fluxgate.events.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.Delivery;
import io.fluxgate.events.EventStore.StartFrom;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance of a durable consumer: a stream consumer of the stream queue that starts at the offset stored for
 * its name and stores the next offset after each handled event. Only one instance of a name reads at a time: it
 * holds an exclusive queue named after the consumer on a connection of its own, which the broker deletes when that
 * connection dies; the other instances try again each second and take over from the stored offset.
 */
final class RabbitConsumerWorker extends StreamQueueReader {

  private static final Logger LOG = LoggerFactory.getLogger(RabbitConsumerWorker.class);
  private static final int RESOURCE_LOCKED = 405;

  private final String consumer;
  private final StartFrom from;
  private final Delivery delivery;
  private final ConsumerOffsets offsets;
  private final String lock;
  private Connection connection;
  private boolean standingBy;
  /** The offset last written, the one to write next, and whether a write is under way. */
  private long saved = -1;
  private long toSave = -1;
  private Future<Void> saving = Future.succeededFuture();

  RabbitConsumerWorker(RabbitEventStore store, String stream, String consumer, StartFrom from, Delivery delivery,
      ConsumerOffsets offsets, Context context) {
    super(store, stream, context);
    this.consumer = consumer;
    this.from = from;
    this.delivery = delivery;
    this.offsets = offsets;
    this.lock = queue + "-" + consumer + ".active";
  }

  /**
   * Starts reading once the start offset is stored (so an event appended after this completes is never before it),
   * or stands by while another instance reads; completes on {@link #context}.
   */
  Future<Void> start() {
    store.register(this);
    return reopen().recover(e -> {
      if (e instanceof Standby) {
        restartLater();
        return Future.succeededFuture();
      }
      return stop().transform(v -> Future.failedFuture(e));
    });
  }

  @Override
  Future<Void> reopen() {
    return context.owner().<Boolean>executeBlocking(this::lock, false).compose(locked -> {
      if (!locked) {
        if (!standingBy) {
          standingBy = true;
          LOG.info("consumer {} of {} stands by: another instance reads it", consumer, stream);
        }
        return Future.failedFuture(new Standby());
      }
      if (standingBy) {
        standingBy = false;
        LOG.info("consumer {} of {} took over reading", consumer, stream);
      }
      // Another instance may have read on while this one was away: offsets only move forward.
      return storedOffset().map(stored -> Math.max(stored, nextOffset));
    }).compose(next -> {
      nextOffset = next;
      return consumeFrom(next);
    });
  }

  /** A standby instance tries again in a second. */
  private static final class Standby extends RuntimeException {
    Standby() {
      super("another instance reads", null, false, false);
    }
  }

  private void restartLater() {
    context.owner().setTimer(1_000, id -> restart());
  }

  @Override
  void restart() {
    if (stopping) {
      super.restart();
      return;
    }
    reopen().onFailure(e -> {
      if (!(e instanceof Standby)) {
        LOG.warn("consumer {} of {} cannot read ({}); trying again in 1 s", consumer, stream, e.getMessage());
      }
      restartLater();
    });
  }

  /** Takes the exclusive queue on this worker's connection; false while another connection holds it. */
  private boolean lock() throws Exception {
    if (connection == null || !connection.isOpen()) {
      connection = store.connect("fluxgate-consumer-" + consumer);
    }
    Channel channel = connection.createChannel();
    try {
      channel.queueDeclare(lock, false, true, true, null);
      closeQuietly(channel);
      return true;
    } catch (IOException e) {
      if (e.getCause() instanceof ShutdownSignalException signal && signal.getReason() instanceof
          com.rabbitmq.client.AMQP.Channel.Close close && close.getReplyCode() == RESOURCE_LOCKED) {
        return false;
      }
      throw e;
    }
  }

  /** The stored offset; for a consumer never seen, the start its {@code from} says, stored at once. */
  private Future<Long> storedOffset() {
    return offsets.find(queue, consumer).compose(stored -> {
      if (stored != null) {
        return Future.succeededFuture(stored);
      }
      Future<Long> start = from == StartFrom.BEGINNING ? Future.succeededFuture(0L) : store.end(stream, context)
          .map(marker -> marker + 1);
      return start.compose(next -> offsets.create(queue, consumer, next));
    });
  }

  @Override
  Channel openChannel() throws Exception {
    return connection.createChannel();
  }

  @Override
  Future<Void> handle(DomainEvent event, long offset) {
    return delivery.deliver(event);
  }

  @Override
  void passed(long offset) {
    if (stopped.future().isComplete()) {
      // A handler that answered after the stop gave up on it: the next start reads its event again.
      return;
    }
    toSave = offset + 1;
    if (saving.isComplete()) {
      save();
    }
  }

  /** Writes the latest offset, one write at a time, so a fast stream costs one write per handler round, not per event. */
  private void save() {
    if (toSave <= saved) {
      return;
    }
    long next = toSave;
    saving = offsets.save(queue, consumer, next).onComplete(r -> {
      if (r.succeeded()) {
        saved = next;
      } else {
        LOG.warn("consumer {} of {} could not store its offset {}: {}", consumer, stream, next, r.cause().toString());
      }
      save();
    });
  }

  @Override
  Future<Void> finish() {
    return saving.transform(r -> {
      Future<Void> last = toSave > saved ? offsets.save(queue, consumer, toSave) : Future.succeededFuture();
      return last.transform(x -> context.owner().executeBlocking(() -> {
        Connection open = connection;
        connection = null;
        if (open != null) {
          // Closing the connection deletes the exclusive queue: another instance takes over.
          open.abort(2_000);
        }
        return null;
      }, false));
    });
  }
}
