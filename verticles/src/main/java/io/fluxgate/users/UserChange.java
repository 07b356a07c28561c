package io.fluxgate.users;

import static io.fluxgate.events.fold.EventFields.array;
import static io.fluxgate.events.fold.EventFields.object;
import static io.fluxgate.events.fold.EventFields.text;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.fold.EntityChange;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** The events of the user aggregate, typed, and the one rule that folds them into a {@link User} (no secret). */
public sealed interface UserChange extends EntityChange {

  String id();

  @Override
  default String key() {
    return id();
  }

  record Created(String id, long revision, String name, String identity, JsonArray tags, String owner,
      JsonObject metadata, String status, User.Role role, String createdAt, String updatedAt, String updatedBy)
      implements UserChange {}

  record Updated(String id, long revision, String name, JsonObject metadata, String at, String by)
      implements UserChange {}

  record TagsUpdated(String id, long revision, JsonArray tags, String at, String by) implements UserChange {}

  record IdentityChanged(String id, long revision, String identity, String at, String by) implements UserChange {}

  record OwnerChanged(String id, long revision, String owner, String at, String by) implements UserChange {}

  /** The secret changed (replaced or reset); the event does not say to what. */
  record SecretChanged(String id, long revision, String at, String by) implements UserChange {}

  record StatusChanged(String id, long revision, String status, String at, String by) implements UserChange {}

  /** The typed change of a users-stream event, or null if the event does not change a user. */
  static UserChange from(DomainEvent event) {
    JsonObject f = event.fields();
    String id = text(f, "id");
    long rev = event.revision();
    String at = text(f, "updated_at");
    String by = text(f, "updated_by");
    return switch (event.operation()) {
      case "user.create" -> new Created(id, rev, text(f, "name"), text(f, "identity"), array(f, "tags"),
          text(f, "owner"), object(f, "metadata"), text(f, "status"),
          "admin".equals(text(f, "role")) ? User.Role.ADMIN : User.Role.USER, text(f, "created_at"), at, by);
      case "user.update" -> new Updated(id, rev, text(f, "name"), object(f, "metadata"), at, by);
      case "user.update_tags" -> new TagsUpdated(id, rev, array(f, "tags"), at, by);
      case "user.update_identity" -> new IdentityChanged(id, rev, text(f, "identity"), at, by);
      case "user.update_owner" -> new OwnerChanged(id, rev, text(f, "owner"), at, by);
      case "user.update_secret" -> new SecretChanged(id, rev, at, by);
      case "user.reset_secret" -> new SecretChanged(text(f, "user_id"), rev, at, by);
      case "user.change_status" -> new StatusChanged(id, rev, text(f, "status"), at, by);
      default -> null;
    };
  }

  /** The user after {@code change}; {@code user} is null for a user not seen before (its create not yet here). */
  static User evolve(User user, UserChange change) {
    User u = user != null ? user : new User(change.id(), "", "", new JsonArray(), "", new JsonObject(), "",
        User.Role.USER, "", "", "", 0);
    long rev = change.revision();
    if (change instanceof Created c) {
      return new User(c.id(), c.name(), c.identity(), c.tags(), c.owner(), c.metadata(), c.status(),
          c.role(), c.createdAt(), c.updatedAt(), c.updatedBy(), rev);
    }
    if (change instanceof Updated x) {
      return new User(u.id(), x.name(), u.identity(), u.tags(), u.owner(), x.metadata(), u.status(),
          u.role(), u.createdAt(), x.at(), x.by(), rev);
    }
    if (change instanceof TagsUpdated x) {
      return new User(u.id(), u.name(), u.identity(), x.tags(), u.owner(), u.metadata(), u.status(),
          u.role(), u.createdAt(), x.at(), x.by(), rev);
    }
    if (change instanceof IdentityChanged x) {
      return new User(u.id(), u.name(), x.identity(), u.tags(), u.owner(), u.metadata(),
          u.status(), u.role(), u.createdAt(), x.at(), x.by(), rev);
    }
    if (change instanceof OwnerChanged x) {
      return new User(u.id(), u.name(), u.identity(), u.tags(), x.owner(), u.metadata(), u.status(),
          u.role(), u.createdAt(), x.at(), x.by(), rev);
    }
    if (change instanceof SecretChanged x) {
      return new User(u.id(), u.name(), u.identity(), u.tags(), u.owner(), u.metadata(), u.status(),
          u.role(), u.createdAt(), x.at(), x.by(), rev);
    }
    StatusChanged x = (StatusChanged) change;
    return new User(u.id(), u.name(), u.identity(), u.tags(), u.owner(), u.metadata(), x.status(),
        u.role(), u.createdAt(), x.at(), x.by(), rev);
  }

}
