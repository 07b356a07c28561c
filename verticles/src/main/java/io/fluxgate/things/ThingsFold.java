package io.fluxgate.things;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.fold.Entities;
import io.fluxgate.events.fold.EntityChange;

/**
 * The things stream folded into its non-secret state: things, channels and connections, each entity in revision
 * order. Replay and the access index of every node apply events through this one fold. Not thread-safe.
 */
public final class ThingsFold {

  private final Entities<Thing, ThingChange> things;
  private final Entities<Channel, ChannelChange> channels;
  private final Entities<Connection, ConnectionChange> connections;
  private boolean skipped;

  /** A fold for live consumers: each event applied as it comes, a stale one ignored. */
  public ThingsFold() {
    this(false);
  }

  /** With {@code holdAhead}, for a replay of the whole log: see {@link Entities#Entities(java.util.function.BiFunction, boolean)}. */
  public ThingsFold(boolean holdAhead) {
    this.things = new Entities<>(ThingChange::evolve, holdAhead);
    this.channels = new Entities<>(ChannelChange::evolve, holdAhead);
    this.connections = new Entities<>(ConnectionChange::evolve, holdAhead);
  }

  /** At the end of a replay: applies the events still waiting for an earlier revision; answers how many. */
  public int flush() {
    return things.flush() + channels.flush() + connections.flush();
  }


  /** Applies a things-stream event; answers the typed change it applied, or null (not a change, or stale). */
  public EntityChange apply(DomainEvent event) {
    skipped = false;
    ThingChange thing = ThingChange.from(event);
    if (thing != null) {
      if (!things.apply(thing)) {
        return null;
      }
      skipped = things.skippedRevisions();
      return thing;
    }
    ChannelChange channel = ChannelChange.from(event);
    if (channel != null) {
      if (!channels.apply(channel)) {
        return null;
      }
      skipped = channels.skippedRevisions();
      if (channel instanceof ChannelChange.Created created && !created.parentId().isEmpty()) {
        placeUnderParent(created.id());
      }
      return channel;
    }
    ConnectionChange connection = ConnectionChange.from(event);
    if (connection != null) {
      if (!connections.apply(connection)) {
        return null;
      }
      skipped = connections.skippedRevisions();
      return connection;
    }
    return null;
  }

  /**
   * Whether the change {@link #apply} last answered came more than one revision after what its entity held (it was
   * seen before an earlier change, which will now be ignored as stale): see {@link Entities#skippedRevisions()}.
   */
  public boolean skippedRevisions() {
    return skipped;
  }

  // The path and level are not in events: they follow from the parent, created (by the API's rule) before its child.
  private void placeUnderParent(String id) {
    Channel parent = channels.get(channels.get(id).parentId());
    if (parent != null) {
      channels.complete(id, c -> new Channel(c.id(), c.name(), c.description(), c.owner(), c.parentId(), c.metadata(),
          c.status(), parent.path() + "." + c.id(), parent.level() + 1, c.createdAt(), c.updatedAt(), c.updatedBy(),
          c.revision()));
    }
  }

  public Entities<Thing, ThingChange> things() {
    return things;
  }

  public Entities<Channel, ChannelChange> channels() {
    return channels;
  }

  public Entities<Connection, ConnectionChange> connections() {
    return connections;
  }
}
