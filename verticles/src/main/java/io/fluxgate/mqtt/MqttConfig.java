package io.fluxgate.mqtt;

import io.fluxgate.config.ConfigException;
import io.fluxgate.config.ConfigSection;
import io.fluxgate.config.ConfigTree;
import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * The MQTT adapter, from the {@code mqtt} section ({@code FG_MQTT_*}): ports (TCP 1883, WebSocket 8080 at
 * {@code /mqtt}, -1 turns WebSocket off), TLS files, the limits that keep a node alive under abuse, and how many
 * server instances share the port (each on its own event loop; half the cores by default).
 */
public record MqttConfig(
    String host,
    int port,
    int wsPort,
    String tlsCert,
    String tlsKey,
    int instances,
    int maxMessageSize,
    int maxConnections,
    Duration connectTimeout,
    int maxInflight,
    int maxQueued,
    int maxClientIdLength,
    Duration maxSessionExpiry,
    int slowConsumerBytes,
    Duration slowConsumerTime,
    Duration serverKeepAlive) {

  public static MqttConfig from(ConfigTree tree, String nodeHost) {
    ConfigSection mqtt = tree.section("mqtt");
    String cert = mqtt.string("tls_cert", "");
    String key = mqtt.string("tls_key", "");
    if (cert.isEmpty() != key.isEmpty()) {
      throw new ConfigException("invalid configuration mqtt.tls_cert / mqtt.tls_key (FG_MQTT_TLS_CERT,"
          + " FG_MQTT_TLS_KEY): give both PEM files or neither");
    }
    int wsPort = mqtt.integer("ws_port", 8080, -1, 65535);
    return new MqttConfig(
        mqtt.string("host", nodeHost),
        mqtt.port("port", 1883),
        wsPort,
        cert,
        key,
        // Half the cores: each loop is one more thread to wake per burst of packets, and the kernel's TCP work, the
        // node's other services and the GC need the rest (docs/benchmarks.md measured 1 against 4 on two cores).
        mqtt.integer("instances", Math.max(1, Runtime.getRuntime().availableProcessors() / 2), 1, 1024),
        mqtt.integer("max_message_size", 256 * 1024, 64, 256 * 1024 * 1024),
        mqtt.integer("max_connections", defaultMaxConnections(), 1, Integer.MAX_VALUE),
        mqtt.duration("connect_timeout", Duration.ofSeconds(10)),
        mqtt.integer("max_inflight", 64, 1, 65535),
        mqtt.integer("max_queued", 1000, 0, 10_000_000),
        mqtt.integer("max_client_id_length", 128, 23, 65535),
        // Offline sessions hold memory; a device that never comes back must not hold it for ever.
        mqtt.duration("max_session_expiry", Duration.ofHours(2)),
        // Written to a device and not yet taken by its socket: this far behind, publishers to its channels on this
        // node are not read until it is back under half of it; behind for slow_consumer_time, it is disconnected.
        mqtt.integer("slow_consumer_bytes", 256 * 1024, 4096, Integer.MAX_VALUE / 4),
        // Shorter than 1.5 x a usual keep-alive (60 s), so publishers held back by a stalled subscriber survive it.
        mqtt.duration("slow_consumer_time", Duration.ofSeconds(10)),
        // Zero: the device's own keep-alive is used.
        mqtt.duration("server_keep_alive", Duration.ZERO));
  }

  /** MQTT 5 Server Keep Alive in seconds (at most 65 535), or 0 when the device's own keep-alive applies. */
  public int serverKeepAliveSeconds() {
    return (int) Math.min(65_535, serverKeepAlive.toSeconds());
  }

  /**
   * The open-file limit of this process minus room for everything else it keeps open (database, event store,
   * cluster, jars), so the adapter refuses connections politely before the process runs out of descriptors.
   */
  static int defaultMaxConnections() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      long limit = unix.getMaxFileDescriptorCount();
      return (int) Math.max(16, Math.min(Integer.MAX_VALUE, limit - 80));
    }
    return 100_000;
  }

  public boolean tls() {
    return !tlsCert.isEmpty();
  }
}
