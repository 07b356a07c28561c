package io.fluxgate.users;

import io.fluxgate.api.EntityJson;
import io.vertx.core.json.JsonObject;

/** A group of users: part of a hierarchy (at most {@link #MAX_LEVEL} deep) owned by the user who created it. */
public record Group(
    String id,
    String name,
    String description,
    String ownerId,
    String parentId,
    JsonObject metadata,
    String status,
    String path,
    int level,
    String createdAt,
    String updatedAt,
    String updatedBy,
    long revision) {

  public static final int MAX_LEVEL = 5;

  public boolean isEnabled() {
    return User.ENABLED.equals(status);
  }

  /** The group after a change by {@code by} at {@code at}: one revision later. */
  public Group changed(String name, String description, JsonObject metadata, String status, String at, String by) {
    return new Group(id, name, description, ownerId, parentId, metadata, status, path, level, createdAt, at, by,
        revision + 1);
  }

  /** The API's representation. */
  public JsonObject toApi() {
    return EntityJson.tree(true, id, name, description, ownerId, parentId, metadata, path, level, status, createdAt,
        updatedAt, updatedBy);
  }

  /** The entity fields of the event contract. */
  public JsonObject eventFields() {
    return EntityJson.tree(false, id, name, description, ownerId, parentId, metadata, path, level, status,
        createdAt, updatedAt, updatedBy);
  }
}
