package io.fluxgate.things;

import io.fluxgate.api.EntityJson;
import io.fluxgate.api.RequestFields;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** A device as the things service knows it; its key lives apart, sealed, and is handed out only to its owner. */
public record Thing(
    String id,
    String name,
    String identity,
    JsonArray tags,
    String owner,
    JsonObject metadata,
    String status,
    String createdAt,
    String updatedAt,
    String updatedBy,
    long revision) {

  public boolean isEnabled() {
    return RequestFields.ENABLED.equals(status);
  }

  /** The thing after a change by {@code by} at {@code at}: one revision later. */
  public Thing changed(String name, JsonArray tags, String owner, JsonObject metadata, String status, String at,
      String by) {
    return new Thing(id, name, identity, tags, owner, metadata, status, createdAt, at, by, revision + 1);
  }

  /** The API's representation, with {@code key} as {@code credentials.secret} ("" where the spec hides it). */
  public JsonObject toApi(String key) {
    JsonObject json = eventFields();
    json.remove("identity");
    return json.put("credentials", new JsonObject().put("identity", identity).put("secret", key));
  }

  /** The entity fields of the event contract (never the key). */
  public JsonObject eventFields() {
    return EntityJson.account(id, name, identity, tags, owner, metadata, status, createdAt, updatedAt, updatedBy);
  }
}
