package io.fluxgate.mqtt;

import io.fluxgate.codecs.ChannelMessage;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.ContextHandoff;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The subscriptions of the sessions living on one event loop, by channel. In a cluster it listens on a channel's
 * bus address only while one of its sessions subscribes to that channel, so messages cross the cluster only where
 * wanted; on a single node the broker hands it messages directly, batched per event-loop task. Confined to its
 * event loop: no locks.
 */
final class ChannelRouter {

  private final Context context;
  private final EventBus bus;
  private final Broker broker;
  private final boolean clustered;
  private final ContextHandoff<ChannelMessage> inbox;
  private final Map<String, Route> routes = new HashMap<>();
  // Written on this loop only, read by publishers on any loop.
  private volatile int congestedSessions;

  /** The sessions subscribed to one channel, with their filters, and the bus consumer that feeds them. */
  private static final class Route {
    MessageConsumer<ChannelMessage> consumer;
    final Map<Session, List<Subscription>> sessions = new LinkedHashMap<>();
  }

  /**
   * The members on this loop of one shared subscription, with their subscriptions, and the consumer of its group's
   * address: each message sent there goes to one member, in turn.
   */
  private static final class SharedRoute {
    MessageConsumer<ChannelMessage> consumer;
    final List<Session> members = new ArrayList<>(2);
    final Map<Session, Subscription> subscriptions = new HashMap<>();
    int next;
  }

  private final Map<String, SharedRoute> shared = new HashMap<>();
  private static final String HOPS = "fluxgate-shared-hops";
  private static final int MAX_SHARED_HOPS = 8;
  /** Publishers of this loop not read while a subscriber is behind; only this loop touches it. */
  private final Set<DeviceConnection> heldPublishers = new LinkedHashSet<>();

  ChannelRouter(Context context, EventBus bus, Broker broker, boolean clustered) {
    this.context = context;
    this.bus = bus;
    this.broker = broker;
    this.clustered = clustered;
    this.inbox = new ContextHandoff<>(context, this::route);
  }

  /** A message for this loop's subscribers, from any thread: routed now on this loop, else handed over. */
  void accept(ChannelMessage message) {
    if (Context.isOnEventLoopThread() && io.vertx.core.Vertx.currentContext() == context) {
      route(message);
      return;
    }
    // A loop that falls behind sheds QoS 0 first, and never queues without bound.
    int waiting = inbox.pending();
    if (waiting >= MAX_WAITING || (message.qos() == 0 && waiting >= MAX_WAITING / 4)) {
      broker.metrics.dropped.increment();
      return;
    }
    inbox.hand(message);
  }

  /** Messages from other loops that may wait for this one. */
  private static final int MAX_WAITING = 65_536;

  private void route(ChannelMessage message) {
    Route route = routes.get(message.channelId());
    if (route != null) {
      route(route, message);
    }
  }

  Context context() {
    return context;
  }

  /** Adds (or replaces, for the same filter) a subscription; completes once the bus delivers its channel here. */
  Future<Void> add(Session session, Subscription subscription) {
    if (subscription.shared()) {
      return addShared(session, subscription);
    }
    String channelId = subscription.topic().channelId();
    Route route = routes.get(channelId);
    if (route == null) {
      Route created = new Route();
      if (clustered) {
        created.consumer = bus.consumer(ChannelMessage.address(channelId), message -> route(created, message.body()));
      }
      // Clustered too: publishers on this node ask it whether this loop's subscribers keep up.
      broker.listen(channelId, this);
      routes.put(channelId, created);
      route = created;
    }
    List<Subscription> subs = route.sessions.computeIfAbsent(session, s -> new ArrayList<>(2));
    subs.removeIf(existing -> existing.filter().equals(subscription.filter()));
    subs.add(subscription);
    return route.consumer == null ? Future.succeededFuture() : route.consumer.completion();
  }

  private Future<Void> addShared(Session session, Subscription subscription) {
    String address = subscription.sharedAddress();
    SharedRoute route = shared.get(address);
    if (route == null) {
      SharedRoute created = new SharedRoute();
      created.consumer = bus.consumer(address, message -> deliverShared(created, address, message.body(),
          hops(message.headers().get(HOPS))));
      shared.put(address, created);
      route = created;
    }
    if (route.subscriptions.put(session, subscription) == null) {
      route.members.add(session);
    }
    return route.consumer.completion();
  }

