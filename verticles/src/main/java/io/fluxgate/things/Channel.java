package io.fluxgate.things;

import io.fluxgate.api.EntityJson;
import io.fluxgate.api.RequestFields;
import io.vertx.core.json.JsonObject;

/** A channel: where messages of connected things flow; part of a hierarchy at most {@link #MAX_LEVEL} deep. */
public record Channel(
    String id,
    String name,
    String description,
    String owner,
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
    return RequestFields.ENABLED.equals(status);
  }

  /** The channel after a change by {@code by} at {@code at}: one revision later. */
  public Channel changed(String name, String description, JsonObject metadata, String status, String at, String by) {
    return new Channel(id, name, description, owner, parentId, metadata, status, path, level, createdAt, at, by,
        revision + 1);
  }

  /** The API's representation. */
  public JsonObject toApi() {
    return EntityJson.tree(true, id, name, description, owner, parentId, metadata, path, level, status, createdAt,
        updatedAt, updatedBy);
  }

  /** The entity fields of the event contract. */
  public JsonObject eventFields() {
    return EntityJson.tree(false, id, name, description, owner, parentId, metadata, path, level, status, createdAt,
        updatedAt, updatedBy);
  }
}
