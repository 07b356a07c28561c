package io.fluxgate.mqtt;

import io.fluxgate.codecs.ChannelMessage;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.ThingAccess;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Future;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttWill;
import io.vertx.mqtt.messages.MqttPublishMessage;
import io.vertx.mqtt.messages.MqttSubscribeMessage;
import io.vertx.mqtt.messages.MqttUnsubscribeMessage;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubAckReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubRecReasonCode;
import io.vertx.mqtt.messages.codes.MqttSubAckReasonCode;
import io.vertx.mqtt.messages.codes.MqttUnsubAckReasonCode;
import io.vertx.mqtt.MqttTopicSubscription;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One device's connection, from CONNECT to close: authentication, its session, and every packet it sends or is
 * sent. Runs on the event loop of the server instance that accepted it.
 */
final class DeviceConnection {

  private static final Logger LOG = LoggerFactory.getLogger(DeviceConnection.class);
  private static final int MQTT_5 = 5;
  /** Payload bytes that may wait behind an authorization question before the device is cut off. */
  private static final int MAX_WAITING_BYTES = 4 * 1024 * 1024;

  private final Broker broker;
  private final ChannelRouter router;
  private final MqttEndpoint endpoint;
  private final boolean v5;
  private Session session;
  private String thingId;
  private boolean counted;
  private boolean willCancelled;
  private String closeReason = "connection_lost";
  private boolean endpointClosed;
  // Created when first needed: most connections never use them, and an idle connection's bytes count.
  private Set<Integer> awaitingRelease;
  private ArrayDeque<MqttPublishMessage> waiting;
  private boolean authorizing;
  /** Whether the publish being authorized is QoS 1/2, and how many such wait behind it: Receive Maximum counts these. */
  private boolean authorizingAcknowledged;
  private int waitingAcknowledged;
  private boolean closedEarly;
  private long waitingBytes;
  private ArrayDeque<long[]> unacknowledged;
  private String lastCongestedChannel;
  private long ackTimer = -1;
  private String lastTopicName;
  private ChannelTopic lastTopic;
  private boolean coalescing;
  private String outChannel;
  private String outSubtopic;
  private String outTopic;
  // One handler for every write of this connection, not one per message.
  // Created with the first message to the device: an idle connection's bytes count (20 000 per node).
  private io.vertx.core.Handler<io.vertx.core.AsyncResult<Integer>> onWritten;
  private boolean acknowledging;
  private boolean readingPaused;
  // Sizes of the PUBLISH packets written to the device and not yet taken by its socket, oldest first (writes
  // complete in order), and their sum: how far behind the device is.
  private int[] writing;
  private int writingHead;
  private int writingCount;
  private long pendingBytes;
  /** Counted in the router's congestion: publishers to its channels are not read meanwhile. */
  private boolean holdingPublishers;
  private long behindTimer = -1;
  // MQTT 5: the client id we gave a device that sent none, the device's Maximum Packet Size, its topic aliases.
  private String assignedClientId;
  private long maxPacketSize = Long.MAX_VALUE;
  private String[] topicAliases;
  // MQTT 5: aliases the server gave topics it sends to a device that allows them (its Topic Alias Maximum).
  private int outgoingAliasMaximum;
  private Map<String, Integer> outgoingAliases;

  /** Topic aliases a device may set (MQTT 5 Topic Alias Maximum, in CONNACK); 0 or more is a protocol error. */
  static final int TOPIC_ALIAS_MAXIMUM = 64;
  /**
   * QoS 1/2 publishes an MQTT 5 device may have unacknowledged (Receive Maximum, in CONNACK); one more is a protocol
   * error. Below 32 768: Paho's Java client reads larger values as negative.
   */
  static final int RECEIVE_MAXIMUM = 1024;

  DeviceConnection(Broker broker, ChannelRouter router, MqttEndpoint endpoint) {
    this.broker = broker;
    this.router = router;
    this.endpoint = endpoint;
    this.v5 = endpoint.protocolVersion() == MQTT_5;
  }

  /** Handles the CONNECT: limits, credentials, session; then CONNACK. */
  void connect() {
    MqttMetrics metrics = broker.metrics;
    if (metrics.connections.incrementAndGet() > broker.config.maxConnections()) {
      metrics.connections.decrementAndGet();
      metrics.refusedConnections.increment();
      endpoint.reject(v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_BUSY
          : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE);
      return;
    }
    counted = true;
    endpoint.closeHandler(v -> closed());
    endpoint.exceptionHandler(this::failed);
    var auth = endpoint.auth();
    if (auth == null || auth.getUsername() == null || auth.getUsername().isEmpty() || auth.getPassword() == null) {
      refuseCredentials(v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USERNAME_OR_PASSWORD
          : MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED);
      return;
    }
    if (endpoint.clientIdentifier() == null || endpoint.clientIdentifier().isEmpty()) {
      if (!endpoint.isCleanSession()) {
        endpoint.reject(v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_CLIENT_IDENTIFIER_NOT_VALID
            : MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED);
        return;
      }
      // A device that sent no client id gets one (MQTT 5 learns it from CONNACK's Assigned Client Identifier).
      assignedClientId = "fg-" + java.util.UUID.randomUUID();
      endpoint.setClientIdentifier(assignedClientId);
    }
    String claimedThing = auth.getUsername();
    broker.access.authenticate(claimedThing, auth.getPassword())
        .compose(ok -> {
          if (!ok) {
            refuseCredentials(v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USERNAME_OR_PASSWORD
                : MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD);
            return Future.succeededFuture();
          }
          thingId = claimedThing;
          return broker.claim(endpoint.clientIdentifier(), thingId, router, endpoint.isCleanSession())
              .compose(this::accept);
        })
        .onFailure(error -> {
          if (error instanceof Broker.ClientIdTaken) {
            endpoint.reject(v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_CLIENT_IDENTIFIER_NOT_VALID
                : MqttConnectReturnCode.CONNECTION_REFUSED_IDENTIFIER_REJECTED);
          } else {
            LOG.warn("MQTT CONNECT of {} could not be checked: {}", claimedThing, error.getMessage());
            endpoint.reject(v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE_5
                : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE);
          }
        });
  }