  /** One member of the shared subscription gets the message, in turn; none left here: another loop or node does. */
  private void deliverShared(SharedRoute route, String address, ChannelMessage message, int hops) {
    if (route.members.isEmpty()) {
      // No member here any more: the bus hands it to the group's next loop or node. When no member is left
      // anywhere, it would go round for ever: after MAX_SHARED_HOPS it is dropped, as for a channel nobody reads.
      if (hops < MAX_SHARED_HOPS) {
        bus.send(address, message, new DeliveryOptions().addHeader(HOPS, Integer.toString(hops + 1)));
      } else {
        broker.metrics.dropped.increment();
      }
      return;
    }
    // floorMod: the turn counter wraps past Integer.MAX_VALUE after 2^31 messages and must not go negative.
    Session member = route.members.get(Math.floorMod(route.next++, route.members.size()));
    Subscription subscription = route.subscriptions.get(member);
    int[] identifiers = subscription.identifier() == 0 ? null : new int[] {subscription.identifier()};
    member.deliver(message, Math.min(message.qos(), subscription.qos()), false, identifiers, address);
  }

  /**
   * A member leaves a shared subscription (unsubscribed, gone offline, revoked): what it was given and did not
   * acknowledge goes to another member, once this loop no longer takes the group's messages for it.
   */
  private void removeShared(Session session, Subscription subscription) {
    String address = subscription.sharedAddress();
    SharedRoute route = shared.get(address);
    if (route == null || route.subscriptions.remove(session) == null) {
      return;
    }
    route.members.remove(session);
    // The group's consumer on this loop stays registered even with no member left: unregistered while the bus was
    // handing it the group's messages, it lost them (a test saw 2 of 10 go). With no member it passes them on.
    session.reclaim(address).forEach(message -> bus.send(address, message));
  }

  /** How many loops or nodes without a member a shared message has passed through (a header; absent: none). */
  private static int hops(String header) {
    return header == null ? 0 : Integer.parseInt(header);
  }

  /** The session's device went away but its session stays: its shared subscriptions pass to the other members. */
  void leaveShared(Session session) {
    for (Subscription subscription : List.copyOf(session.subscriptions().values())) {
      if (subscription.shared()) {
        removeShared(session, subscription);
      }
    }
  }

  void remove(Session session, Subscription subscription) {
    if (subscription.shared()) {
      removeShared(session, subscription);
      return;
    }
    String channelId = subscription.topic().channelId();
    Route route = routes.get(channelId);
    if (route == null) {
      return;
    }
    List<Subscription> subs = route.sessions.get(session);
    if (subs != null) {
      subs.removeIf(existing -> existing.filter().equals(subscription.filter()));
      if (subs.isEmpty()) {
        route.sessions.remove(session);
      }
    }
    if (route.sessions.isEmpty()) {
      routes.remove(channelId);
      if (route.consumer != null) {
        route.consumer.unregister();
      }
      broker.unlisten(channelId, this);
    }
  }

  /**
   * Takes away what a things event says a thing may no longer do, from the sessions of this loop, online and offline
   * alike. A thing whose key changed, that was disabled or removed loses its open connections (reason
   * {@code credentials_revoked}; a removed thing its sessions too); a thing disconnected from a channel, or whose
   * connection lost {@code m_read}, and every thing of a channel disabled or removed, lose their subscriptions to
   * that channel and what was queued from it. Publishing needs nothing here: the access cache has forgotten the
   * right, so the next publish asks again.
   */
  void revoke(DomainEvent event) {
    JsonObject fields = event.fields();
    switch (event.operation()) {
      case "thing.update_secret" -> closeConnections(fields.getString("id"), false);
      case "thing.remove" -> closeConnections(fields.getString("id"), true);
      case "thing.change_status" -> {
        if ("disabled".equals(fields.getString("status"))) {
          closeConnections(fields.getString("id"), false);
        }
      }
      case "thing.disconnect" -> revokeReading(fields.getString("channel_id"), fields.getString("thing_id"));
      case "thing.update_connection" -> {
        JsonArray actions = fields.getJsonArray("actions");
        if (actions == null || !actions.contains("m_read")) {
          revokeReading(fields.getString("channel_id"), fields.getString("thing_id"));
        }
      }
      case "channel.change_status" -> {
        if ("disabled".equals(fields.getString("status"))) {
          revokeReading(fields.getString("id"), null);
        }
      }
      case "channel.remove" -> revokeReading(fields.getString("id"), null);
      default -> {
      }
    }
  }

  private void closeConnections(String thingId, boolean endSessions) {
    for (Session session : broker.sessionsOf(thingId, this)) {
      DeviceConnection connection = session.connection();
      if (connection != null) {
        connection.revoked();
      }
      if (endSessions) {
        removeAll(session);
        broker.release(session);
      }
    }
  }

