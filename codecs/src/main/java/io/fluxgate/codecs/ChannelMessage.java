package io.fluxgate.codecs;

import io.vertx.core.buffer.Buffer;

/**
 * A device message on its way to the subscribers of a channel, whichever adapter it came from: the channel, the
 * subtopic ("" for none), the publishing thing, the protocol it used, the QoS it was published with, the payload,
 * when the adapter received it (Unix nanoseconds), whether it was published retained, its MQTT 5 properties (null
 * when it has none) and, on the node it was published on only, the publishing session (for MQTT 5's No Local; never
 * crosses the cluster). Treated as immutable once published.
 */
public record ChannelMessage(String channelId, String subtopic, String publisher, String protocol, int qos,
    Buffer payload, long created, boolean retain, MessageProperties properties, Object origin) {

  /** Where other adapters of a single, unclustered node hand messages to the MQTT adapter. */
  public static final String LOCAL_ADDRESS = "fluxgate.channels.local";

  /** A message without MQTT 5 properties, not retained. */
  public ChannelMessage(String channelId, String subtopic, String publisher, String protocol, int qos, Buffer payload,
      long created) {
    this(channelId, subtopic, publisher, protocol, qos, payload, created, false, null, null);
  }

  /** The bus address of a channel's messages in a cluster; a node listens on it only while it has subscribers. */
  public static String address(String channelId) {
    return "fluxgate.channels." + channelId;
  }

  /**
   * The bus address of one shared subscription ({@code $share/<group>/<filter>}) of a channel: its members listen
   * there, and the node a message is published on sends it there once, to one of them.
   */
  public static String sharedAddress(String channelId, String group, String subtopicFilter) {
    return "fluxgate.shared." + channelId + "/" + group + "/" + subtopicFilter;
  }

  /**
   * Where an adapter publishes this message: in a cluster the channel's address, which reaches every node with
   * subscribers; on a single node the MQTT adapter's hand-off, which routes to its subscribers without the bus.
   */
  public String destination(boolean clustered) {
    return clustered ? address(channelId) : LOCAL_ADDRESS;
  }

  /** The MQTT topic the message is delivered under: {@code channels/<id>/messages[/<subtopic>]}. */
  public String topic() {
    return subtopic.isEmpty() ? "channels/" + channelId + "/messages"
        : "channels/" + channelId + "/messages/" + subtopic;
  }

  /** Whether its message expiry interval has passed by {@code nowNanos}; never for a message without one. */
  public boolean expired(long nowNanos) {
    return properties != null && properties.expired(nowNanos - created);
  }
}
