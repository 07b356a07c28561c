package io.fluxgate.api;

import io.fluxgate.sql.Database;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * The {@code metadata} query filter: an entity matches when its metadata holds every top-level key of the filter
 * with an equal value. SQL narrows the candidates by key; the exact comparison happens here, the same on every
 * database.
 */
public record MetadataFilter(JsonObject wanted) {

  public static final MetadataFilter NONE = new MetadataFilter(new JsonObject());

  /** The filter of a {@code metadata} query parameter; 400 when it is not a JSON object. */
  public static MetadataFilter parse(String parameter) {
    if (parameter == null || parameter.isBlank()) {
      return NONE;
    }
    try {
      return new MetadataFilter(new JsonObject(parameter));
    } catch (DecodeException | ClassCastException e) {
      throw ApiError.malformed("metadata must be a JSON object, e.g. {\"site\":\"north\"}");
    }
  }

  public boolean isEmpty() {
    return wanted.isEmpty();
  }

  /** LIKE patterns a stored (compact JSON) metadata must match to be a candidate, one per key. */
  public java.util.List<String> candidatePatterns() {
    return wanted.fieldNames().stream()
        .map(key -> Database.containingJsonString(key, ":"))
        .toList();
  }

  public boolean matches(JsonObject metadata) {
    for (Map.Entry<String, Object> entry : wanted) {
      Object value = metadata.getValue(entry.getKey());
      if (value == null || !value.equals(entry.getValue())) {
        return false;
      }
    }
    return true;
  }
}