  /**
   * The sessions of {@code thingId} (null: every session) lose their subscriptions to {@code channelId} and the
   * messages of that channel still queued for them.
   */
  private void revokeReading(String channelId, String thingId) {
    if (channelId == null) {
      return;
    }
    for (SharedRoute route : List.copyOf(shared.values())) {
      for (Map.Entry<Session, Subscription> member : List.copyOf(route.subscriptions.entrySet())) {
        Session session = member.getKey();
        Subscription subscription = member.getValue();
        if (subscription.topic().channelId().equals(channelId)
            && (thingId == null || session.thingId().equals(thingId))) {
          session.subscriptions().remove(subscription.filter());
          removeShared(session, subscription);
        }
      }
    }
    Route route = routes.get(channelId);

    if (route == null) {
      return;
    }
    for (Map.Entry<Session, List<Subscription>> entry : List.copyOf(route.sessions.entrySet())) {
      Session session = entry.getKey();
      if (thingId == null || session.thingId().equals(thingId)) {
        for (Subscription subscription : List.copyOf(entry.getValue())) {
          session.subscriptions().remove(subscription.filter());
          remove(session, subscription);
        }
        session.forget(channelId);
      }
    }
  }

  void removeAll(Session session) {
    for (Subscription subscription : List.copyOf(session.subscriptions().values())) {
      remove(session, subscription);
    }
  }

  /** Tells every device of this loop that the node is stopping, and closes its connection. */
  void shutDown() {
    for (Session session : broker.sessionsAt(this)) {
      DeviceConnection connection = session.connection();
      if (connection != null) {
        connection.shutDown();
      }
    }
  }

  void congestion(int change) {
    congestedSessions = congestedSessions + change;
    if (congestedSessions == 0 && change < 0 && !heldPublishers.isEmpty()) {
      // Publishers on this loop held for its subscribers go on now, not at their next check a millisecond later.
      List<DeviceConnection> ready = List.copyOf(heldPublishers);
      heldPublishers.clear();
      ready.forEach(DeviceConnection::releaseHeld);
    }
  }

  /** A publisher of this loop stops being read until subscribers catch up; see {@link #congestion}. */
  void holding(DeviceConnection publisher) {
    heldPublishers.add(publisher);
  }

  /** The publisher goes on (or its connection ended) before this loop's subscribers caught up. */
  void notHolding(DeviceConnection publisher) {
    heldPublishers.remove(publisher);
  }

  /** Whether a subscriber on this loop is falling behind (publishers' acknowledgements wait then). */
  boolean congested() {
    return congestedSessions > 0 || inbox.pending() > 256;
  }

  private static void route(Route route, ChannelMessage message) {
    for (Map.Entry<Session, List<Subscription>> entry : route.sessions.entrySet()) {
      int best = -1;
      boolean options = false;
      for (Subscription subscription : entry.getValue()) {
        if (!subscription.plain()) {
          options = true;
        } else if (subscription.qos() > best && subscription.topic().matches(message.subtopic())) {
          best = subscription.qos();
        }
      }
      if (options) {
        routeWithOptions(entry.getKey(), entry.getValue(), message);
      } else if (best >= 0) {
        // One copy per session, at the best QoS among its matching filters.
        entry.getKey().deliver(message, Math.min(message.qos(), best));
      }
    }
  }

  /**
   * The same for a session with MQTT 5 subscription options: No Local filters skip its own messages, the copy
   * keeps the publisher's retain flag if a matching filter asks for it, and carries every matching identifier.
   */
  private static void routeWithOptions(Session session, List<Subscription> subscriptions, ChannelMessage message) {
    int best = -1;
    boolean retain = false;
    int[] identifiers = null;
    for (Subscription subscription : subscriptions) {
      if (!subscription.topic().matches(message.subtopic())
          || (subscription.noLocal() && message.origin() == session)) {
        continue;
      }
      best = Math.max(best, subscription.qos());
      retain |= subscription.retainAsPublished() && message.retain();
      if (subscription.identifier() != 0) {
        identifiers = identifiers == null ? new int[] {subscription.identifier()}
            : java.util.Arrays.copyOf(identifiers, identifiers.length + 1);
        identifiers[identifiers.length - 1] = subscription.identifier();
      }
    }
    if (best >= 0) {
      session.deliver(message, Math.min(message.qos(), best), retain, identifiers);
    }
  }
}
