package io.fluxgate.events.fold;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** Tolerant reads of an event's fields: the contract leaves empty fields out, so absent means empty. */
public final class EventFields {

  private EventFields() {}

  public static String text(JsonObject fields, String name) {
    return fields.getValue(name) instanceof String text ? text : "";
  }

  public static JsonObject object(JsonObject fields, String name) {
    return fields.getValue(name) instanceof JsonObject object ? object.copy() : new JsonObject();
  }

  public static JsonArray array(JsonObject fields, String name) {
    return fields.getValue(name) instanceof JsonArray array ? array.copy() : new JsonArray();
  }

  public static List<String> strings(JsonObject fields, String name) {
    List<String> all = new ArrayList<>();
    array(fields, name).forEach(each -> all.add(String.valueOf(each)));
    return List.copyOf(all);
  }

  /** The key of a pair entity (a connection, a policy). */
  public static String pair(String subject, String object) {
    return subject + "/" + object;
  }
}
