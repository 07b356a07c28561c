package io.fluxgate.things;

import io.fluxgate.codecs.ThingAccess;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the adapters ask on every connection and subscription, answered from memory: which key is whose, which
 * thing and channel are enabled, which thing may read or write which channel. Loaded from the database at start
 * and changed with every committed change (of this node, or of another node through the things events).
 */
public final class AccessIndex {

  private static final int READ = 1;
  private static final int WRITE = 2;

  private final ThingKeys keys;
  private final Map<String, ThingEntry> things = new ConcurrentHashMap<>();
  private final Map<String, String> thingByKeyHash = new ConcurrentHashMap<>();
  private final Map<String, Boolean> channels = new ConcurrentHashMap<>();

  /** One thing's key hash, status and connections (channel id to action bits). */
  private static final class ThingEntry {
    final String keyHash;
    final boolean enabled;
    final Map<String, Integer> connections;

    ThingEntry(String keyHash, boolean enabled, Map<String, Integer> connections) {
      this.keyHash = keyHash;
      this.enabled = enabled;
      this.connections = connections;
    }
  }

  public AccessIndex(ThingKeys keys) {
    this.keys = keys;
  }

  /** Whether {@code key} is the key of the enabled thing {@code thingId}. */
  public boolean authenticate(String thingId, String key) {
    ThingEntry entry = things.get(thingId);
    return entry != null && entry.enabled && keys.matches(key, entry.keyHash);
  }

  /** The id of the enabled thing whose key is {@code key}, or null. */
  public String identify(String key) {
    String id = thingByKeyHash.get(keys.hash(key));
    ThingEntry entry = id == null ? null : things.get(id);
    return entry != null && entry.enabled ? id : null;
  }

  /** Whether the thing is enabled, the channel is enabled and their connection allows the action. */
  public boolean authorize(ThingAccess access) {
    ThingEntry entry = things.get(access.thingId());
    if (entry == null || !entry.enabled || !Boolean.TRUE.equals(channels.get(access.channelId()))) {
      return false;
    }
    Integer bits = entry.connections.get(access.channelId());
    int needed = access.action() == ThingAccess.Action.PUBLISH ? WRITE : READ;
    return bits != null && (bits & needed) != 0;
  }

  /** Records a thing's key hash and status, keeping its connections. */
  public void putThing(String id, String keyHash, boolean enabled) {
    ThingEntry before = things.get(id);
    things.put(id, new ThingEntry(keyHash, enabled, before == null ? new ConcurrentHashMap<>() : before.connections));
    if (before != null && !before.keyHash.equals(keyHash)) {
      thingByKeyHash.remove(before.keyHash, id);
    }
    thingByKeyHash.put(keyHash, id);
  }

  public void removeThing(String id) {
    ThingEntry before = things.remove(id);
    if (before != null) {
      thingByKeyHash.remove(before.keyHash, id);
    }
  }

  public void putChannel(String id, boolean enabled) {
    channels.put(id, enabled);
  }

  public void removeChannel(String id) {
    channels.remove(id);
  }

  /** Sets the actions of a connection (replacing earlier ones); an unknown thing is ignored. */
  public void connect(String thingId, String channelId, List<String> actions) {
    ThingEntry entry = things.get(thingId);
    if (entry != null) {
      int bits = (actions.contains(Connection.READ) ? READ : 0) | (actions.contains(Connection.WRITE) ? WRITE : 0);
      entry.connections.put(channelId, bits);
    }
  }

  public void disconnect(String thingId, String channelId) {
    ThingEntry entry = things.get(thingId);
    if (entry != null) {
      entry.connections.remove(channelId);
    }
  }

  /** How many things the index holds. */
  public int size() {
    return things.size();
  }
}
