package io.fluxgate.mqtt;

/**
 * One topic filter a session subscribed to, with the QoS it was granted, its MQTT 5 options (No Local: not the
 * session's own messages; Retain As Published: keep the publisher's retain flag; the subscription identifier, 0 for
 * none) and, for a shared subscription ({@code $share/<group>/...}), the bus address of its group (else null).
 */
record Subscription(String filter, ChannelTopic topic, int qos, boolean noLocal, boolean retainAsPublished,
    int identifier, String sharedAddress) {

  Subscription(String filter, ChannelTopic topic, int qos) {
    this(filter, topic, qos, false, false, 0, null);
  }

  boolean shared() {
    return sharedAddress != null;
  }

  /** Whether it has none of the MQTT 5 options, so routing it needs no more than its QoS. */
  boolean plain() {
    return !noLocal && !retainAsPublished && identifier == 0;
  }
}
