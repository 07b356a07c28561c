package io.fluxgate.things;

import static io.fluxgate.events.fold.EventFields.array;
import static io.fluxgate.events.fold.EventFields.object;
import static io.fluxgate.events.fold.EventFields.text;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.fold.EntityChange;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** The events of the thing aggregate, typed, and the one rule that folds them into a {@link Thing}. */
public sealed interface ThingChange extends EntityChange {

  String id();

  @Override
  default String key() {
    return id();
  }

  record Created(String id, long revision, String name, String identity, JsonArray tags, String owner,
      JsonObject metadata, String status, String createdAt, String updatedAt, String updatedBy) implements ThingChange {}

  record Updated(String id, long revision, String name, JsonObject metadata, String at, String by)
      implements ThingChange {}

  record TagsUpdated(String id, long revision, JsonArray tags, String at, String by) implements ThingChange {}

  /** The key changed; the event does not say to what. */
  record KeyChanged(String id, long revision, String at, String by) implements ThingChange {}

  record OwnerChanged(String id, long revision, String owner, String at, String by) implements ThingChange {}

  record StatusChanged(String id, long revision, String status, String at, String by) implements ThingChange {}

  record Removed(String id, long revision) implements ThingChange {
    @Override
    public boolean removes() {
      return true;
    }
  }

  /** The typed change of a things-stream event, or null if the event does not change a thing. */
  static ThingChange from(DomainEvent event) {
    JsonObject f = event.fields();
    String id = text(f, "id");
    long rev = event.revision();
    return switch (event.operation()) {
      case "thing.create" -> new Created(id, rev, text(f, "name"), text(f, "identity"), array(f, "tags"),
          text(f, "owner"), object(f, "metadata"), text(f, "status"), text(f, "created_at"), text(f, "updated_at"),
          text(f, "updated_by"));
      case "thing.update" -> new Updated(id, rev, text(f, "name"), object(f, "metadata"), text(f, "updated_at"),
          text(f, "updated_by"));
      case "thing.update_tags" -> new TagsUpdated(id, rev, array(f, "tags"), text(f, "updated_at"),
          text(f, "updated_by"));
      case "thing.update_secret" -> new KeyChanged(id, rev, text(f, "updated_at"), text(f, "updated_by"));
      case "thing.update_owner" -> new OwnerChanged(id, rev, text(f, "owner"), text(f, "updated_at"),
          text(f, "updated_by"));
      case "thing.change_status" -> new StatusChanged(id, rev, text(f, "status"), text(f, "updated_at"),
          text(f, "updated_by"));
      case "thing.remove" -> new Removed(id, rev);
      default -> null;
    };
  }

  /** The thing after {@code change}; {@code thing} is null for a thing not seen before (its create not yet here). */
  static Thing evolve(Thing thing, ThingChange change) {
    Thing t = thing != null ? thing : new Thing(change.id(), "", "", new JsonArray(), "", new JsonObject(), "", "", "",
        "", 0);
    long rev = change.revision();
    if (change instanceof Created c) {
      return new Thing(c.id(), c.name(), c.identity(), c.tags(), c.owner(), c.metadata(), c.status(),
          c.createdAt(), c.updatedAt(), c.updatedBy(), rev);
    }
    if (change instanceof Updated u) {
      return new Thing(t.id(), u.name(), t.identity(), t.tags(), t.owner(), u.metadata(), t.status(),
          t.createdAt(), u.at(), u.by(), rev);
    }
    if (change instanceof TagsUpdated u) {
      return new Thing(t.id(), t.name(), t.identity(), u.tags(), t.owner(), t.metadata(), t.status(),
          t.createdAt(), u.at(), u.by(), rev);
    }
    if (change instanceof KeyChanged k) {
      return new Thing(t.id(), t.name(), t.identity(), t.tags(), t.owner(), t.metadata(), t.status(),
          t.createdAt(), k.at(), k.by(), rev);
    }
    if (change instanceof OwnerChanged o) {
      return new Thing(t.id(), t.name(), t.identity(), t.tags(), o.owner(), t.metadata(), t.status(),
          t.createdAt(), o.at(), o.by(), rev);
    }
    if (change instanceof StatusChanged s) {
      return new Thing(t.id(), t.name(), t.identity(), t.tags(), t.owner(), t.metadata(), s.status(),
          t.createdAt(), s.at(), s.by(), rev);
    }
    return null;
  }
}
