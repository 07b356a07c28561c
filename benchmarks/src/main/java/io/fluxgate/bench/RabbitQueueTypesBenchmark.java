package io.fluxgate.bench;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.fluxgate.codecs.Addresses;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Raw amqp-client with publisher confirms into a stream queue, a quorum queue and a classic queue, the rounds of the
 * three types taking turns in one run: the measurement behind the RabbitMQ store's choice of stream queues.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar io.fluxgate.bench.RabbitQueueTypesBenchmark
 * [events=20000] [rounds=5] [amqp-url=amqp://guest:guest@127.0.0.1:5672/%2f]}
 */
public final class RabbitQueueTypesBenchmark {

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    String url = args.length > 2 ? args[2] : "amqp://guest:guest@127.0.0.1:5672/%2f";
    String prefix = "bench" + UUID.randomUUID().toString().substring(0, 8);
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(url);
    Map<String, String> queues = new LinkedHashMap<>();
    for (String type : List.of("stream", "quorum", "classic")) {
      queues.put(type, prefix + "." + type);
    }
    try (Connection connection = factory.newConnection("fluxgate-bench-queue-types")) {
      try (Channel setup = connection.createChannel()) {
        setup.exchangeDeclare("events", "topic", true);
        queues.forEach((type, stream) -> {
          try {
            setup.queueDeclare(Addresses.events(stream), true, false, false, Map.of("x-queue-type", type));
            setup.queueBind(Addresses.events(stream), "events", Addresses.events(stream));
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
      }
      System.out.printf("events per round: %d, rounds: %d (after one warm-up round each), RabbitMQ %s:%d, %d cores%n",
          events, rounds, factory.getHost(), factory.getPort(), Runtime.getRuntime().availableProcessors());
      Map<String, List<Double>> rates = new LinkedHashMap<>();
      try {
        for (int round = 0; round <= rounds; round++) {
          StringBuilder line = new StringBuilder(round == 0 ? "warm-up:" : "round " + round + ":");
          for (Map.Entry<String, String> queue : queues.entrySet()) {
            double rate = RabbitAppendBenchmark.rawRound(connection, queue.getValue(), events);
            if (round > 0) {
              rates.computeIfAbsent(queue.getKey(), k -> new ArrayList<>()).add(rate);
            }
            line.append(String.format(" %s %.0f/s", queue.getKey(), rate));
          }
          System.out.println(line);
        }
        StringBuilder medians = new StringBuilder("median:");
        rates.forEach((type, list) -> medians.append(String.format(" %s %.0f/s", type, median(list))));
        System.out.println(medians);
      } finally {
        try (Channel cleanup = connection.createChannel()) {
          for (String stream : queues.values()) {
            cleanup.queueDelete(Addresses.events(stream));
          }
        }
      }
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }
}
