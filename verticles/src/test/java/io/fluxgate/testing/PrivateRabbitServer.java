package io.fluxgate.testing;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * A RabbitMQ node of the test's own: its own node name, AMQP and distribution ports, data and log directories and
 * no plugins; its data survives a stop, so a restart finds its queues again.
 */
public final class PrivateRabbitServer extends PrivateServer {

  private final int distributionPort = TestStores.freePort();
  private int plainPort;

  public PrivateRabbitServer() throws IOException {
    super("rabbitmq");
    java.nio.file.Files.writeString(dir.resolve("enabled_plugins"), "[].\n");
  }

  /**
   * Serves AMQP over TLS on {@link #port()} (plain AMQP moves to another port), with a self-signed certificate for
   * 127.0.0.1 made here, which is also the CA file a client trusts ({@link #caFile()}).
   */
  public PrivateRabbitServer tls() throws IOException {
    makeCertificate();
    plainPort = TestStores.freePort();
    java.nio.file.Files.writeString(dir.resolve("rabbitmq.conf"), String.join("\n",
        "listeners.ssl.default = " + port,
        "ssl_options.cacertfile = " + caFile(),
        "ssl_options.certfile = " + caFile(),
        "ssl_options.keyfile = " + keyFile(),
        "ssl_options.verify = verify_none",
        "ssl_options.fail_if_no_peer_cert = false", ""));
    return this;
  }

  /** The URL with the default user, as {@code es.url} takes it ({@code amqps://} once {@link #tls()} is on). */
  @Override
  public String url() {
    return (plainPort == 0 ? "amqp" : "amqps") + "://guest:guest@127.0.0.1:" + port + "/%2f";
  }

  public int port() {
    return port;
  }

  @Override
  public PrivateRabbitServer start() throws IOException {
    launch();
    return this;
  }

  @Override
  Duration startTimeout() {
    return Duration.ofSeconds(60);
  }

  @Override
  List<String> command() {
    // The script under /usr/lib runs the node as the current user; the one on the PATH switches to rabbitmq.
    return List.of("env",
        "RABBITMQ_NODENAME=fgtest" + port + "@localhost",
        "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
        "RABBITMQ_NODE_PORT=" + (plainPort == 0 ? port : plainPort),
        "RABBITMQ_DIST_PORT=" + distributionPort,
        "RABBITMQ_MNESIA_BASE=" + dir.resolve("mnesia"),
        "RABBITMQ_LOG_BASE=" + dir.resolve("log"),
        "RABBITMQ_ENABLED_PLUGINS_FILE=" + dir.resolve("enabled_plugins"),
        "RABBITMQ_CONFIG_FILE=" + dir.resolve(plainPort == 0 ? "none" : "rabbitmq.conf"),
        "/usr/lib/rabbitmq/bin/rabbitmq-server");
  }
}
