package io.fluxgate.node;

import io.fluxgate.config.ConfigSection;
import io.fluxgate.config.ConfigTree;
import io.fluxgate.api.ServiceRequests;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * The node itself: which roles it runs, where it keeps data, how it is seen in the cluster and where its metrics
 * are served. Keys: {@code roles} ({@code FG_ROLES}), {@code data.dir} ({@code FG_DATA_DIR}), {@code node.id},
 * {@code node.host}, {@code node.bus_timeout} (how long a request to another service over the bus may take),
 * {@code metrics.*}, {@code cluster.*}.
 */
public record NodeConfig(
    List<Role> roles,
    Path dataDir,
    String instanceId,
    String host,
    boolean metricsEnabled,
    String metricsHost,
    int metricsPort,
    Path clusterConfig,
    String clusterHost,
    Duration busTimeout) {

  public static NodeConfig from(ConfigTree tree) {
    ConfigSection root = tree.section("");
    ConfigSection node = tree.section("node");
    ConfigSection metrics = tree.section("metrics");
    ConfigSection cluster = tree.section("cluster");
    return new NodeConfig(
        Role.parse(root.list("roles", List.of()), "roles (" + root.variable("roles") + ")"),
        Path.of(tree.section("data").string("dir", "./data")),
        node.string("id", "node-" + UUID.randomUUID().toString().substring(0, 8)),
        node.string("host", "0.0.0.0"),
        metrics.bool("enabled", true),
        metrics.string("host", "0.0.0.0"),
        metrics.port("port", 9464),
        Path.of(cluster.string("config", "cluster-config/cluster.xml")),
        cluster.string("host", "127.0.0.1"),
        busTimeout(node));
  }

  private static Duration busTimeout(ConfigSection node) {
    Duration timeout = node.duration("bus_timeout", ServiceRequests.DEFAULT_TIMEOUT);
    if (timeout.toMillis() < 1) {
      throw new io.fluxgate.config.ConfigException("invalid configuration node.bus_timeout ("
          + node.variable("bus_timeout") + ") = '" + timeout + "': expected at least 1ms");
    }
    return timeout;
  }

  /** The same configuration with the roles given on the command line. */
  public NodeConfig withRoles(List<Role> roles) {
    return new NodeConfig(roles, dataDir, instanceId, host, metricsEnabled, metricsHost, metricsPort, clusterConfig,
        clusterHost, busTimeout);
  }
}
