package io.fluxgate.users;

import static io.fluxgate.events.fold.EventFields.object;
import static io.fluxgate.events.fold.EventFields.text;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.fold.EntityChange;
import io.vertx.core.json.JsonObject;

/** The events of the group aggregate, typed, and the one rule that folds them into a {@link Group}. */
public sealed interface GroupChange extends EntityChange {

  String id();

  @Override
  default String key() {
    return id();
  }

  /** A new group; its path and level follow from its parent, which the event names. */
  record Created(String id, long revision, String name, String description, String owner, String parentId,
      JsonObject metadata, String status, String createdAt, String updatedAt, String updatedBy)
      implements GroupChange {}

  record Updated(String id, long revision, String name, String description, JsonObject metadata, String at,
      String by) implements GroupChange {}

  record StatusChanged(String id, long revision, String status, String at, String by) implements GroupChange {}

  /** The typed change of a users-stream event, or null if the event does not change a group. */
  static GroupChange from(DomainEvent event) {
    JsonObject f = event.fields();
    String id = text(f, "id");
    long rev = event.revision();
    return switch (event.operation()) {
      case "group.create" -> new Created(id, rev, text(f, "name"), text(f, "description"), text(f, "owner"),
          text(f, "parent"), object(f, "metadata"), text(f, "status"), text(f, "created_at"), text(f, "updated_at"),
          text(f, "updated_by"));
      case "group.update" -> new Updated(id, rev, text(f, "name"), text(f, "description"), object(f, "metadata"),
          text(f, "updated_at"), text(f, "updated_by"));
      case "group.change_status" -> new StatusChanged(id, rev, text(f, "status"), text(f, "updated_at"),
          text(f, "updated_by"));
      default -> null;
    };
  }

  /** The group after {@code change}; a created group gets a root's path and level ({@link UsersFold} places it). */
  static Group evolve(Group group, GroupChange change) {
    Group g = group != null ? group : new Group(change.id(), "", "", "", "", new JsonObject(), "", change.id(), 1,
        "", "", "", 0);
    long rev = change.revision();
    if (change instanceof Created n) {
      return new Group(n.id(), n.name(), n.description(), n.owner(), n.parentId(), n.metadata(),
          n.status(), n.id(), 1, n.createdAt(), n.updatedAt(), n.updatedBy(), rev);
    }
    if (change instanceof Updated u) {
      return new Group(g.id(), u.name(), u.description(), g.ownerId(), g.parentId(), u.metadata(),
          g.status(), g.path(), g.level(), g.createdAt(), u.at(), u.by(), rev);
    }
    StatusChanged s = (StatusChanged) change;
    return new Group(g.id(), g.name(), g.description(), g.ownerId(), g.parentId(), g.metadata(),
        s.status(), g.path(), g.level(), g.createdAt(), s.at(), s.by(), rev);
  }
}
