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
  private final Map<String, Versioned> channels = new ConcurrentHashMap<>();
  // Apart from the things, so a connection that arrives before its thing (events reordered) is not lost.
  private final Map<String, Map<String, Versioned>> connections = new ConcurrentHashMap<>();

  /**
   * One thing's key hash (null while not known yet), status and revision; a removed thing stays as a marker, so a
   * late event of it cannot bring it back (ids are never reused).
   */
  private record ThingEntry(String keyHash, boolean enabled, long revision, boolean removed) {}

  /** A channel's status or a connection's action bits (0 once disconnected), at a revision. */
  private record Versioned(int value, long revision) {}

  public AccessIndex(ThingKeys keys) {
    this.keys = keys;
  }

  /** Whether {@code key} is the key of the enabled thing {@code thingId}. */
  public boolean authenticate(String thingId, String key) {
    ThingEntry entry = things.get(thingId);
    return usable(entry) && entry.keyHash != null && keys.matches(key, entry.keyHash);
  }

  /** The id of the enabled thing whose key is {@code key}, or null. */
  public String identify(String key) {
    String id = thingByKeyHash.get(keys.hash(key));
    return id != null && usable(things.get(id)) ? id : null;
  }

  private static boolean usable(ThingEntry entry) {
    return entry != null && entry.enabled && !entry.removed;
  }

  /** Whether the thing is enabled, the channel is enabled and their connection allows the action. */
  public boolean authorize(ThingAccess access) {
    Versioned channel = channels.get(access.channelId());
    if (!usable(things.get(access.thingId())) || channel == null || channel.value != 1) {
      return false;
    }
    Map<String, Versioned> of = connections.get(access.thingId());
    Versioned bits = of == null ? null : of.get(access.channelId());
    int needed = access.action() == ThingAccess.Action.PUBLISH ? WRITE : READ;
    return bits != null && (bits.value & needed) != 0;
  }

  /**
   * Records a thing's key hash (null: keep the one known, if any) and status at {@code revision}; what the index
   * holds of a newer revision wins, so changes of this node and events of any node may arrive in any order.
   */
  public void putThing(String id, String keyHash, boolean enabled, long revision) {
    ThingEntry before = things.get(id);
    if (before != null && (before.removed || before.revision > revision)) {
      return;
    }
    String hash = keyHash != null ? keyHash : before == null ? null : before.keyHash;
    things.put(id, new ThingEntry(hash, enabled, revision, false));
    if (before != null && before.keyHash != null && !before.keyHash.equals(hash)) {
      thingByKeyHash.remove(before.keyHash, id);
    }
    if (hash != null) {
      thingByKeyHash.put(hash, id);
    }
  }

  /** Forgets a removed thing's key and connections, keeping a marker of its removal. */
  public void removeThing(String id, long revision) {
    ThingEntry before = things.put(id, new ThingEntry(null, false, revision, true));
    if (before != null && before.keyHash != null) {
      thingByKeyHash.remove(before.keyHash, id);
    }
    connections.remove(id);
  }

  public void putChannel(String id, boolean enabled, long revision) {
    channels.compute(id, (key, before) -> before != null && (before.value < 0 || before.revision > revision)
        ? before : new Versioned(enabled ? 1 : 0, revision));
  }

  /** Marks a channel removed (value -1), so a late event of it cannot bring it back. */
  public void removeChannel(String id, long revision) {
    channels.put(id, new Versioned(-1, revision));
  }

  /** Sets the actions of a connection (replacing earlier ones) at {@code revision}. */
  public void connect(String thingId, String channelId, List<String> actions, long revision) {
    int bits = (actions.contains(Connection.READ) ? READ : 0) | (actions.contains(Connection.WRITE) ? WRITE : 0);
    link(thingId, channelId, bits, revision);
  }

  /** Ends a connection at {@code revision} (the revision of its {@code thing.disconnect}). */
  public void disconnect(String thingId, String channelId, long revision) {
    link(thingId, channelId, 0, revision);
  }

  private void link(String thingId, String channelId, int bits, long revision) {
    ThingEntry thing = things.get(thingId);
    if (thing != null && thing.removed) {
      return;
    }
    connections.compute(thingId, (id, of) -> {
      Map<String, Versioned> held = of == null ? new ConcurrentHashMap<>() : of;
      held.compute(channelId, (c, before) -> before != null && before.revision > revision
          ? before : new Versioned(bits, revision));
      return held;
    });
  }

  /** How many things the index holds (removed ones not counted). */
  public int size() {
    return (int) things.values().stream().filter(entry -> !entry.removed).count();
  }
}
