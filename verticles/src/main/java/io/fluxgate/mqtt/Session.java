package io.fluxgate.mqtt;

import io.fluxgate.codecs.ChannelMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An MQTT session: its subscriptions, the QoS 1/2 messages sent and not yet acknowledged (in flight, bounded) and
 * those waiting behind them or for the device to come back (queued, bounded). It outlives its connection when the
 * device asked for a persistent session. Touched only on its home event loop.
 */
final class Session {

  /**
   * A message on its way to the device, its retain flag, whether its PUBREC came (QoS 2), and the identifiers of
   * the subscriptions it matched (null: none), the address of the shared subscription it came through (null: none).
   */
  record Pending(ChannelMessage message, int qos, boolean retain, boolean released, int[] subscriptionIds,
      String sharedAddress) {}

  private final String clientId;
  private final String thingId;
  private final MqttConfig config;
  private final MqttMetrics metrics;
  private ChannelRouter home;
  private DeviceConnection connection;
  private boolean persistent;
  private long expiryMillis;
  private Map<String, Subscription> subscriptions = java.util.Collections.emptyMap();
  // Both created with the first QoS 1/2 message: a node holds many idle sessions that never need them.
  private Map<Integer, Pending> inflight = java.util.Collections.emptyMap();
  private ArrayDeque<Pending> queue = EMPTY_QUEUE;
  private static final ArrayDeque<Pending> EMPTY_QUEUE = new ArrayDeque<>(0);
  private int nextPacketId = 1;
  private boolean congested;
  // The node's bound, or less where the device's Receive Maximum (MQTT 5) asks for less.
  private int maxInflight;

  Session(String clientId, String thingId, ChannelRouter home, MqttConfig config, MqttMetrics metrics) {
    this.clientId = clientId;
    this.thingId = thingId;
    this.home = home;
    this.config = config;
    this.metrics = metrics;
    this.maxInflight = config.maxInflight();
  }

  /** MQTT 5's Receive Maximum of the connected device: it accepts no more QoS 1/2 messages unacknowledged. */
  void receiveMaximum(int receiveMaximum) {
    maxInflight = Math.max(1, Math.min(config.maxInflight(), receiveMaximum));
  }

  String clientId() {
    return clientId;
  }

  String thingId() {
    return thingId;
  }

  ChannelRouter home() {
    return home;
  }

  /** Its subscriptions by filter; read and remove here, add with {@link #subscribe}. */
  Map<String, Subscription> subscriptions() {
    return subscriptions;
  }

  /** Adds or replaces the subscription of its filter. */
  void subscribe(Subscription subscription) {
    if (!(subscriptions instanceof LinkedHashMap)) {
      subscriptions = new LinkedHashMap<>();
    }
    subscriptions.put(subscription.filter(), subscription);
  }

  DeviceConnection connection() {
    return connection;
  }

  boolean isPersistent() {
    return persistent;
  }

  void persistent(boolean persistent) {
    this.persistent = persistent;
  }

  /** How long a persistent session outlives its connection. */
  long expiryMillis() {
    return expiryMillis;
  }

  void expiryMillis(long expiryMillis) {
    this.expiryMillis = expiryMillis;
  }

  /** Binds the session to a live connection on its home loop. */
  void attach(DeviceConnection connection) {
    this.connection = connection;
  }

  /** The connection went away; a persistent session keeps collecting QoS 1/2 messages. */
  void detachConnection() {
    this.connection = null;
    updateCongestion();
  }

  /** Moves the state of {@code previous} (same client, another connection) into this session. */
  void adopt(Session previous) {
    previous.subscriptions.values().forEach(this::subscribe);
    if (!previous.inflight.isEmpty()) {
      inflight().putAll(previous.inflight);
    }
    if (!previous.queue.isEmpty()) {
      queue().addAll(previous.queue);
    }
    nextPacketId = previous.nextPacketId;
  }

  /** Drops the queued messages of {@code channelId}, which this session may no longer read. */
  void forget(String channelId) {
    if (queue.removeIf(pending -> pending.message().channelId().equals(channelId))) {
      updateCongestion();
    }
  }

  /** Drops the messages of {@code channelId}, queued or in flight: a restored session may no longer read it. */
  void forgetAll(String channelId) {
    if (!inflight.isEmpty()) {
      inflight.values().removeIf(pending -> pending.message().channelId().equals(channelId));
    }
    forget(channelId);
  }

