package io.fluxgate.mqtt;

import io.fluxgate.codecs.ChannelMessage;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.EventPublisher;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the MQTT server instances of one node share: configuration, the access cache, the sessions by client id,
 * the retained messages, the event stream and the counters. The sessions themselves live on their event loops.
 */
final class Broker {

  final MqttConfig config;
  final AccessCache access;
  final RetainedMessages retained;
  final MqttEvents events;
  final MqttMetrics metrics;
  private final EventPublisher publisher;
  private final EventBus bus;
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  /** The same sessions by thing: a revoked key closes a thing's connections without a walk over every session. */
  private final Map<String, java.util.Set<Session>> byThing = new ConcurrentHashMap<>();
  // The shared subscriptions of each channel anywhere in the cluster; a group once known stays (few, small).
  private final Map<String, java.util.Set<SharedGroup>> sharedGroups = new ConcurrentHashMap<>();
  private final Future<io.vertx.core.shareddata.AsyncMap<String, JsonObject>> sharedRegistry;
  private final boolean clustered;
  // The event loops with subscribers of each channel: a single node routes through it (a message skips the bus),
  // every node asks it whether a subscriber of a channel is congested.
  private final Map<String, java.util.Set<ChannelRouter>> listening = new ConcurrentHashMap<>();

  Broker(MqttConfig config, AccessCache access, RetainedMessages retained, MqttEvents events, MqttMetrics metrics,
      EventPublisher publisher, EventBus bus, boolean clustered,
      Future<io.vertx.core.shareddata.AsyncMap<String, JsonObject>> sharedRegistry) {
    this.sharedRegistry = sharedRegistry;
    this.config = config;
    this.access = access;
    this.retained = retained;
    this.events = events;
    this.metrics = metrics;
    this.publisher = publisher;
    this.bus = bus;
    this.clustered = clustered;
  }

  boolean clustered() {
    return clustered;
  }

  void listen(String channelId, ChannelRouter router) {
    listening.computeIfAbsent(channelId, id -> new java.util.concurrent.CopyOnWriteArraySet<>()).add(router);
  }

  void unlisten(String channelId, ChannelRouter router) {
    listening.computeIfPresent(channelId, (id, routers) -> {
      routers.remove(router);
      return routers.isEmpty() ? null : routers;
    });
  }

  /** A session claimed by a new connection, and whether it carries state from before. */
  record Claim(Session session, boolean present) {}

  /** The client id is someone else's: one thing cannot take over another thing's session. */
  static final class ClientIdTaken extends RuntimeException {
    ClientIdTaken() {
      super("the client id belongs to another thing's session", null, false, false);
    }
  }

  /**
   * Gives the connection on {@code router}'s loop the session of {@code clientId}: a fresh one, or the previous
   * one's state (unless {@code cleanStart}) after its connection was closed on its own loop. Completes on
   * {@code router}'s loop.
   */
  Future<Claim> claim(String clientId, String thingId, ChannelRouter router, boolean cleanStart) {
    Session previous = sessions.get(clientId);
    if (previous != null && !previous.thingId().equals(thingId)) {
      return Future.failedFuture(new ClientIdTaken());
    }
    Session fresh = new Session(clientId, thingId, router, config, metrics);
    previous = sessions.put(clientId, fresh);
    // compute, not computeIfAbsent: atomic against unindex dropping the thing's emptied set meanwhile.
    byThing.compute(thingId, (thing, set) -> {
      java.util.Set<Session> of = set == null ? ConcurrentHashMap.newKeySet() : set;
      of.add(fresh);
      return of;
    });
    if (previous == null) {
      return Future.succeededFuture(new Claim(fresh, false));
    }
    unindex(previous);
    Session old = previous;
    return Hop.to(old.home().context(), () -> {
      DeviceConnection connection = old.connection();
      old.detachConnection();
      if (connection != null) {
        connection.takenOver();
      }
      old.home().removeAll(old);
      return old;
    }).compose(o -> Hop.to(router.context(), () -> {
      boolean keep = !cleanStart && o.isPersistent();
      if (keep) {
        fresh.adopt(o);
      }
      return new Claim(fresh, keep);
    }));
  }

  /** The sessions living on {@code router}'s event loop. */
  java.util.List<Session> sessionsAt(ChannelRouter router) {
    return sessions.values().stream().filter(session -> session.home() == router).toList();
  }

