package io.fluxgate.users;

import io.fluxgate.api.RequestFields;
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
    RequestFields.putIfSet(json, "parent_id", parentId);
    RequestFields.putIfSet(json, "description", description);
    if (!metadata.isEmpty()) {
      json.put("metadata", metadata.copy());
    }
    json.put("path", path).put("level", level).put("status", status).put("created_at", createdAt);
    RequestFields.putIfSet(json, "updated_at", updatedAt);
    RequestFields.putIfSet(json, "updated_by", updatedBy);
    return json;
  }

  /** The entity fields of the event contract. */
  public JsonObject eventFields() {
    JsonObject json = new JsonObject().put("id", id).put("name", name).put("owner", ownerId);
    RequestFields.putIfSet(json, "parent", parentId);
    RequestFields.putIfSet(json, "description", description);
    if (!metadata.isEmpty()) {
      json.put("metadata", metadata.copy());
    }
    json.put("status", status).put("created_at", createdAt);
    RequestFields.putIfSet(json, "updated_at", updatedAt);
    RequestFields.putIfSet(json, "updated_by", updatedBy);
    return json;
  }
}
