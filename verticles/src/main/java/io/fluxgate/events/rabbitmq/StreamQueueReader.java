package io.fluxgate.events.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.EventStore;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one stream queue from an offset over AMQP 0-9-1 on a channel of its own and hands each event, one at a
 * time and in offset order, to {@link #handle} on {@link #context}; skips end markers and an {@code event_id} it
 * has just seen; acknowledges in batches (a stream keeps its messages, the acknowledgement only makes room for
 * more under the prefetch); after a lost connection starts again from the next offset it had not taken.
 */
abstract class StreamQueueReader implements EventStore.Subscription {

  private static final Logger LOG = LoggerFactory.getLogger(StreamQueueReader.class);
  private static final long RETRY_MS = 1_000;
  /** How long a stop waits for the handler in progress. */
  private static final long STOP_GRACE_MS = io.fluxgate.events.Delivery.STOP_GRACE.toMillis();
  /** How many recent event ids a reader remembers to drop a duplicate that reached the stream twice. */
  private static final int REMEMBERED = 10_000;

  protected final RabbitEventStore store;
  protected final String stream;
  protected final String queue;
  protected final Context context;
  protected final Promise<Void> stopped = Promise.promise();
  /** The offset of the next message this reader takes; negative until the first is known. */
  protected long nextOffset = -1;
  protected boolean stopping;
  private final ArrayDeque<Message> inbox = new ArrayDeque<>();
  private final Map<String, Boolean> seen = new LinkedHashMap<>(256, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > REMEMBERED;
    }
  };
  /** Identifies the current consume: deliveries of an older one (before a restart) are dropped. */
  private Object generation;
  private Channel channel;
  private boolean busy;
  private int unacknowledged;
  private Message lastDone;

  StreamQueueReader(RabbitEventStore store, String stream, Context context) {
    this.store = store;
    this.stream = stream;
    this.queue = RabbitEventStore.queue(stream);
    this.context = context;
  }

  private record Message(Channel channel, long tag, long offset, AMQP.BasicProperties properties, byte[] body) {}

  /** Opens the channel the reader consumes on; runs on a worker thread. */
  Channel openChannel() throws Exception {
    return store.readers().createChannel();
  }

  /** Handles one event; the reader takes the next one when the future completes. */
  abstract Future<Void> handle(DomainEvent event, long offset);

  /** An end marker went by (on {@link #context}). */
  void marker(String id, long offset) {}

  /** Every message up to {@code offset} was taken care of (on {@link #context}). */
  void passed(long offset) {}

  /** Consumes from {@code nextOffset} if known, else from {@code start} (an offset, first, last, next or a Date). */
  Future<Void> consumeFrom(Object start) {
    Object from = nextOffset >= 0 ? (Object) nextOffset : start;
    Object current = new Object();
    generation = current;
    int prefetch = store.settings().prefetch();
    return context.owner().<Channel>executeBlocking(() -> {
      Channel opened = openChannel();
      try {
        opened.basicQos(prefetch);
        opened.basicConsume(queue, false, Map.of("x-stream-offset", from), new Receiver(opened, current));
        return opened;
      } catch (Exception e) {
        closeQuietly(opened);
        throw e;
      }
    }, false).map(opened -> {
      if (stopping || generation != current) {
        closeQuietly(opened);
      } else {
        channel = opened;
      }
      return null;
    });
  }

  /** Delivers on the amqp-client's thread and hands over to the reader's context. */
  private final class Receiver extends DefaultConsumer {
    private final Object consume;

    Receiver(Channel channel, Object consume) {
      super(channel);
      this.consume = consume;
    }

    @Override
    public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
      Object offset = properties.getHeaders() == null ? null : properties.getHeaders().get("x-stream-offset");
      long at = offset instanceof Number n ? n.longValue() : -1;
      Message message = new Message(getChannel(), envelope.getDeliveryTag(), at, properties, body);
      context.runOnContext(v -> received(consume, message));
    }

    @Override
    public void handleShutdownSignal(String tag, ShutdownSignalException signal) {
      if (!signal.isInitiatedByApplication()) {
        context.runOnContext(v -> lost(consume, signal.getMessage()));
      }
    }

    @Override
    public void handleCancel(String tag) {
      context.runOnContext(v -> lost(consume, "the broker cancelled the consumer (queue deleted?)"));
    }
  }

  private void received(Object consume, Message message) {
    if (consume != generation) {
      return;
    }
    inbox.add(message);
    drain();
  }

  private void drain() {
    while (!busy && !stopping && !inbox.isEmpty()) {
      Message message = inbox.poll();
      if (message.offset() >= 0 && message.offset() < nextOffset) {
        // Delivered again after a restart from an earlier chunk start: taken already.
        done(message);
        continue;
      }
      if (message.offset() >= 0) {
        nextOffset = message.offset() + 1;
      }
      String marker = RabbitEventStore.markerId(message.properties());
      if (marker != null) {
        done(message);
        passed(message.offset());
        marker(marker, message.offset());
        continue;
      }
      DomainEvent event = RabbitEventStore.decode(stream, message.body());
      if (event == null || seen.put(event.eventId(), Boolean.TRUE) != null) {
        done(message);
        passed(message.offset());
        continue;
      }
      busy = true;
      Future<Void> handled = handle(event, message.offset());
      if (handled.succeeded()) {
        busy = false;
        done(message);
        passed(message.offset());
        continue;
      }
      handled.onComplete(result -> {
        busy = false;
        if (result.failed()) {
          // Not handled nor parked: read it again from its offset after a pause.
          seen.remove(event.eventId());
          nextOffset = message.offset();
          restartLater("handling " + event.eventId() + " failed: " + result.cause().getMessage());
          return;
        }
        done(message);
        passed(message.offset());
        drain();
      });
      return;
    }
    if (stopping && !busy) {
      finishOnce();
    }
  }

  /** Acknowledges up to {@code message} once half the prefetch is taken or nothing more waits. */
  private void done(Message message) {
    lastDone = message;
    if (++unacknowledged >= Math.max(1, store.settings().prefetch() / 2) || inbox.isEmpty()) {
      Message last = lastDone;
      unacknowledged = 0;
      // Ordered: acknowledging several at once out of order would name a tag already acknowledged.
      context.owner().executeBlocking(() -> {
        if (last.channel().isOpen()) {
          last.channel().basicAck(last.tag(), true);
        }
        return null;
      }, true).onFailure(e -> LOG.debug("acknowledging on {} failed: {}", queue, e.toString()));
    }
  }

  private void lost(Object consume, String why) {
    if (consume != generation) {
      return;
    }
    restartLater(why);
  }

  private void restartLater(String why) {
    generation = new Object();
    inbox.clear();
    Channel broken = channel;
    channel = null;
    if (broken != null) {
      context.owner().executeBlocking(() -> {
        closeQuietly(broken);
        return null;
      }, false);
    }
    if (stopping) {
      if (!busy) {
        finishOnce();
      }
      return;
    }
    LOG.warn("reader of {} stopped ({}); reading again from offset {} in {} ms", queue, why,
        nextOffset < 0 ? "start" : nextOffset, RETRY_MS);
    context.owner().setTimer(RETRY_MS, id -> restart());
  }

  /** Consumes again after a loss; subclasses that hold more than a channel reopen it first. */
  void restart() {
    if (stopping) {
      finishOnce();
      return;
    }
    reopen().onFailure(e -> restartLater(e.getMessage()));
  }

  /** Starts consuming again from the next offset. */
  abstract Future<Void> reopen();

  @Override
  public Future<Void> stop() {
    Context caller = context.owner().getOrCreateContext();
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      if (!stopping) {
        stopping = true;
        generation = new Object();
        inbox.clear();
        Channel open = channel;
        channel = null;
        if (open != null) {
          context.owner().executeBlocking(() -> {
            closeQuietly(open);
            return null;
          }, false);
        }
        if (!busy) {
          finishOnce();
        } else {
          // A handler that never answers must not hold the node's shutdown: its event comes again at the next start.
          context.owner().setTimer(STOP_GRACE_MS, id -> finishOnce());
        }
      }
      stopped.future().onComplete(r -> caller.runOnContext(x -> done.complete()));
    });
    return done.future();
  }

  private void finishOnce() {
    if (stopped.future().isComplete()) {
      return;
    }
    store.unregister(this);
    finish().onComplete(r -> stopped.tryComplete());
  }

  /** Releases what the reader holds beyond its channel (on {@link #context}). */
  Future<Void> finish() {
    return Future.succeededFuture();
  }

  static void closeQuietly(Channel channel) {
    try {
      if (channel.isOpen()) {
        channel.close();
      }
    } catch (Exception e) {
      // Closing a channel of a lost connection: nothing to release.
    }
  }
}
