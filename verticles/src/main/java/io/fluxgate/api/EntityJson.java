package io.fluxgate.api;

import static io.fluxgate.api.RequestFields.putIfSet;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** The JSON of the contract's two entity shapes, shared by the services: accounts (users, things) and trees (groups, channels). */
public final class EntityJson {

  private EntityJson() {}

  /** An account's entity fields: {@code id, name, identity, tags, owner, metadata, status} and the change stamps. */
  public static JsonObject account(String id, String name, String identity, JsonArray tags, String owner,
      JsonObject metadata, String status, String createdAt, String updatedAt, String updatedBy) {
    JsonObject json = new JsonObject().put("id", id);
    putIfSet(json, "name", name);
    putIfSet(json, "identity", identity);
    if (!tags.isEmpty()) {
      json.put("tags", tags.copy());
    }
    putIfSet(json, "owner", owner);
    return stamped(json, metadata, status, createdAt, updatedAt, updatedBy);
  }

  /**
   * A tree node (group, channel): for events {@code owner} and {@code parent}; for the API {@code owner_id},
   * {@code parent_id}, {@code path} and {@code level}.
   */
  public static JsonObject tree(boolean api, String id, String name, String description, String owner,
      String parentId, JsonObject metadata, String path, int level, String status, String createdAt,
      String updatedAt, String updatedBy) {
    JsonObject json = new JsonObject().put("id", id).put("name", name).put(api ? "owner_id" : "owner", owner);
    putIfSet(json, api ? "parent_id" : "parent", parentId);
    putIfSet(json, "description", description);
    if (api) {
      if (!metadata.isEmpty()) {
        json.put("metadata", metadata.copy());
      }
      json.put("path", path).put("level", level).put("status", status).put("created_at", createdAt);
      putIfSet(json, "updated_at", updatedAt);
      putIfSet(json, "updated_by", updatedBy);
      return json;
    }
    return stamped(json, metadata, status, createdAt, updatedAt, updatedBy);
  }

  private static JsonObject stamped(JsonObject json, JsonObject metadata, String status, String createdAt,
      String updatedAt, String updatedBy) {
    if (!metadata.isEmpty()) {
      json.put("metadata", metadata.copy());
    }
    json.put("status", status).put("created_at", createdAt);
    putIfSet(json, "updated_at", updatedAt);
    putIfSet(json, "updated_by", updatedBy);
    return json;
  }
}
