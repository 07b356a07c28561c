package io.fluxgate.examples;

import com.hazelcast.config.FileSystemXmlConfig;
import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.Codecs;
import io.fluxgate.codecs.DomainEvent;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Example: a verticle that joins the Fluxgate cluster and prints every domain event as it happens, one line per
 * event, from the event bus (live, nothing durable: for a durable consumer see {@link ThingInventory}).
 *
 * <pre>java -cp fluxgate.jar io.fluxgate.examples.LiveEventPrinter [cluster.xml] [prefix]</pre>
 */
public final class LiveEventPrinter extends VerticleBase {

  private static final List<String> STREAMS = List.of("users", "things", "bootstrap", "mqtt");

  private final String prefix;
  private final Consumer<String> out;

  /** Prints the events of the streams under {@code prefix} (e.g. {@code fluxgate}) to {@code out}. */
  public LiveEventPrinter(String prefix, Consumer<String> out) {
    this.prefix = prefix;
    this.out = out;
  }

  @Override
  public Future<?> start() {
    List<Future<Void>> registered = new ArrayList<>();
    for (String stream : STREAMS) {
      registered.add(vertx.eventBus().<DomainEvent>consumer(Addresses.events(prefix + "." + stream),
          message -> out.accept(line(message.body()))).completion());
    }
    return Future.all(registered);
  }

  /** One event as a line: stream, operation, event id, then its JSON. */
  static String line(DomainEvent event) {
    return event.stream() + " " + event.operation() + " " + event.eventId() + " " + event.toJson().encode();
  }

  /** Joins the cluster described by the Hazelcast file (default {@code cluster-config/cluster.xml}) and prints. */
  public static void main(String[] args) throws Exception {
    Path clusterFile = Path.of(args.length > 0 ? args[0] : "cluster-config/cluster.xml");
    String prefix = args.length > 1 ? args[1] : "fluxgate";
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost(System.getenv().getOrDefault("FG_CLUSTER_HOST", "127.0.0.1")).setPort(0);
    Vertx vertx = Vertx.builder().with(options)
        .withClusterManager(new HazelcastClusterManager(new FileSystemXmlConfig(clusterFile.toFile())))
        .buildClustered().await();
    Codecs.register(vertx.eventBus());
    vertx.deployVerticle(new LiveEventPrinter(prefix, System.out::println)).await();
    System.err.println("listening for events of " + prefix + ".* on the cluster; Ctrl-C stops");
  }
}
