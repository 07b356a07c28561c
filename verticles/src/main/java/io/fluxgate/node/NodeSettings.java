package io.fluxgate.node;

import io.fluxgate.bootstrap.BootstrapSettings;
import io.fluxgate.config.ConfigTree;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.sql.DatabaseConfig;
import io.fluxgate.mqtt.MqttConfig;
import io.fluxgate.things.ThingsConfig;
import io.fluxgate.users.SmtpConfig;
import io.fluxgate.users.UsersConfig;

/** Every component's configuration, read and checked in full before anything starts. */
public record NodeSettings(
    NodeConfig node, DatabaseConfig db, EventStoreConfig events, ServicePorts ports, UsersConfig users,
    SmtpConfig smtp, ThingsConfig things, BootstrapSettings bootstrap, MqttConfig mqtt) {

  public static NodeSettings from(ConfigTree tree) {
    NodeConfig node = NodeConfig.from(tree);
    return new NodeSettings(node, DatabaseConfig.from(tree, node.dataDir()), EventStoreConfig.from(tree),
        ServicePorts.from(tree), UsersConfig.from(tree, node.dataDir()), SmtpConfig.from(tree),
        ThingsConfig.from(tree, node.dataDir()), BootstrapSettings.from(tree, node.dataDir()),
        MqttConfig.from(tree, node.host()));
  }

  public NodeSettings with(NodeConfig node) {
    return new NodeSettings(node, db, events, ports, users, smtp, things, bootstrap, mqtt);
  }
}
