package io.fluxgate.mqtt;

import io.fluxgate.codecs.ChannelMessage;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The subscriptions of the sessions living on one event loop, by channel. It listens on a channel's bus address
 * only while one of its sessions subscribes to that channel, so messages cross the cluster only where wanted.
 * Confined to its event loop: no locks.
 */
final class ChannelRouter {

  private final Context context;
  private final EventBus bus;
  private final Map<String, Route> routes = new HashMap<>();

  /** The sessions subscribed to one channel, with their filters, and the bus consumer that feeds them. */
  private static final class Route {
    MessageConsumer<ChannelMessage> consumer;
    final Map<Session, List<Subscription>> sessions = new LinkedHashMap<>();
  }

  ChannelRouter(Context context, EventBus bus) {
    this.context = context;
    this.bus = bus;
  }

  Context context() {
    return context;
  }

  /** Adds (or replaces, for the same filter) a subscription; completes once the bus delivers its channel here. */
  Future<Void> add(Session session, Subscription subscription) {
    String channelId = subscription.topic().channelId();
    Route route = routes.get(channelId);
    if (route == null) {
      Route created = new Route();
      created.consumer = bus.consumer(ChannelMessage.address(channelId), message -> route(created, message.body()));
      routes.put(channelId, created);
      route = created;
    }
    List<Subscription> subs = route.sessions.computeIfAbsent(session, s -> new ArrayList<>(2));
    subs.removeIf(existing -> existing.filter().equals(subscription.filter()));
    subs.add(subscription);
    return route.consumer.completion();
  }

  void remove(Session session, Subscription subscription) {
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
      route.consumer.unregister();
    }
  }

  void removeAll(Session session) {
    for (Subscription subscription : List.copyOf(session.subscriptions().values())) {
      remove(session, subscription);
    }
  }

  /** How many channels this event loop listens to. */
  int channels() {
    return routes.size();
  }

  private static void route(Route route, ChannelMessage message) {
    for (Map.Entry<Session, List<Subscription>> entry : route.sessions.entrySet()) {
      int best = -1;
      for (Subscription subscription : entry.getValue()) {
        if (subscription.qos() > best && subscription.topic().matches(message.subtopic())) {
          best = subscription.qos();
        }
      }
      if (best >= 0) {
        // One copy per session, at the best QoS among its matching filters.
        entry.getKey().deliver(message, Math.min(message.qos(), best));
      }
    }
  }
}
