package io.fluxgate.node;

import io.fluxgate.config.ConfigTree;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code fluxgate serve}: starts a node and runs it until SIGTERM or Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Start a node. With no options: every role, embedded H2 and the SQL event store, no cluster.")
final class ServeCommand implements Callable<Integer> {

  @ParentCommand
  Fluxgate parent;

  @Option(names = "--config", paramLabel = "FILE",
      description = "Configuration file (default: conf/fluxgate.json when present). FG_* variables override it.")
  Path config;

  @Option(names = "--roles", paramLabel = "ROLES", split = ",",
      description = "Roles to run: all, or some of users, things, bootstrap, http (default: FG_ROLES, else all).")
  List<String> roles;

  @Option(names = "--cluster",
      description = "Join the Hazelcast cluster described by cluster.config (default cluster-config/cluster.xml).")
  boolean cluster;

  @Override
  public Integer call() throws Exception {
    NodeSettings settings = NodeSettings.from(ConfigTree.load(config, parent.env));
    if (roles != null) {
      settings = settings.with(settings.node().withRoles(Role.parse(roles, "--roles")));
    }
    var out = parent.spec.commandLine().getOut();
    Node node;
    try {
      node = Node.start(settings, cluster).toCompletionStage().toCompletableFuture().get();
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw e;
    }
    out.println("fluxgate node " + settings.node().instanceId() + " started"
        + (cluster ? " in cluster mode" : "") + "; roles: " + settings.node().roles().stream().map(Role::id).toList()
        + (node.vertx().isNativeTransportEnabled() ? "; native transport" : "; NIO transport"));
    node.listening().forEach(line -> out.println("  " + line));
    out.flush();

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("fluxgate: stop did not finish cleanly: " + e);
      } finally {
        stopped.countDown();
      }
    }, "fluxgate-shutdown"));
    stopped.await();
    return 0;
  }
}
