package io.fluxgate.examples;

import com.hazelcast.config.FileSystemXmlConfig;
import io.fluxgate.codecs.Codecs;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.PlatformNode;
import io.fluxgate.testing.TestStores;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The live example joins the cluster with the shipped Hazelcast file and prints a node's events as they happen. */
@Timeout(180)
class LiveEventPrinterTest {

  @TempDir
  Path dir;

  @Test
  void printsAThingCreatedOnAnotherNode() throws Exception {
    // The shipped file, under a cluster name of this test's own so it never joins a developer's running node.
    Path clusterFile = dir.resolve("cluster.xml");
    Files.writeString(clusterFile, Files.readString(Path.of("..", "cluster-config", "cluster.xml"))
        .replace("<cluster-name>fluxgate</cluster-name>", "<cluster-name>" + TestStores.unique("test-")
            + "</cluster-name>"));
    Map<String, String> env = PlatformNode.env("printed", dir.resolve("node"), "users,things",
        Map.of("FG_CLUSTER_CONFIG", clusterFile.toString()));
    try (PlatformNode node = PlatformNode.start(env, true)) {
      VertxOptions options = new VertxOptions();
      options.getEventBusOptions().setHost("127.0.0.1").setPort(0);
      Vertx printer = Await.result(Vertx.builder().with(options)
          .withClusterManager(new HazelcastClusterManager(new FileSystemXmlConfig(clusterFile.toFile())))
          .buildClustered(), Duration.ofSeconds(90));
      try {
        Codecs.register(printer.eventBus());
        Queue<String> lines = new ConcurrentLinkedQueue<>();
        Await.result(printer.deployVerticle(new LiveEventPrinter("fluxgate", lines::add)));
        // The printer's subscription travels through Hazelcast: create things until one is printed.
        Await.until("a thing.create printed", Duration.ofSeconds(60), () -> {
          String id = node.thing("printed-" + System.nanoTime()).getString("id");
          return lines.stream().anyMatch(line -> line.startsWith("fluxgate.things thing.create ")
              && line.contains("\"id\":\"")) || lines.stream().anyMatch(line -> line.contains(id));
        });
      } finally {
        Await.result(printer.close());
      }
    }
  }
}