  /**
   * A packet the decoder refused (too large, malformed): its decoder is stuck, so the connection must go; or the
   * socket itself failed.
   */
  private void failed(Throwable error) {
    if (error instanceof java.io.IOException) {
      // A reset or broken socket: the device went away; there is nobody to tell and nothing it did wrong.
      closeReason = "connection_lost";
      LOG.debug("MQTT connection {} lost: {}", endpoint.clientIdentifier(), error.toString());
      closeEndpoint();
      return;
    }
    boolean tooLarge = error instanceof io.netty.handler.codec.TooLongFrameException
        || (error.getMessage() != null && error.getMessage().contains("too large"));
    closeReason = tooLarge ? "message_too_large" : "protocol_error";
    LOG.debug("MQTT connection {} closed: {}", endpoint.clientIdentifier(), error.toString());
    if (v5 && endpoint.isConnected()) {
      disconnect(tooLarge ? MqttDisconnectReasonCode.PACKET_TOO_LARGE : MqttDisconnectReasonCode.MALFORMED_PACKET);
      return;
    }
    closeEndpoint();
  }

  /** Tells an MQTT 5 device why it is disconnected, in a way that reaches it even while it keeps sending. */
  private void disconnect(MqttDisconnectReasonCode code) {
    if (!endpointClosed && ServerDisconnect.send(endpoint, code)) {
      endpointClosed = true;
      return;
    }
    endpoint.disconnect(code, MqttProperties.NO_PROPERTIES);
    closeEndpoint();
  }

  /**
   * Closes the connection unless it is closed already: an MQTT 5 DISCONNECT closes it by itself, and a second close
   * would throw on the event loop.
   */
  private void closeEndpoint() {
    if (endpointClosed) {
      return;
    }
    endpointClosed = true;
    try {
      endpoint.close();
    } catch (IllegalArgumentException alreadyClosed) {
      // vertx-mqtt says "MQTT endpoint is closed" when the peer or a DISCONNECT closed it first: the aim is met.
    }
  }

  private void refuseCredentials(MqttConnectReturnCode code) {
    broker.metrics.authFailures.increment();
    endpoint.reject(code);
  }

  private Future<Void> accept(Broker.Claim claim) {
    if (closedEarly) {
      // The device left while we checked its credentials: nothing to accept.
      if (!persistentRequested()) {
        broker.release(claim.session());
      }
      return Future.succeededFuture();
    }
    session = claim.session();
    session.persistent(persistentRequested());
    session.expiryMillis(expiryMillis());
    if (v5) {
      readClientLimits();
    }
    List<Future<Void>> routes = new ArrayList<>();
    for (Subscription subscription : List.copyOf(session.subscriptions().values())) {
      routes.add(restore(subscription));
    }
    return Future.all(routes).map(v -> {
      endpoint.publishHandler(this::published);
      endpoint.publishReleaseHandler(this::released);
      endpoint.subscribeHandler(this::subscribe);
      endpoint.unsubscribeHandler(this::unsubscribe);
      endpoint.disconnectMessageHandler(message -> {
        willCancelled = message.code() != MqttDisconnectReasonCode.WITH_WILL_MESSAGE;
        closeReason = "client_disconnect";
        if (v5) {
          // MQTT 5 lets DISCONNECT change the session expiry interval; 0 ends the session with the connection.
          Long seconds = expirySeconds(message.properties());
          if (seconds != null && session.isPersistent()) {
            session.persistent(seconds != 0);
            session.expiryMillis(Math.min(broker.config.maxSessionExpiry().toMillis(), seconds * 1000));
          }
        }
      });
      int keepAlive = endpoint.keepAliveTimeSeconds();
      if (v5) {
        endpoint.accept(claim.present(), connackProperties());
        if (broker.config.serverKeepAliveSeconds() > 0 && keepAliveFromServer()) {
          keepAlive = broker.config.serverKeepAliveSeconds();
        }
      } else {
        endpoint.accept(claim.present());
      }
      session.attach(this);
      broker.emit(broker.events.connected(thingId, session.clientId(), endpoint.protocolVersion(), keepAlive));
      session.resume();
      return null;
    });
  }

  /**
   * A subscription of the session from before, routed again if the thing may still read its channel; otherwise it
   * goes, with what the channel queued for the session meanwhile.
   */
  private Future<Void> restore(Subscription subscription) {
    String channelId = subscription.topic().channelId();
    return broker.access.authorize(thingId, channelId, ThingAccess.Action.SUBSCRIBE)
        .otherwise(false)
        .compose(allowed -> {
          if (allowed) {
            return subscription.shared() ? broker.shareJoined(new Broker.SharedGroup(channelId,
                ChannelTopic.ofShared(subscription.filter()).group(), subscription.topic(),
                subscription.sharedAddress())).compose(v -> router.add(session, subscription))
                : router.add(session, subscription);
          }
          session.subscriptions().remove(subscription.filter());
          session.forgetAll(channelId);
          broker.metrics.refusedSubscriptions.increment();
          return Future.succeededFuture();
        });
  }

