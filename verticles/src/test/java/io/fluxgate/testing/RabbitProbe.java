package io.fluxgate.testing;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.fluxgate.codecs.Streams;
import io.fluxgate.events.rabbitmq.RabbitEventStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A blocking amqp-client connection for tests: it answers from any thread without an event loop, so a probe inside a
 * bus consumer does not depend on the Vert.x it checks. Reads a stream queue up to an end marker it publishes.
 */
public final class RabbitProbe implements AutoCloseable {

  private final Connection connection;

  public RabbitProbe(String url) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(url);
    connection = factory.newConnection("fluxgate-test-probe");
  }

  /** One message of a stream queue as stored: its properties and body. */
  public record Stored(long offset, AMQP.BasicProperties properties, byte[] body) {}

  /**
   * The messages of the stream queue of {@code stream} from {@code start} ({@code x-stream-offset}: "first", a Date,
   * an offset) up to an end marker published by this call, markers excluded.
   */
  public List<Stored> read(String stream, Object start) throws Exception {
    String queue = RabbitEventStore.queue(stream);
    String marker = UUID.randomUUID().toString();
    List<Stored> read = new ArrayList<>();
    CompletableFuture<Void> end = new CompletableFuture<>();
    Channel channel = connection.createChannel();
    try {
      channel.confirmSelect();
      channel.basicPublish("", queue, new AMQP.BasicProperties.Builder().type("fluxgate.marker")
          .headers(Map.of("x-fluxgate-marker", marker)).build(), new byte[0]);
      channel.waitForConfirmsOrDie(10_000);
      channel.basicQos(500);
      String consumer = channel.basicConsume(queue, false, Map.of("x-stream-offset", start), new DefaultConsumer(channel) {
        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
          if (end.isDone()) {
            return;
          }
          try {
            getChannel().basicAck(envelope.getDeliveryTag(), false);
          } catch (IOException | RuntimeException e) {
            end.completeExceptionally(e);
            return;
          }
          Object id = properties.getHeaders() == null ? null : properties.getHeaders().get("x-fluxgate-marker");
          if (id != null) {
            if (id.toString().equals(marker)) {
              end.complete(null);
            }
            return;
          }
          read.add(new Stored(((Number) properties.getHeaders().get("x-stream-offset")).longValue(), properties, body));
        }
      });
      end.get(30, TimeUnit.SECONDS);
      channel.basicCancel(consumer);
      return read;
    } finally {
      // Closed, not aborted: a channel number reused before the broker's close-ok mixes up the next replies.
      channel.close();
    }
  }

  /** A consumer that follows a stream queue from its first message and keeps the message ids it saw. */
  private final class Follower extends DefaultConsumer {
    private final java.util.Set<String> ids = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Map<String, CompletableFuture<Void>> markers = new java.util.concurrent.ConcurrentHashMap<>();

    Follower(Channel channel) {
      super(channel);
    }

    @Override
    public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
        throws IOException {
      getChannel().basicAck(envelope.getDeliveryTag(), false);
      Object marker = properties.getHeaders() == null ? null : properties.getHeaders().get("x-fluxgate-marker");
      if (marker != null) {
        markers.computeIfAbsent(marker.toString(), m -> new CompletableFuture<>()).complete(null);
      } else if (properties.getMessageId() != null) {
        ids.add(properties.getMessageId());
      }
    }
  }

  private final Map<String, Follower> followers = new java.util.concurrent.ConcurrentHashMap<>();
  private Channel markerChannel;

  /**
   * Whether the stream queue of {@code stream} holds a message whose {@code message_id} is {@code eventId}: a
   * follower of the queue (started at the first call) has seen it by the time it sees a marker published now.
   */
  public synchronized boolean holds(String stream, String eventId) throws Exception {
    String queue = RabbitEventStore.queue(stream);
    Follower follower = followers.get(stream);
    if (follower == null) {
      Channel channel = connection.createChannel();
      channel.basicQos(1_000);
      follower = new Follower(channel);
      channel.basicConsume(queue, false, Map.of("x-stream-offset", "first"), follower);
      followers.put(stream, follower);
    }
    String marker = UUID.randomUUID().toString();
    CompletableFuture<Void> seen = follower.markers.computeIfAbsent(marker, m -> new CompletableFuture<>());
    if (markerChannel == null) {
      markerChannel = connection.createChannel();
      markerChannel.confirmSelect();
    }
    markerChannel.basicPublish("", queue, new AMQP.BasicProperties.Builder().type("fluxgate.marker")
        .headers(Map.of("x-fluxgate-marker", marker)).build(), new byte[0]);
    markerChannel.waitForConfirmsOrDie(10_000);
    seen.get(30, TimeUnit.SECONDS);
    return follower.ids.contains(eventId);
  }

  /** Deletes the stream queues of every known stream under {@code prefix}, with their dead-letter queues. */
  public void deleteStreams(String prefix) throws Exception {
    Streams streams = new Streams(prefix);
    try (Channel channel = connection.createChannel()) {
      for (String stream : List.of(streams.users(), streams.things(), streams.bootstrap(), streams.mqtt())) {
        channel.queueDelete(RabbitEventStore.queue(stream));
        channel.queueDelete(RabbitEventStore.queue(Streams.deadLetters(stream)));
      }
    }
  }

  @Override
  public void close() throws Exception {
    connection.close();
  }
}
