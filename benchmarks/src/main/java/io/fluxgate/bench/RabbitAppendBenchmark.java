package io.fluxgate.bench;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ConfirmListener;
import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.Streams;
import io.fluxgate.events.EventLogVerticle;
import io.fluxgate.events.EventStoreConfig;
import io.vertx.core.Vertx;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Appends N events to RabbitMQ through the event-bus interceptor (publish on the bus, append with a publisher
 * confirm, deliver) and, in the same run, publishes the same bytes with raw amqp-client to a stream queue of its own
 * (confirm mode, every message outstanding at once); prints events per second of both.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar io.fluxgate.bench.RabbitAppendBenchmark
 * [events=100000] [rounds=5] [amqp-url=amqp://guest:guest@127.0.0.1:5672/%2f]}
 */
public final class RabbitAppendBenchmark {

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    String url = args.length > 2 ? args[2] : "amqp://guest:guest@127.0.0.1:5672/%2f";
    String prefix = "bench" + UUID.randomUUID().toString().substring(0, 8);

    EventStoreConfig config = InterceptorAppendBenchmark.config("rabbitmq", url, prefix, events);
    Vertx vertx = Vertx.vertx();
    EventLogVerticle log = InterceptorAppendBenchmark.startEventLog(vertx, config, prefix);
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(url);
    Connection raw = factory.newConnection("fluxgate-bench-raw");
    String rawStream = prefix + ".raw";
    try (Channel setup = raw.createChannel()) {
      setup.queueDeclare(Addresses.events(rawStream), true, false, false, Map.of("x-queue-type", "stream"));
      setup.queueBind(Addresses.events(rawStream), "events", Addresses.events(rawStream));
    }

    System.out.printf("events per round: %d, rounds: %d, RabbitMQ %s, %d cores, %s%n", events, rounds,
        factory.getHost() + ":" + factory.getPort(), Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.vm.version"));
    InterceptorAppendBenchmark.compareWithRawClient("raw amqp-client", events, rounds, log,
        () -> InterceptorAppendBenchmark.interceptorRound(vertx, log, prefix + ".things", events, false),
        () -> rawRound(raw, rawStream, events));
    vertx.close().toCompletionStage().toCompletableFuture().get();
    // Leave the shared broker as it was: this run's stream queues only held benchmark traffic.
    Streams streams = new Streams(prefix);
    try (Channel cleanup = raw.createChannel()) {
      for (String stream : List.of(streams.users(), streams.things(), streams.bootstrap(), streams.mqtt(), rawStream)) {
        cleanup.queueDelete(Addresses.events(stream));
        cleanup.queueDelete(Addresses.events(Streams.deadLetters(stream)));
      }
    }
    raw.close();
  }

  /**
   * The same events with raw amqp-client on one confirm-mode channel: bodies encoded beforehand, properties
   * (message id, content type, persistent) built per publish, timed until every confirm arrived.
   */
  static double rawRound(Connection connection, String stream, int events) throws Exception {
    String key = Addresses.events(stream);
    byte[][] bodies = new byte[events][];
    String[] ids = new String[events];
    for (int n = 0; n < events; n++) {
      DomainEvent event = InterceptorAppendBenchmark.event(stream, n);
      bodies[n] = event.toBytes();
      ids[n] = event.eventId();
    }
    try (Channel channel = connection.createChannel()) {
      channel.confirmSelect();
      long first = channel.getNextPublishSeqNo();
      long last = first + events - 1;
      AtomicLong confirmed = new AtomicLong(first - 1);
      CountDownLatch done = new CountDownLatch(1);
      channel.addConfirmListener(new ConfirmListener() {
        @Override
        public void handleAck(long tag, boolean multiple) {
          if (confirmed.accumulateAndGet(tag, Math::max) >= last) {
            done.countDown();
          }
        }

        @Override
        public void handleNack(long tag, boolean multiple) {
          handleAck(tag, multiple);
        }
      });
      long start = System.nanoTime();
      for (int n = 0; n < events; n++) {
        channel.basicPublish("events", key, true, new AMQP.BasicProperties.Builder().contentType("application/json")
            .deliveryMode(2).messageId(ids[n]).timestamp(new Date()).build(), bodies[n]);
      }
      if (!done.await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("raw round did not finish");
      }
      return events / ((System.nanoTime() - start) / 1e9);
    }
  }
}