  /**
   * Ends a persistent session whose device stays away for its expiry interval: its subscriptions and queued
   * messages go. Called on the session's home loop when its connection closed; a reconnect in time replaces it.
   */
  void expireLater(Session session) {
    session.home().context().owner().setTimer(Math.max(1, session.expiryMillis()), id -> {
      if (session.connection() == null && sessions.get(session.clientId()) == session) {
        session.home().removeAll(session);
        release(session);
      }
    });
  }

  /** Whether a newer connection of the same client id took {@code session} over (its device came back). */
  boolean resumed(Session session) {
    Session now = sessions.get(session.clientId());
    return now != null && now != session;
  }

  /** Forgets a session that ended (unless a newer connection claimed the client id meanwhile). */
  void release(Session session) {
    sessions.remove(session.clientId(), session);
    unindex(session);
  }

  private void unindex(Session session) {
    byThing.computeIfPresent(session.thingId(), (thing, set) -> {
      set.remove(session);
      return set.isEmpty() ? null : set;
    });
  }

  /** The sessions of {@code thingId} living on {@code router}'s event loop. */
  java.util.List<Session> sessionsOf(String thingId, ChannelRouter router) {
    java.util.Set<Session> of = byThing.get(thingId);
    return of == null ? java.util.List.of() : of.stream().filter(session -> session.home() == router).toList();
  }

  /** One shared subscription of a channel, cluster-wide: its group, the filter it shares, its bus address. */
  record SharedGroup(String channelId, String group, ChannelTopic filter, String address) {
    JsonObject toJson() {
      return new JsonObject().put("channel_id", channelId).put("group", group).put("filter", filter.subtopic());
    }

    static SharedGroup fromJson(JsonObject json) {
      String channelId = json.getString("channel_id");
      ChannelTopic filter = new ChannelTopic(channelId, json.getString("filter"));
      return new SharedGroup(channelId, json.getString("group"), filter,
          ChannelMessage.sharedAddress(channelId, json.getString("group"), filter.subtopic()));
    }
  }

  /** Learns of a shared subscription (of this node or, through the announcement, of another). */
  void knowShared(SharedGroup group) {
    sharedGroups.computeIfAbsent(group.channelId(), id -> new java.util.concurrent.CopyOnWriteArraySet<>()).add(group);
  }

  /**
   * A first member of {@code group} on this node: every node learns of it (the announcement, and the cluster-wide
   * map a node starting later reads), so each message of the channel is sent to the group once.
   */
  Future<Void> shareJoined(SharedGroup group) {
    java.util.Set<SharedGroup> known = sharedGroups.get(group.channelId());
    if (known != null && known.contains(group)) {
      return Future.succeededFuture();
    }
    knowShared(group);
    bus.publish(io.fluxgate.codecs.Addresses.MQTT_SHARED_GROUPS, group.toJson());
    return sharedRegistry.compose(map -> map.put(group.address(), group.toJson()));
  }

  /** Reads the shared subscriptions the cluster knows of, at start. */
  Future<Void> loadShared() {
    return sharedRegistry.compose(map -> map.values()).map(all -> {
      all.forEach(json -> knowShared(SharedGroup.fromJson(json)));
      return null;
    });
  }

  /** Sends a device message to every subscriber of its channel, on this node and others. */
  void route(ChannelMessage message) {
    metrics.messagesIn.increment();
    java.util.Set<SharedGroup> groups = sharedGroups.isEmpty() ? null : sharedGroups.get(message.channelId());
    if (groups != null) {
      for (SharedGroup group : groups) {
        if (group.filter().matches(message.subtopic())) {
          // Point to point: the bus hands it to one member's loop, on whichever node.
          bus.send(group.address(), message);
        }
      }
    }
    if (clustered) {
      bus.publish(message.destination(true), message);
      return;
    }
    java.util.Set<ChannelRouter> routers = listening.get(message.channelId());
    if (routers != null) {
      for (ChannelRouter router : routers) {
        router.accept(message);
      }
    }
  }

  /**
   * Whether a subscriber of the channel on this node is falling behind: its publishers on this node then are not
   * read (and QoS 1/2 ones wait for their acknowledgement). Subscribers on other nodes are not asked.
   */
  boolean congested(String channelId) {
    java.util.Set<ChannelRouter> routers = listening.get(channelId);
    if (routers != null) {
      for (ChannelRouter router : routers) {
        if (router.congested()) {
          return true;
        }
      }
    }
    return false;
  }

  void emit(DomainEvent event) {
    publisher.publish(event);
  }

}