  /** MQTT 5: how many unacknowledged QoS 1/2 messages the device takes, and the largest packet it takes. */
  private void readClientLimits() {
    MqttProperties asked = endpoint.connectProperties();
    if (asked == null) {
      return;
    }
    MqttProperties.MqttProperty<?> receive = asked.getProperty(MqttProperties.MqttPropertyType.RECEIVE_MAXIMUM.value());
    if (receive != null && receive.value() instanceof Integer most && most > 0) {
      session.receiveMaximum(most);
    }
    MqttProperties.MqttProperty<?> size = asked.getProperty(
        MqttProperties.MqttPropertyType.MAXIMUM_PACKET_SIZE.value());
    if (size != null && size.value() instanceof Integer bytes && bytes != 0) {
      maxPacketSize = Integer.toUnsignedLong(bytes);
    }
    MqttProperties.MqttProperty<?> aliases = asked.getProperty(
        MqttProperties.MqttPropertyType.TOPIC_ALIAS_MAXIMUM.value());
    if (aliases != null && aliases.value() instanceof Integer most && most > 0) {
      outgoingAliasMaximum = Math.min(most, TOPIC_ALIAS_MAXIMUM);
    }
  }

  /**
   * MQTT 5 Server Keep Alive: the connection is closed after 1.5 times the server's keep-alive without a packet,
   * in place of the device's own (vertx-mqtt timed it from CONNECT). False where the socket is out of reach.
   */
  private boolean keepAliveFromServer() {
    var socket = EndpointSocket.of(endpoint);
    if (socket == null) {
      return false;
    }
    var pipeline = socket.channelHandlerContext().pipeline();
    var idle = new io.netty.handler.timeout.IdleStateHandler(
        (int) Math.ceil(broker.config.serverKeepAliveSeconds() * 1.5), 0, 0);
    if (pipeline.get(KEEP_ALIVE_HANDLER) != null) {
      pipeline.replace(KEEP_ALIVE_HANDLER, KEEP_ALIVE_HANDLER, idle);
    } else if (pipeline.get("handler") != null) {
      // The device asked for no keep-alive: Vert.x's own handler closes the connection on the idle event.
      pipeline.addBefore("handler", KEEP_ALIVE_HANDLER, idle);
    } else {
      return false;
    }
    return true;
  }

  /** vertx-mqtt's name for the idle handler that times a device's keep-alive. */
  private static final String KEEP_ALIVE_HANDLER = "idle";

  /** What CONNACK tells an MQTT 5 device the server does, and the client id it was given, if any. */
  private MqttProperties connackProperties() {
    MqttProperties properties = new MqttProperties();
    properties.add(integer(MqttProperties.MqttPropertyType.RECEIVE_MAXIMUM, RECEIVE_MAXIMUM));
    properties.add(integer(MqttProperties.MqttPropertyType.MAXIMUM_PACKET_SIZE, broker.config.maxMessageSize()));
    properties.add(integer(MqttProperties.MqttPropertyType.TOPIC_ALIAS_MAXIMUM, TOPIC_ALIAS_MAXIMUM));
    properties.add(integer(MqttProperties.MqttPropertyType.RETAIN_AVAILABLE, 1));
    properties.add(integer(MqttProperties.MqttPropertyType.WILDCARD_SUBSCRIPTION_AVAILABLE, 1));
    properties.add(integer(MqttProperties.MqttPropertyType.SUBSCRIPTION_IDENTIFIER_AVAILABLE, 1));
    properties.add(integer(MqttProperties.MqttPropertyType.SHARED_SUBSCRIPTION_AVAILABLE, 1));
    if (broker.config.serverKeepAliveSeconds() > 0 && EndpointSocket.of(endpoint) != null) {
      properties.add(integer(MqttProperties.MqttPropertyType.SERVER_KEEP_ALIVE, broker.config.serverKeepAliveSeconds()));
    }
    if (assignedClientId != null) {
      properties.add(new MqttProperties.StringProperty(
          MqttProperties.MqttPropertyType.ASSIGNED_CLIENT_IDENTIFIER.value(), assignedClientId));
    }
    Long asked = expirySeconds(endpoint.connectProperties());
    long granted = broker.config.maxSessionExpiry().toSeconds();
    if (asked != null && asked > granted) {
      // The node keeps sessions for less than asked: MQTT 5 says so in CONNACK.
      properties.add(integer(MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL, (int) granted));
    }
    return properties;
  }

  private static MqttProperties.IntegerProperty integer(MqttProperties.MqttPropertyType type, int value) {
    return new MqttProperties.IntegerProperty(type.value(), value);
  }

  /** v5: the session expiry interval asked for (0xFFFFFFFF: never), 3.1.1: none; capped by the node either way. */
  private long expiryMillis() {
    long cap = broker.config.maxSessionExpiry().toMillis();
    if (!v5) {
      return cap;
    }
    Long seconds = expirySeconds(endpoint.connectProperties());
    return seconds == null ? 0 : Math.min(cap, seconds * 1000);
  }

  /** The session expiry interval property (unsigned seconds), or null when absent. */
  private static Long expirySeconds(MqttProperties properties) {
    MqttProperties.MqttProperty<?> expiry = properties == null ? null
        : properties.getProperty(MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL.value());
    return expiry != null && expiry.value() instanceof Integer seconds ? Integer.toUnsignedLong(seconds) : null;
  }

  /** v3.1.1: the clean-session flag; v5: a session expiry interval above zero. */
  private boolean persistentRequested() {
    if (!v5) {
      return !endpoint.isCleanSession();
    }
    Long seconds = expirySeconds(endpoint.connectProperties());
    return seconds != null && seconds != 0;
  }

  // ---- device to platform ----

