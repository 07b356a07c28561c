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
  // Apart from the things, so a connection that arrives before its thing (events reordered) is not lost.
  private final Map<String, Map<String, Integer>> connections = new ConcurrentHashMap<>();

  /** One thing's key hash (null while not known yet) and status. */
  private record ThingEntry(String keyHash, boolean enabled) {}

  public AccessIndex(ThingKeys keys) {
    this.keys = keys;
  }

  /** Whether {@code key} is the key of the enabled thing {@code thingId}. */
  public boolean authenticate(String thingId, String key) {
    ThingEntry entry = things.get(thingId);
    return entry != null && entry.enabled && entry.keyHash != null && keys.matches(key, entry.keyHash);
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
    Map<String, Integer> of = connections.get(access.thingId());
    Integer bits = of == null ? null : of.get(access.channelId());
    int needed = access.action() == ThingAccess.Action.PUBLISH ? WRITE : READ;
    return bits != null && (bits & needed) != 0;
  }

  /** Records a thing's key hash (null: keep the one known, if any) and status. */
  public void putThing(String id, String keyHash, boolean enabled) {
    ThingEntry before = things.get(id);
    String hash = keyHash != null ? keyHash : before == null ? null : before.keyHash;
    things.put(id, new ThingEntry(hash, enabled));
    if (before != null && before.keyHash != null && !before.keyHash.equals(hash)) {
      thingByKeyHash.remove(before.keyHash, id);
    }
    if (hash != null) {
      thingByKeyHash.put(hash, id);
    }
  }

  /** Forgets a removed thing and its connections (ids are never reused). */
  public void removeThing(String id) {
    ThingEntry before = things.remove(id);
    if (before != null && before.keyHash != null) {
      thingByKeyHash.remove(before.keyHash, id);
    }
    connections.remove(id);
  }

  public void putChannel(String id, boolean enabled) {
    channels.put(id, enabled);
  }

  public void removeChannel(String id) {
    channels.remove(id);
  }

  /** Sets the actions of a connection (replacing earlier ones). */
  public void connect(String thingId, String channelId, List<String> actions) {
    int bits = (actions.contains(Connection.READ) ? READ : 0) | (actions.contains(Connection.WRITE) ? WRITE : 0);
    connections.compute(thingId, (id, of) -> {
      Map<String, Integer> held = of == null ? new ConcurrentHashMap<>() : of;
      held.put(channelId, bits);
      return held;
    });
  }

  public void disconnect(String thingId, String channelId) {
    connections.computeIfPresent(thingId, (id, of) -> {
      of.remove(channelId);
      return of.isEmpty() ? null : of;
    });
  }

  /** How many things the index holds. */
  public int size() {
    return things.size();
  }
}