  /**
   * Takes back the QoS 1/2 messages a shared subscription gave this session that the device has not acknowledged
   * (queued, or in flight without PUBREC), so another member of the group gets them.
   */
  List<ChannelMessage> reclaim(String sharedAddress) {
    List<ChannelMessage> taken = new ArrayList<>();
    if (!inflight.isEmpty()) {
      inflight.values().removeIf(pending -> {
        boolean mine = sharedAddress.equals(pending.sharedAddress()) && !pending.released();
        if (mine) {
          taken.add(pending.message());
        }
        return mine;
      });
    }
    queue.removeIf(pending -> {
      boolean mine = sharedAddress.equals(pending.sharedAddress());
      if (mine) {
        taken.add(pending.message());
      }
      return mine;
    });
    if (!taken.isEmpty()) {
      drain();
    }
    return taken;
  }

  /** A routed message for this session, at the QoS it gets. */
  void deliver(ChannelMessage message, int qos) {
    deliver(message, qos, false, null);
  }

  /**
   * The same with its retain flag (a retained message sent to a new subscription, or Retain As Published) and the
   * identifiers of the subscriptions it matched (null: none).
   */
  void deliver(ChannelMessage message, int qos, boolean retain, int[] subscriptionIds) {
    deliver(message, qos, retain, subscriptionIds, null);
  }

  /** The same for a message a shared subscription gave this session; {@link #reclaim} can take it back. */
  void deliver(ChannelMessage message, int qos, boolean retain, int[] subscriptionIds, String sharedAddress) {
    DeviceConnection live = connection;
    if (qos == 0) {
      if (live == null) {
        return;
      }
      live.sendAtMostOnce(message, retain, subscriptionIds);
      return;
    }
    Pending pending = new Pending(message, qos, retain, false, subscriptionIds, sharedAddress);
    if (live != null && inflight.size() < maxInflight) {
      send(live, pending);
      return;
    }
    if (queue.size() >= config.maxQueued()) {
      if (live != null) {
        // A subscriber that cannot keep up with QoS 1/2 is cut off rather than allowed to exhaust memory.
        metrics.slowConsumers.increment();
        live.closeSlowConsumer();
        return;
      }
      queue.pollFirst();
      metrics.dropped.increment();
    }
    queue().addLast(pending);
    updateCongestion();
  }

  /**
   * A quarter of its queue used: publishers to its channels get their acknowledgements later, which slows them.
   * The rest is headroom for what is already on its way (the loop's hand-off, up to 256, and the publishers'
   * in-flight windows); at half, four publishers with 100 in flight each overflowed it and cut the subscriber off.
   */
  private void updateCongestion() {
    boolean now = connection != null && queue.size() >= config.maxQueued() / 4;
    if (now != congested) {
      congested = now;
      home.congestion(now ? 1 : -1);
    }
  }

  private void send(DeviceConnection live, Pending pending) {
    ChannelMessage message = pending.message();
    if (message.properties() != null && message.expired(io.fluxgate.codecs.DomainEvent.nowNanos())) {
      // Its Message Expiry Interval passed while it waited: MQTT 5 says it is not sent any more.
      metrics.dropped.increment();
      return;
    }
    int id = nextPacketId();
    inflight().put(id, pending);
    if (!live.sendWithAck(id, pending, false)) {
      // Larger than the device's Maximum Packet Size: discarded as if delivered.
      inflight.remove(id);
    }
  }

  private Map<Integer, Pending> inflight() {
    if (!(inflight instanceof LinkedHashMap)) {
      inflight = new LinkedHashMap<>();
    }
    return inflight;
  }

  private ArrayDeque<Pending> queue() {
    if (queue == EMPTY_QUEUE) {
      queue = new ArrayDeque<>();
    }
    return queue;
  }

  private int nextPacketId() {
    int id = nextPacketId;
    while (inflight.containsKey(id)) {
      id = id == 65535 ? 1 : id + 1;
    }
    nextPacketId = id == 65535 ? 1 : id + 1;
    return id;
  }

  /** PUBACK (QoS 1) or PUBCOMP (QoS 2): the message is delivered; the next queued one may go. */
  void acknowledged(int packetId) {
    if (inflight.remove(packetId) != null) {
      drain();
    }
  }

  /** PUBREC (QoS 2): remember it, so a reconnect re-sends PUBREL rather than the message. */
  boolean received(int packetId) {
    Pending pending = inflight.get(packetId);
    if (pending == null) {
      return false;
    }
    inflight.put(packetId, new Pending(pending.message(), pending.qos(), pending.retain(), true,
        pending.subscriptionIds(), pending.sharedAddress()));
    return true;
  }

  /** After a (re)connect: re-sends what was in flight (DUP set, or PUBREL), then what waited. */
  void resume() {
    DeviceConnection live = connection;
    if (live == null) {
      return;
    }
    for (Map.Entry<Integer, Pending> entry : inflight.entrySet()) {
      live.sendWithAck(entry.getKey(), entry.getValue(), true);
    }
    drain();
  }

  private void drain() {
    DeviceConnection live = connection;
    while (live != null && inflight.size() < maxInflight && !queue.isEmpty()) {
      send(live, queue.pollFirst());
    }
    updateCongestion();
  }

}