  private void published(MqttPublishMessage received) {
    MqttPublishMessage message = v5 ? withAliasResolved(received) : received;
    if (message == null) {
      return;
    }
    if (v5 && message.qosLevel() != MqttQoS.AT_MOST_ONCE && unacknowledgedFromDevice() >= RECEIVE_MAXIMUM) {
      protocolError(MqttDisconnectReasonCode.RECEIVE_MAXIMUM_EXCEEDED, "more than " + RECEIVE_MAXIMUM
          + " QoS 1/2 publishes unacknowledged");
      return;
    }
    if (authorizing) {
      waitingBytes += message.payload().length() + message.topicName().length();
      if (waitingBytes > MAX_WAITING_BYTES) {
        closeReason = "slow_authorization";
        closeEndpoint();
        return;
      }
      if (waiting == null) {
        waiting = new ArrayDeque<>(4);
      }
      waiting.addLast(message);
      if (message.qosLevel() != MqttQoS.AT_MOST_ONCE) {
        waitingAcknowledged++;
      }
      return;
    }
    process(message);
  }

  /** The device's QoS 1/2 publishes not yet answered with PUBACK or PUBCOMP (MQTT 5 counts no QoS 0 ones). */
  private int unacknowledgedFromDevice() {
    return (authorizing && authorizingAcknowledged ? 1 : 0) + waitingAcknowledged
        + (unacknowledged == null ? 0 : unacknowledged.size()) + (awaitingRelease == null ? 0 : awaitingRelease.size());
  }

  /**
   * MQTT 5 Topic Alias: a PUBLISH that sets one is remembered, one with an empty topic name uses it. An alias of 0
   * or above the maximum (DISCONNECT 0x94), or an unknown one with an empty topic (0x82), ends the connection: null.
   */
  private MqttPublishMessage withAliasResolved(MqttPublishMessage message) {
    MqttProperties properties = message.properties();
    MqttProperties.MqttProperty<?> alias = properties == null || properties.isEmpty() ? null
        : properties.getProperty(MqttProperties.MqttPropertyType.TOPIC_ALIAS.value());
    String topic = message.topicName();
    if (alias == null) {
      if (topic == null || topic.isEmpty()) {
        protocolError(MqttDisconnectReasonCode.PROTOCOL_ERROR, "a PUBLISH without topic name or topic alias");
        return null;
      }
      return message;
    }
    int number = (Integer) alias.value();
    if (number <= 0 || number > TOPIC_ALIAS_MAXIMUM) {
      protocolError(MqttDisconnectReasonCode.TOPIC_ALIAS_INVALID, "topic alias " + number + " outside 1-"
          + TOPIC_ALIAS_MAXIMUM);
      return null;
    }
    if (topicAliases == null) {
      topicAliases = new String[TOPIC_ALIAS_MAXIMUM + 1];
    }
    if (topic != null && !topic.isEmpty()) {
      topicAliases[number] = topic;
      return message;
    }
    String known = topicAliases[number];
    if (known == null) {
      protocolError(MqttDisconnectReasonCode.PROTOCOL_ERROR, "topic alias " + number + " used before it was set");
      return null;
    }
    return MqttPublishMessage.create(message.messageId(), message.qosLevel(), message.isDup(), message.isRetain(),
        known, message.payload(), properties);
  }

  /** A device broke the protocol: one line, the reason code, and the connection ends. */
  private void protocolError(MqttDisconnectReasonCode code, String what) {
    LOG.info("MQTT connection {} of thing {} closed: {} (reason 0x{})", endpoint.clientIdentifier(), thingId, what,
        Integer.toHexString(code.value() & 0xFF));
    closeReason = "protocol_error";
    if (v5 && endpoint.isConnected()) {
      disconnect(code);
      return;
    }
    closeEndpoint();
  }

  /** Handles publishes in order: one waiting for its authorization holds back those behind it. */
  private void process(MqttPublishMessage message) {
    int qos = message.qosLevel().value();
    if (qos == 2 && awaitingRelease != null && awaitingRelease.contains(message.messageId())) {
      endpoint.publishReceived(message.messageId());
      return;
    }
    // Devices publish to the same few topics over and over: parse each once per connection.
    ChannelTopic topic;
    if (message.topicName().equals(lastTopicName)) {
      topic = lastTopic;
    } else {
      topic = ChannelTopic.ofPublish(message.topicName());
      lastTopicName = message.topicName();
      lastTopic = topic;
    }
    if (topic == null) {
      refuse(message, MqttPubAckReasonCode.TOPIC_NAME_INVALID, MqttPubRecReasonCode.TOPIC_NAME_INVALID);
      return;
    }
    int cached = broker.access.cached(thingId, topic.channelId(), ThingAccess.Action.PUBLISH);
    if (cached != AccessCache.UNKNOWN) {
      decided(message, topic, cached == AccessCache.ALLOWED);
      return;
    }
    Future<Boolean> allowed = broker.access.authorize(thingId, topic.channelId(), ThingAccess.Action.PUBLISH);
    authorizing = true;
    authorizingAcknowledged = message.qosLevel() != MqttQoS.AT_MOST_ONCE;
    allowed.onComplete(result -> {
      authorizing = false;
      decided(message, topic, result.succeeded() && result.result());
      while (!authorizing && waiting != null && !waiting.isEmpty()) {
        MqttPublishMessage next = waiting.pollFirst();
        waitingBytes -= next.payload().length() + next.topicName().length();
        if (next.qosLevel() != MqttQoS.AT_MOST_ONCE) {
          waitingAcknowledged--;
        }
        process(next);
      }
    });
  }

