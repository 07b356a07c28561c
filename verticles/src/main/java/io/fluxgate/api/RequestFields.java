package io.fluxgate.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/** The field rules every API shares: required and optional strings, tag arrays, metadata, the status filter. */
public final class RequestFields {

  public static final String ENABLED = "enabled";
  public static final String DISABLED = "disabled";

  private RequestFields() {}

  /**
   * Refuses a NUL character anywhere in {@code value} (strings and object keys, at any depth) with a 400 naming
   * where: PostgreSQL cannot store it, so every database refuses it alike, before any rule runs.
   */
  public static void rejectNul(Object value, String path) {
    if (value instanceof String text) {
      if (text.indexOf('\u0000') >= 0) {
        throw ApiError.malformed((path.isEmpty() ? "the body" : path) + " contains a NUL character (\\u0000)");
      }
    } else if (value instanceof JsonObject object) {
      for (Map.Entry<String, Object> entry : object) {
        String at = path.isEmpty() ? entry.getKey() : path + "." + entry.getKey();
        rejectNul(entry.getKey(), path.isEmpty() ? "a field name" : "a field name in " + path);
        rejectNul(entry.getValue(), at);
      }
    } else if (value instanceof JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        rejectNul(array.getValue(i), path + "[" + i + "]");
      }
    }
  }

  /** A non-blank string of at most {@code maxLength} characters; 400 naming the field otherwise. */
  public static String requiredString(JsonObject json, String field, int maxLength) {
    Object value = json.getValue(field);
    if (!(value instanceof String text) || text.isBlank()) {
      throw ApiError.malformed(field + " is required and must be a non-empty string");
    }
    if (text.length() > maxLength) {
      throw ApiError.malformed(field + " is longer than " + maxLength + " characters");
    }
    return text;
  }

  /** A string of at most {@code maxLength} characters, or "" when absent; 400 for another type. */
  public static String optionalString(JsonObject json, String field, int maxLength) {
    Object value = json.getValue(field);
    if (value == null) {
      return "";
    }
    if (!(value instanceof String text)) {
      throw ApiError.malformed(field + " must be a string");
    }
    if (text.length() > maxLength) {
      throw ApiError.malformed(field + " is longer than " + maxLength + " characters");
    }
    return text;
  }

  /** An array of strings (a copy), or an empty one when absent and not {@code required}. */
  public static JsonArray strings(JsonObject request, String field, boolean required) {
    Object value = request.getValue(field);
    if (value == null && !required) {
      return new JsonArray();
    }
    if (!(value instanceof JsonArray array && array.stream().allMatch(t -> t instanceof String))) {
      throw ApiError.malformed(field + " " + (required ? "is required and " : "") + "must be an array of strings");
    }
    return array.copy();
  }

  /** A JSON object (a copy), or an empty one when absent and not {@code required}. */
  public static JsonObject object(JsonObject request, String field, boolean required) {
    Object value = request.getValue(field);
    if (value == null && !required) {
      return new JsonObject();
    }
    if (!(value instanceof JsonObject object)) {
      throw ApiError.malformed(field + (required ? " is required and" : "") + " must be an object");
    }
    return object.copy();
  }

  /** The objects of a bulk request: 1 to {@code max} JSON objects, else 400 naming {@code what} they should be. */
  public static List<JsonObject> objects(JsonArray requests, int max, String what) {
    if (requests.isEmpty() || requests.size() > max) {
      throw ApiError.malformed("a bulk request holds 1 to " + max + " " + what + "s");
    }
    List<JsonObject> objects = new java.util.ArrayList<>(requests.size());
    for (Object each : requests) {
      if (!(each instanceof JsonObject object)) {
        throw ApiError.malformed("every element of the array must be a " + what + " object");
      }
      objects.add(object);
    }
    return objects;
  }

  /** An optional {@code status} of a new entity: null when absent, else enabled or disabled. */
  public static String newStatus(JsonObject request) {
    if (!request.containsKey("status")) {
      return null;
    }
    String status = optionalString(request, "status", 16);
    if (!status.equals(ENABLED) && !status.equals(DISABLED)) {
      throw ApiError.malformed("status must be enabled or disabled");
    }
    return status;
  }

  /** The {@code status} filter of a listing: {@code enabled} (default), {@code disabled} or {@code all}; 400 otherwise. */
  public static String statusFilter(Map<String, String> query) {
    String status = query.getOrDefault("status", ENABLED);
    if (!List.of(ENABLED, DISABLED, "all").contains(status)) {
      throw ApiError.malformed("status must be enabled, disabled or all");
    }
    return status;
  }

  /** Puts {@code value} unless it is empty: the APIs and events leave empty fields out. */
  public static void putIfSet(JsonObject json, String key, String value) {
    if (value != null && !value.isEmpty()) {
      json.put(key, value);
    }
  }
}
