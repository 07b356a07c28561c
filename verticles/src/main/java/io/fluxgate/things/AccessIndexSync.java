package io.fluxgate.things;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.fold.EntityChange;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the {@link AccessIndex} current: loads it from the database at start, then folds every things event (of any
 * node) through {@link ThingsFold}, each entity in revision order, so stale duplicates and reordered deliveries
 * change nothing. Events never carry keys: the key hash of a thing another node created or re-keyed is read from the
 * database, and kept only if that row is newer than the hash held. Runs on one context (the verticle's).
 */
public final class AccessIndexSync {

  private static final Logger LOG = LoggerFactory.getLogger(AccessIndexSync.class);

  private final AccessIndex index;
  private final ThingRepository things;
  private final ChannelRepository channels;
  private final ConnectionRepository connections;
  private final String instance;
  private final ThingsFold fold = new ThingsFold();
  // Shared by every trimmed thing: the fold never changes a thing's tags or metadata in place.
  private static final JsonArray NO_TAGS = new JsonArray();
  private static final JsonObject NO_METADATA = new JsonObject();
  /** The revision of the database row each known key hash was read from. */
  private final Map<String, Long> keyRevisions = new HashMap<>();
  /** Events that arrived while loading; null once loaded. */
  private List<DomainEvent> early = new ArrayList<>();

  public AccessIndexSync(AccessIndex index, ThingRepository things, ChannelRepository channels,
      ConnectionRepository connections, String instance) {
    this.index = index;
    this.things = things;
    this.channels = channels;
    this.connections = connections;
    this.instance = instance;
  }

  /**
   * Loads every thing, channel and connection, then applies the events that arrived meanwhile: the caller registers
   * the event consumer first, so nothing produced during the load is missed.
   */
  public Future<Void> load() {
    return things.indexRows().compose(thingRows -> {
      thingRows.forEach(row -> {
        String id = row.getString("id");
        long revision = row.getLong("revision");
        fold.things().seed(id, revision, new Thing(id, "", "", NO_TAGS, "", NO_METADATA,
            row.getString("status"), "", "", "", revision));
        keyRevisions.put(id, revision);
        index.putThing(id, row.getString("key_hash"), "enabled".equals(row.getString("status")), revision);
      });
      return channels.indexRows();
    }).compose(channelRows -> {
      channelRows.forEach(row -> {
        String id = row.getString("id");
        long revision = row.getLong("revision");
        fold.channels().seed(id, revision, new Channel(id, "", "", "", "", new JsonObject(), row.getString("status"),
            id, 1, "", "", "", revision));
        index.putChannel(id, "enabled".equals(row.getString("status")), revision);
      });
      return connections.all();
    }).map(all -> {
      all.forEach(c -> {
        fold.connections().seed(c.thingId() + "/" + c.channelId(), c.revision(), c);
        index.connect(c.thingId(), c.channelId(), c.actions(), c.revision());
      });
      List<DomainEvent> arrived = early;
      early = null;
      arrived.forEach(this::apply);
      LOG.info("access index holds {} things, {} connections ({} events during the load)", index.size(), all.size(),
          arrived.size());
      return null;
    });
  }

  /** Applies a things event of any node (this node's own changes are in the index already; applying them is harmless). */
  public void apply(DomainEvent event) {
    if (early != null) {
      early.add(event);
      return;
    }
    EntityChange change = fold.apply(event);
    if (change == null) {
      return;
    }
    // Events of one entity from different nodes (or commits) can arrive out of revision order; an event that skipped
    // revisions was applied to a state missing them (a status change, say), so the entity is read again.
    boolean skipped = fold.skippedRevisions();
    if (change instanceof ThingChange thing) {
      project(thing, event, !instance.equals(event.instance()) && !skipped);
      if (skipped && fold.things().get(thing.id()) != null) {
        rereadThing(thing.id());
      }
    } else if (change instanceof ChannelChange channel) {
      Channel now = fold.channels().get(channel.id());
      if (now == null) {
        index.removeChannel(channel.id(), event.revision());
      } else {
        index.putChannel(channel.id(), now.isEnabled(), now.revision());
        if (skipped) {
          rereadChannel(channel.id());
        }
      }
    } else if (change instanceof ConnectionChange connection) {
      Connection now = fold.connections().get(connection.key());
      if (now == null) {
        index.disconnect(connection.thingId(), connection.channelId(), event.revision());
      } else {
        index.connect(connection.thingId(), connection.channelId(), now.actions(), now.revision());
      }
    }
  }

  private void project(ThingChange change, DomainEvent event, boolean remote) {
    String id = change.id();
    Thing now = fold.things().get(id);
    if (now == null) {
      index.removeThing(id, event.revision());
      keyRevisions.remove(id);
      return;
    }
    index.putThing(id, null, now.isEnabled(), now.revision());
    // The index needs a thing's status and revision only: keep no name, tags or metadata per thing in memory.
    fold.things().complete(id, AccessIndexSync::trimmed);
    boolean keyMayHaveChanged = change instanceof ThingChange.Created || change instanceof ThingChange.KeyChanged;
    // A thing first seen through a later event (its create reordered behind it) needs its key read too.
    boolean keyUnknown = !keyRevisions.containsKey(id);
    if (remote && (keyMayHaveChanged || keyUnknown) && keyRevisions.getOrDefault(id, 0L) < change.revision()) {
      things.findById(id).onSuccess(stored -> {
        Thing current = fold.things().get(id);
        long rowRevision = stored == null ? 0 : stored.thing().revision();
        if (current != null && rowRevision > keyRevisions.getOrDefault(id, 0L)) {
          keyRevisions.put(id, rowRevision);
          index.putThing(id, stored.keyHash(), current.isEnabled(), rowRevision);
        }
      }).onFailure(error -> LOG.warn("access index could not read the key of thing {}: {}", id, error.getMessage()));
    }
  }

  /** Replaces a thing's status and key hash with its database row, unless the fold holds a newer revision by then. */
  private void rereadThing(String id) {
    things.findById(id).onSuccess(stored -> {
      if (stored == null || fold.things().get(id) == null) {
        return; // removed meanwhile: its removal event ends it
      }
      Thing row = stored.thing();
      if (row.revision() >= fold.things().revision(id)) {
        fold.things().replace(id, row.revision(), trimmed(row));
        keyRevisions.put(id, row.revision());
        index.putThing(id, stored.keyHash(), row.isEnabled(), row.revision());
      }
    }).onFailure(error -> LOG.warn("access index could not read thing {} again: {}", id, error.getMessage()));
  }

  /** Replaces a channel's status with its database row, unless the fold holds a newer revision by then. */
  private void rereadChannel(String id) {
    channels.findById(id).onSuccess(row -> {
      if (row == null || fold.channels().get(id) == null) {
        return;
      }
      if (row.revision() >= fold.channels().revision(id)) {
        fold.channels().replace(id, row.revision(), row);
        index.putChannel(id, row.isEnabled(), row.revision());
      }
    }).onFailure(error -> LOG.warn("access index could not read channel {} again: {}", id, error.getMessage()));
  }

  private static Thing trimmed(Thing thing) {
    return new Thing(thing.id(), "", "", NO_TAGS, "", NO_METADATA, thing.status(), "", "", "", thing.revision());
  }

  /** The fold behind the index, for inspection. */
  ThingsFold fold() {
    return fold;
  }
}