  private void decided(MqttPublishMessage message, ChannelTopic topic, boolean allowed) {
    if (!allowed) {
      refuse(message, MqttPubAckReasonCode.NOT_AUTHORIZED, MqttPubRecReasonCode.NOT_AUTHORIZED);
      return;
    }
    ChannelMessage routed = v5
        ? new ChannelMessage(topic.channelId(), topic.subtopic(), thingId, "mqtt", message.qosLevel().value(),
            message.payload(), DomainEvent.nowNanos(), message.isRetain(), PublishProperties.read(message.properties()),
            session)
        : new ChannelMessage(topic.channelId(), topic.subtopic(), thingId, "mqtt", message.qosLevel().value(),
            message.payload(), DomainEvent.nowNanos());
    broker.route(routed);
    if (message.isRetain()) {
      broker.retained.retain(routed).onFailure(e -> LOG.warn("retained message not kept: {}", e.getMessage()));
    }
    if (message.qosLevel() == MqttQoS.AT_MOST_ONCE) {
      if (broker.congested(topic.channelId())) {
        // QoS 0 has no acknowledgement to hold back: its socket is not read until the subscriber catches up.
        holdBack(topic.channelId());
      }
      return;
    }
    if (message.qosLevel() == MqttQoS.EXACTLY_ONCE) {
      awaitingRelease().add(message.messageId());
    }
    if ((unacknowledged != null && !unacknowledged.isEmpty()) || broker.congested(topic.channelId())) {
      // Backpressure: the device's own in-flight window stops it until its subscribers catch up, and so does
      // its socket, read no further meanwhile: however large the windows of many publishers, little more comes.
      if (unacknowledged == null) {
        unacknowledged = new ArrayDeque<>();
      }
      unacknowledged.addLast(new long[] {message.messageId(), message.qosLevel().value()});
      holdBack(topic.channelId());
      return;
    }
    acknowledge(message.messageId(), message.qosLevel().value());
  }

  /** Stops reading this publisher until {@code channelId}'s subscribers on this node catch up (checked each ms). */
  private void holdBack(String channelId) {
    lastCongestedChannel = channelId;
    if (ackTimer < 0) {
      // The timer covers subscribers on other loops; those on this one release it at once (ChannelRouter).
      ackTimer = router.context().owner().setTimer(1, id -> releaseAcks());
      router.holding(this);
    }
    pauseReading();
  }

  /** This loop's subscribers caught up: check now rather than at the timer. */
  void releaseHeld() {
    if (ackTimer >= 0) {
      router.context().owner().cancelTimer(ackTimer);
      releaseAcks();
    }
  }

  private void acknowledge(int packetId, int qos) {
    if (qos == 1) {
      endpoint.publishAcknowledge(packetId);
    } else {
      endpoint.publishReceived(packetId);
    }
  }

  private void releaseAcks() {
    ackTimer = -1;
    router.notHolding(this);
    if (!endpoint.isConnected()) {
      return;
    }
    if (broker.congested(lastCongestedChannel)) {
      ackTimer = router.context().owner().setTimer(1, id -> releaseAcks());
      router.holding(this);
      return;
    }
    long[] next;
    while (unacknowledged != null && (next = unacknowledged.pollFirst()) != null) {
      acknowledge((int) next[0], (int) next[1]);
    }
    if (readingPaused) {
      readingPaused = false;
      // Publishes read before the pause are handled now, and may pause it again.
      EndpointSocket.of(endpoint).resume();
    }
  }

  private void pauseReading() {
    if (readingPaused) {
      return;
    }
    var socket = EndpointSocket.of(endpoint);
    if (socket != null) {
      readingPaused = true;
      broker.metrics.publishersHeld.increment();
      socket.pause();
    }
  }

  /** A refused publish: the reason code in MQTT 5; in 3.1.1 an acknowledgement (it has no other) or nothing. */
  private void refuse(MqttPublishMessage message, MqttPubAckReasonCode ackCode, MqttPubRecReasonCode recCode) {
    broker.metrics.refusedPublishes.increment();
    switch (message.qosLevel()) {
      case AT_LEAST_ONCE -> {
        if (v5) {
          endpoint.publishAcknowledge(message.messageId(), ackCode, MqttProperties.NO_PROPERTIES);
        } else {
          endpoint.publishAcknowledge(message.messageId());
        }
      }
      case EXACTLY_ONCE -> {
        if (v5) {
          RefusedPubrec.send(endpoint, message.messageId(), recCode);
        } else {
          awaitingRelease().add(message.messageId());
          endpoint.publishReceived(message.messageId());
        }
      }
      default -> broker.metrics.dropped.increment();
    }
  }

  private Set<Integer> awaitingRelease() {
    if (awaitingRelease == null) {
      awaitingRelease = new HashSet<>();
    }
    return awaitingRelease;
  }

  private void released(int packetId) {
    if (awaitingRelease != null) {
      awaitingRelease.remove(packetId);
    }
    endpoint.publishComplete(packetId);
  }

  private void subscribe(MqttSubscribeMessage message) {
    List<MqttTopicSubscription> topics = message.topicSubscriptions();
    List<Future<Integer>> answers = new ArrayList<>(topics.size());
    int identifier = v5 ? subscriptionIdentifier(message.properties()) : 0;
    for (MqttTopicSubscription requested : topics) {
      answers.add(subscribeOne(requested, identifier));
    }
    Future.join(answers).onComplete(done -> {
      List<Integer> granted = new ArrayList<>(answers.size());
      List<Boolean> retainedWanted = new ArrayList<>(answers.size());
      for (Future<Integer> answer : answers) {
        int code = answer.succeeded() ? answer.result() : 0x80;
        granted.add(code & 0xFF);
        retainedWanted.add((code & NO_RETAINED) == 0);
      }
      if (v5) {
        endpoint.subscribeAcknowledge(message.messageId(), granted.stream().map(DeviceConnection::subAckCode).toList(),
            MqttProperties.NO_PROPERTIES);
      } else {
        endpoint.subscribeAcknowledge(message.messageId(), granted.stream().map(code -> code >= 0x80
            ? MqttQoS.FAILURE : MqttQoS.valueOf(code)).toList());
      }
      for (int i = 0; i < topics.size(); i++) {
        if (granted.get(i) < 0x80 && retainedWanted.get(i)) {
          sendRetained(topics.get(i).topicName());
        }
      }
    });
  }

