package io.fluxgate.users;

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
    JsonObject json = new JsonObject().put("id", id).put("name", name).put("owner_id", ownerId);
    putIfSet(json, "parent_id", parentId);
    putIfSet(json, "description", description);
    if (!metadata.isEmpty()) {
      json.put("metadata", metadata.copy());
    }
    json.put("path", path).put("level", level).put("status", status).put("created_at", createdAt);
    putIfSet(json, "updated_at", updatedAt);
    putIfSet(json, "updated_by", updatedBy);
    return json;
  }

  /** The entity fields of the event contract. */
  public JsonObject eventFields() {
    JsonObject json = new JsonObject().put("id", id).put("name", name).put("owner", ownerId);
    putIfSet(json, "parent", parentId);
    putIfSet(json, "description", description);
    if (!metadata.isEmpty()) {
      json.put("metadata", metadata.copy());
    }
    json.put("status", status).put("created_at", createdAt);
    putIfSet(json, "updated_at", updatedAt);
    putIfSet(json, "updated_by", updatedBy);
    return json;
  }

  private static void putIfSet(JsonObject json, String key, String value) {
    if (value != null && !value.isEmpty()) {
      json.put(key, value);
    }
  }
}
