package io.fluxgate.api;

import io.fluxgate.sql.Page;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.function.Function;

/** The {@code offset} and {@code limit} of a listing (limit 1 to 100, default 10), and the page it answers with. */
public record PageRequest(int offset, int limit) {

  public static final int MAX_LIMIT = 100;

  /** Reads {@code offset} and {@code limit} from a query; 400 naming the parameter when one is out of range. */
  public static PageRequest from(Map<String, String> query) {
    return new PageRequest(integer(query, "offset", 0, 0, Integer.MAX_VALUE), integer(query, "limit", 10, 1, MAX_LIMIT));
  }

  /** A whole-number query parameter within {@code min..max}; 400 naming it otherwise. */
  public static int integer(Map<String, String> query, String key, int fallback, int min, int max) {
    String value = query.get(key);
    if (value == null) {
      return fallback;
    }
    try {
      int parsed = Integer.parseInt(value.trim());
      if (parsed >= min && parsed <= max) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // Answered below, with the same message as an out-of-range number.
    }
    throw ApiError.malformed(key + " must be a whole number from " + min + " to " + max);
  }

  /** The API's page: {@code total}, {@code offset}, {@code limit} and the items under {@code key}. */
  public <T> JsonObject toJson(String key, Page<T> page, Function<T, JsonObject> item) {
    JsonArray items = new JsonArray();
    page.items().forEach(each -> items.add(item.apply(each)));
    return toJson(key, page.total(), items);
  }

  /** The same, for items already rendered (a tree of groups, for instance). */
  public JsonObject toJson(String key, long total, JsonArray items) {
    return new JsonObject().put("total", total).put("offset", offset).put("limit", limit).put(key, items);
  }
}