  /** Marks a granted QoS whose filter gets no retained messages now (MQTT 5 Retain Handling 1 or 2). */
  private static final int NO_RETAINED = 0x100;

  /** The Subscription Identifier of an MQTT 5 SUBSCRIBE, or 0 for none. */
  private static int subscriptionIdentifier(MqttProperties properties) {
    if (properties == null) {
      return 0;
    }
    // Netty keeps subscription identifiers apart: neither getProperty nor isEmpty sees them.
    var identifiers = properties.getProperties(MqttProperties.MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value());
    return !identifiers.isEmpty() && identifiers.get(0).value() instanceof Integer id ? id : 0;
  }

  /**
   * The granted QoS (0-2), with {@link #NO_RETAINED} when the filter's retained messages are not to be sent, or a
   * failure code (0x80 and up) for one filter.
   */
  private Future<Integer> subscribeOne(MqttTopicSubscription requested, int identifier) {
    ChannelTopic.Shared share = ChannelTopic.ofShared(requested.topicName());
    ChannelTopic filter = share != null ? share.filter() : ChannelTopic.ofFilter(requested.topicName());
    if (filter == null) {
      broker.metrics.refusedSubscriptions.increment();
      return Future.succeededFuture(0x8F);
    }
    return broker.access.authorize(thingId, filter.channelId(), ThingAccess.Action.SUBSCRIBE).compose(allowed -> {
      if (!allowed) {
        broker.metrics.refusedSubscriptions.increment();
        return Future.succeededFuture(0x87);
      }
      int qos = Math.min(2, requested.qualityOfService().value());
      var option = requested.subscriptionOption();
      String sharedAddress = share == null ? null
          : ChannelMessage.sharedAddress(filter.channelId(), share.group(), filter.subtopic());
      Subscription subscription = v5 && option != null
          ? new Subscription(requested.topicName(), filter, qos, option.isNoLocal() && share == null,
              option.isRetainAsPublished(), identifier, sharedAddress)
          : new Subscription(requested.topicName(), filter, qos, false, false, 0, sharedAddress);
      boolean existed = session.subscriptions().containsKey(requested.topicName());
      // A shared subscription gets no retained messages (MQTT 5, 4.8.2).
      boolean retained = share == null && (!v5 || option == null || switch (option.retainHandling()) {
        case SEND_AT_SUBSCRIBE -> true;
        case SEND_AT_SUBSCRIBE_IF_NOT_YET_EXISTS -> !existed;
        case DONT_SEND_AT_SUBSCRIBE -> false;
      });
      session.subscribe(subscription);
      Future<Void> known = share == null ? Future.succeededFuture()
          : broker.shareJoined(new Broker.SharedGroup(filter.channelId(), share.group(), filter, sharedAddress));
      return known.compose(v -> router.add(session, subscription)).map(v -> {
        broker.emit(broker.events.subscribed(thingId, session.clientId(), filter, qos));
        return retained ? qos : qos | NO_RETAINED;
      });
    });
  }

  private static MqttSubAckReasonCode subAckCode(int code) {
    return switch (code) {
      case 0 -> MqttSubAckReasonCode.GRANTED_QOS0;
      case 1 -> MqttSubAckReasonCode.GRANTED_QOS1;
      case 2 -> MqttSubAckReasonCode.GRANTED_QOS2;
      case 0x87 -> MqttSubAckReasonCode.NOT_AUTHORIZED;
      case 0x8F -> MqttSubAckReasonCode.TOPIC_FILTER_INVALID;
      default -> MqttSubAckReasonCode.UNSPECIFIED_ERROR;
    };
  }

  private void sendRetained(String filterText) {
    Subscription subscription = session.subscriptions().get(filterText);
    broker.retained.matching(subscription.topic()).onSuccess(messages -> {
      long now = DomainEvent.nowNanos();
      int[] identifiers = subscription.identifier() == 0 ? null : new int[] {subscription.identifier()};
      for (ChannelMessage retained : messages) {
        if (retained.properties() != null && retained.expired(now)) {
          continue;
        }
        int qos = Math.min(retained.qos(), subscription.qos());
        session.deliver(retained, qos, true, identifiers);
      }
    });
  }

  private void unsubscribe(MqttUnsubscribeMessage message) {
    List<MqttUnsubAckReasonCode> codes = new ArrayList<>();
    for (String filter : message.topics()) {
      Subscription removed = session.subscriptions().remove(filter);
      if (removed == null) {
        codes.add(MqttUnsubAckReasonCode.NO_SUBSCRIPTION_EXISTED);
        continue;
      }
      router.remove(session, removed);
      codes.add(MqttUnsubAckReasonCode.SUCCESS);
      broker.emit(broker.events.unsubscribed(thingId, session.clientId(), removed.topic()));
    }
    if (v5) {
      endpoint.unsubscribeAcknowledge(message.messageId(), codes, MqttProperties.NO_PROPERTIES);
    } else {
      endpoint.unsubscribeAcknowledge(message.messageId());
    }
  }

  // ---- platform to device ----

