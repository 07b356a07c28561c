package io.fluxgate.bootstrap;

import io.vertx.core.json.JsonObject;

/** A channel as a config names it: its id, and the name and metadata kept current from the things stream. */
public record ConfigChannel(String id, String name, JsonObject metadata) {

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("id", id);
    if (!name.isEmpty()) {
      json.put("name", name);
    }
    if (!metadata.isEmpty()) {
      json.put("metadata", metadata.copy());
    }
    return json;
  }
}
