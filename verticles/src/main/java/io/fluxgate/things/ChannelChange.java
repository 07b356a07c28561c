package io.fluxgate.things;

import static io.fluxgate.events.fold.EventFields.object;
import static io.fluxgate.events.fold.EventFields.text;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.fold.EntityChange;
import io.vertx.core.json.JsonObject;

/** The events of the channel aggregate, typed, and the one rule that folds them into a {@link Channel}. */
public sealed interface ChannelChange extends EntityChange {

  String id();

  @Override
  default String key() {
    return id();
  }

  /** A new channel; its path and level follow from its parent, which the event names. */
  record Created(String id, long revision, String name, String description, String owner, String parentId,
      JsonObject metadata, String status, String createdAt, String updatedAt, String updatedBy)
      implements ChannelChange {}

  record Updated(String id, long revision, String name, String description, JsonObject metadata, String at,
      String by) implements ChannelChange {}

  record StatusChanged(String id, long revision, String status, String at, String by) implements ChannelChange {}

  record Removed(String id, long revision) implements ChannelChange {
    @Override
    public boolean removes() {
      return true;
    }
  }

  /** The typed change of a things-stream event, or null if the event does not change a channel. */
  static ChannelChange from(DomainEvent event) {
    JsonObject f = event.fields();
    String id = text(f, "id");
    long rev = event.revision();
    return switch (event.operation()) {
      case "channel.create" -> new Created(id, rev, text(f, "name"), text(f, "description"), text(f, "owner"),
          text(f, "parent"), object(f, "metadata"), text(f, "status"), text(f, "created_at"), text(f, "updated_at"),
          text(f, "updated_by"));
      case "channel.update" -> new Updated(id, rev, text(f, "name"), text(f, "description"), object(f, "metadata"),
          text(f, "updated_at"), text(f, "updated_by"));
      case "channel.change_status" -> new StatusChanged(id, rev, text(f, "status"), text(f, "updated_at"),
          text(f, "updated_by"));
      case "channel.remove" -> new Removed(id, rev);
      default -> null;
    };
  }

  /**
   * The channel after {@code change}; {@code channel} is null for one not seen before. A created channel gets the
   * path and level of a root; {@link ThingsFold} places it under its parent.
   */
  static Channel evolve(Channel channel, ChannelChange change) {
    Channel c = channel != null ? channel : new Channel(change.id(), "", "", "", "", new JsonObject(), "",
        change.id(), 1, "", "", "", 0);
    long rev = change.revision();
    if (change instanceof Created n) {
      return new Channel(n.id(), n.name(), n.description(), n.owner(), n.parentId(), n.metadata(),
          n.status(), n.id(), 1, n.createdAt(), n.updatedAt(), n.updatedBy(), rev);
    }
    if (change instanceof Updated u) {
      return new Channel(c.id(), u.name(), u.description(), c.owner(), c.parentId(), u.metadata(),
          c.status(), c.path(), c.level(), c.createdAt(), u.at(), u.by(), rev);
    }
    if (change instanceof StatusChanged s) {
      return new Channel(c.id(), c.name(), c.description(), c.owner(), c.parentId(), c.metadata(),
          s.status(), c.path(), c.level(), c.createdAt(), s.at(), s.by(), rev);
    }
    return null;
  }
}