  /**
   * QoS 0: sent, however far behind the device is (its publishers on this node are held back meanwhile), except
   * past four times {@code mqtt.slow_consumer_bytes} (room for what was on its way when they were stopped; beyond
   * it, what nobody holds back: messages from other nodes) or expired: then dropped and counted.
   */
  void sendAtMostOnce(ChannelMessage message, boolean retain, int[] subscriptionIds) {
    if (pendingBytes >= 4L * broker.config.slowConsumerBytes()
        || (message.properties() != null && message.expired(DomainEvent.nowNanos()))) {
      broker.metrics.dropped.increment();
      return;
    }
    publish(message, MqttQoS.AT_MOST_ONCE, 0, false, retain, subscriptionIds);
  }

  /**
   * QoS 1 or 2 with the session's packet id; a re-send carries DUP, or is the PUBREL if PUBREC came. False when the
   * message is larger than the device takes (MQTT 5 Maximum Packet Size): not sent.
   */
  boolean sendWithAck(int packetId, Session.Pending pending, boolean dup) {
    if (!acknowledging) {
      // The device acknowledges only what it was sent on this connection, so these can wait until now.
      acknowledging = true;
      io.vertx.core.Handler<Integer> delivered = session::acknowledged;
      endpoint.publishAcknowledgeHandler(delivered);
      endpoint.publishCompletionHandler(delivered);
      endpoint.publishReceivedHandler(id -> {
        if (session.received(id)) {
          endpoint.publishRelease(id);
        }
      });
    }
    if (pending.released()) {
      endpoint.publishRelease(packetId);
      return true;
    }
    return publish(pending.message(), MqttQoS.valueOf(pending.qos()), packetId, dup, pending.retain(),
        pending.subscriptionIds());
  }

  private boolean publish(ChannelMessage message, MqttQoS qos, int packetId, boolean dup, boolean retain,
      int[] subscriptionIds) {
    if (!endpoint.isConnected()) {
      return true;
    }
    MqttProperties properties = MqttProperties.NO_PROPERTIES;
    if (v5 && (message.properties() != null || subscriptionIds != null)) {
      properties = PublishProperties.write(message, subscriptionIds, DomainEvent.nowNanos());
    }
    String topic = topicOf(message);
    int alias = 0;
    boolean newAlias = false;
    if (outgoingAliasMaximum > 0) {
      // A channel topic is 60 bytes and more: after its first PUBLISH, a two-byte alias stands for it.
      Integer known = outgoingAliases == null ? null : outgoingAliases.get(topic);
      if (known != null) {
        alias = known;
      } else if (outgoingAliases == null || outgoingAliases.size() < outgoingAliasMaximum) {
        alias = (outgoingAliases == null ? 0 : outgoingAliases.size()) + 1;
        newAlias = true;
      }
      if (alias > 0) {
        properties = PublishProperties.withTopicAlias(properties, alias);
      }
    }
    String sentTopic = alias > 0 && !newAlias ? "" : topic;
    if (maxPacketSize != Long.MAX_VALUE && PublishProperties.packetSize(sentTopic, qos.value(), properties,
        message.payload().length(), v5) > maxPacketSize) {
      broker.metrics.dropped.increment();
      return false;
    }
    if (newAlias) {
      // Only once the PUBLISH that sets it is sent: the device knows an alias from that packet alone.
      if (outgoingAliases == null) {
        outgoingAliases = new HashMap<>();
      }
      outgoingAliases.put(topic, alias);
    }
    if (!coalescing) {
      // Only connections that receive messages need these; idle ones are spared them.
      coalescing = true;
      FlushCoalescing.install(endpoint);
      onWritten = written -> written();
      writing = new int[16];
    }
    writingStarted(PUBLISH_OVERHEAD + sentTopic.length() + message.payload().length());
    broker.metrics.messagesOut.increment();
    if (properties == MqttProperties.NO_PROPERTIES) {
      endpoint.publish(sentTopic, message.payload(), qos, dup, retain, packetId).onComplete(onWritten);
    } else {
      endpoint.publish(sentTopic, message.payload(), qos, dup, retain, packetId, properties).onComplete(onWritten);
    }
    return true;
  }

  /** Fixed header, topic length and packet id of a PUBLISH, about; properties are left out of the estimate. */
  private static final int PUBLISH_OVERHEAD = 8;

  /** A PUBLISH of {@code bytes} handed to the socket: the device is that much further behind until it is written. */
  private void writingStarted(int bytes) {
    if (writingCount == writing.length) {
      int[] larger = new int[writing.length * 2];
      for (int i = 0; i < writingCount; i++) {
        larger[i] = writing[(writingHead + i) % writing.length];
      }
      writing = larger;
      writingHead = 0;
    }
    writing[(writingHead + writingCount++) % writing.length] = bytes;
    pendingBytes += bytes;
    if (!holdingPublishers && pendingBytes >= broker.config.slowConsumerBytes() && !endpointClosed) {
      holdingPublishers = true;
      router.congestion(1);
      behindTimer = router.context().owner().setTimer(broker.config.slowConsumerTime().toMillis(),
          id -> stayedBehind());
    }
  }

  /** The oldest PUBLISH pending left for the socket (or failed with it). */
  private void written() {
    if (writingCount == 0) {
      return;
    }
    pendingBytes -= writing[writingHead];
    writingHead = (writingHead + 1) % writing.length;
    writingCount--;
    if (holdingPublishers && pendingBytes < broker.config.slowConsumerBytes() / 2) {
      // Caught up enough: its publishers go on, and the clock starts again next time it falls behind.
      releasePublishers();
    }
  }

