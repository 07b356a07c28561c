package io.fluxgate.mqtt;

/** One topic filter a session subscribed to, with the QoS it was granted. */
record Subscription(String filter, ChannelTopic topic, int qos) {}