  private void releasePublishers() {
    if (holdingPublishers) {
      holdingPublishers = false;
      router.congestion(-1);
    }
    if (behindTimer >= 0) {
      router.context().owner().cancelTimer(behindTimer);
      behindTimer = -1;
    }
  }

  /** Behind by {@code mqtt.slow_consumer_bytes} for {@code mqtt.slow_consumer_time}: it holds everyone back. */
  private void stayedBehind() {
    behindTimer = -1;
    if (endpointClosed) {
      return;
    }
    LOG.info("MQTT connection {} of thing {} closed: {} bytes not taken for {} (reason slow_consumer)",
        endpoint.clientIdentifier(), thingId, pendingBytes, broker.config.slowConsumerTime());
    broker.metrics.slowConsumers.increment();
    closeSlowConsumer();
  }

  /** The topic of an outgoing message; messages of one publisher share their strings, so this is rarely rebuilt. */
  private String topicOf(ChannelMessage message) {
    if (message.channelId() != outChannel || message.subtopic() != outSubtopic) {
      outChannel = message.channelId();
      outSubtopic = message.subtopic();
      outTopic = message.topic();
    }
    return outTopic;
  }

  void closeSlowConsumer() {
    if (endpointClosed) {
      return;
    }
    closeReason = "slow_consumer";
    var socket = EndpointSocket.of(endpoint);
    if (socket != null) {
      // Vert.x closes after what waits to be written, which a device that stopped reading never takes: the
      // channel is closed at once (an MQTT 5 DISCONNECT would wait behind the rest just the same).
      endpointClosed = true;
      // From Vert.x's own handler towards the socket: past the queue in that handler.
      socket.channelHandlerContext().close();
      return;
    }
    if (v5) {
      endpoint.disconnect(MqttDisconnectReasonCode.QUOTA_EXCEEDED, MqttProperties.NO_PROPERTIES);
    }
    closeEndpoint();
  }

  /** The thing's key changed, or it was disabled or removed. */
  void revoked() {
    if (endpointClosed) {
      return;
    }
    closeReason = "credentials_revoked";
    if (v5) {
      endpoint.disconnect(MqttDisconnectReasonCode.NOT_AUTHORIZED, MqttProperties.NO_PROPERTIES);
    }
    closeEndpoint();
  }

  /** Another connection claimed this client id. */
  void takenOver() {
    closeReason = "session_taken_over";
    willCancelled = false;
    if (v5) {
      endpoint.disconnect(MqttDisconnectReasonCode.SESSION_TAKEN_OVER, MqttProperties.NO_PROPERTIES);
    }
    closeEndpoint();
  }

  /** The node is stopping. */
  void shutDown() {
    closeReason = "server_shutdown";
    if (v5) {
      endpoint.disconnect(MqttDisconnectReasonCode.SERVER_SHUTTING_DOWN, MqttProperties.NO_PROPERTIES);
    }
    closeEndpoint();
  }

  private void closed() {
    endpointClosed = true;
    // Its publishers go on: what it did not take is gone with it.
    releasePublishers();
    router.notHolding(this);
    if (counted) {
      broker.metrics.connections.decrementAndGet();
      counted = false;
    }
    if (session == null) {
      closedEarly = true;
      return;
    }
    if (session.connection() == this) {
      session.detachConnection();
      if (!session.isPersistent()) {
        router.removeAll(session);
        broker.release(session);
      } else {
        // An offline member of a shared subscription takes none of the group's messages; the others do.
        router.leaveShared(session);
        broker.expireLater(session);
      }
    }
    if (!willCancelled) {
      long delay = willDelayMillis();
      if (delay == 0) {
        publishWill();
      } else {
        // MQTT 5 Will Delay Interval: sent then, or when the session ends first, unless the device came back.
        Session ended = session;
        long wait = ended.isPersistent() ? Math.min(delay, ended.expiryMillis()) : 0;
        router.context().owner().setTimer(Math.max(1, wait), id -> {
          if (!broker.resumed(ended)) {
            publishWill();
          }
        });
      }
    }
    broker.emit(broker.events.disconnected(thingId, session.clientId(), closeReason));
  }

  /** MQTT 5's Will Delay Interval in milliseconds; 0 when none (and always for 3.1.1). */
  private long willDelayMillis() {
    MqttWill will = endpoint.will();
    if (!v5 || will == null || !will.isWillFlag() || will.getWillProperties() == null) {
      return 0;
    }
    MqttProperties.MqttProperty<?> delay = will.getWillProperties().getProperty(
        MqttProperties.MqttPropertyType.WILL_DELAY_INTERVAL.value());
    return delay != null && delay.value() instanceof Integer seconds ? Integer.toUnsignedLong(seconds) * 1000 : 0;
  }

  /** The will of a device that went away without DISCONNECT, if it may publish there. */
  private void publishWill() {
    MqttWill will = endpoint.will();
    if (will == null || !will.isWillFlag()) {
      return;
    }
    ChannelTopic topic = ChannelTopic.ofPublish(will.getWillTopic());
    if (topic == null) {
      broker.metrics.refusedPublishes.increment();
      return;
    }
    broker.access.authorize(thingId, topic.channelId(), ThingAccess.Action.PUBLISH).onSuccess(allowed -> {
      if (!allowed) {
        broker.metrics.refusedPublishes.increment();
        return;
      }
      ChannelMessage message = new ChannelMessage(topic.channelId(), topic.subtopic(), thingId, "mqtt",
          will.getWillQos(), will.getWillMessage(), DomainEvent.nowNanos(), will.isWillRetain(),
          v5 ? PublishProperties.read(will.getWillProperties()) : null, null);
      broker.route(message);
      if (will.isWillRetain()) {
        broker.retained.retain(message);
      }
    });
  }
}
