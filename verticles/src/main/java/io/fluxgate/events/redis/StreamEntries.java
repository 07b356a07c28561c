package io.fluxgate.events.redis;

import io.fluxgate.codecs.DomainEvent;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The layout of an event as a stream entry: one field per top-level key of the event's JSON, strings as they are,
 * {@code occurred_at} and {@code revision} in decimal, every other non-string value as compact JSON text and
 * named in the entry's last field, {@link #JSON_FIELDS} (a JSON array of names), so a string that looks like a
 * number stays a string when read back.
 */
final class StreamEntries {

  /** The field that lists which fields hold JSON text; absent when every operation field is a string. */
  static final String JSON_FIELDS = "_json";

  private StreamEntries() {}

  /** Adds the count of the entry's field-value arguments of {@code event}, then the arguments, to {@code request}. */
  static void addCountedFields(Request request, DomainEvent event) {
    List<String> fields = fields(event);
    request.arg(fields.size());
    fields.forEach(request::arg);
  }

  /** The entry's field-value pairs of {@code event}, flat: name, value, name, value... */
  static List<String> fields(DomainEvent event) {
    List<String> fields = new ArrayList<>(12 + 2 * event.fields().size());
    fields.add(DomainEvent.OPERATION);
    fields.add(event.operation());
    fields.add(DomainEvent.OCCURRED_AT);
    fields.add(String.valueOf(event.occurredAt()));
    fields.add(DomainEvent.EVENT_ID);
    fields.add(event.eventId());
    fields.add(DomainEvent.INSTANCE);
    fields.add(event.instance());
    if (event.revision() != DomainEvent.NO_REVISION) {
      fields.add(DomainEvent.REVISION);
      fields.add(String.valueOf(event.revision()));
    }
    JsonArray json = null;
    for (Map.Entry<String, Object> field : event.fields()) {
      Object value = field.getValue();
      fields.add(field.getKey());
      if (value instanceof String text) {
        fields.add(text);
        continue;
      }
      String encoded = Json.encode(value);
      if (!isJsonValue(value)) {
        // Instants, byte arrays and the like are strings in the JSON body, so they are strings here too.
        fields.add((String) Json.decodeValue(encoded));
        continue;
      }
      fields.add(encoded);
      if (json == null) {
        json = new JsonArray();
      }
      json.add(field.getKey());
    }
    if (json != null) {
      fields.add(JSON_FIELDS);
      fields.add(json.encode());
    }
    return fields;
  }

  private static boolean isJsonValue(Object value) {
    return value == null || value instanceof Number || value instanceof Boolean || value instanceof JsonObject
        || value instanceof JsonArray || value instanceof Map || value instanceof List;
  }

  /** The event stored as {@code fields} (the flat name, value list of an entry) on {@code stream}. */
  static DomainEvent decode(String stream, Response fields) {
    Map<String, String> raw = new LinkedHashMap<>();
    for (int i = 0; i + 1 < fields.size(); i += 2) {
      raw.put(fields.get(i).toString(), fields.get(i + 1) == null ? null : fields.get(i + 1).toString());
    }
    String listed = raw.remove(JSON_FIELDS);
    List<Object> jsonFields = listed == null ? List.of() : new JsonArray(listed).getList();
    JsonObject json = new JsonObject(new LinkedHashMap<>(raw.size()));
    for (Map.Entry<String, String> field : raw.entrySet()) {
      String name = field.getKey();
      String value = field.getValue();
      if (name.equals(DomainEvent.OCCURRED_AT) || name.equals(DomainEvent.REVISION)) {
        json.put(name, Long.parseLong(value));
      } else if (value != null && jsonFields.contains(name)) {
        json.put(name, Json.decodeValue(value));
      } else {
        json.put(name, value);
      }
    }
    return DomainEvent.fromJson(stream, json);
  }

  /** The {@code event_id} field of an entry's flat field list, or null. */
  static String eventId(Response fields) {
    for (int i = 0; i + 1 < fields.size(); i += 2) {
      if (DomainEvent.EVENT_ID.equals(fields.get(i).toString())) {
        return fields.get(i + 1).toString();
      }
    }
    return null;
  }

  /** The entries of an XRANGE / XREAD reply ({@code [[id, [field, value, ...]], ...]}), as id and fields. */
  static List<Entry> entries(Response reply) {
    List<Entry> entries = new ArrayList<>();
    if (reply == null) {
      return entries;
    }
    for (int i = 0; i < reply.size(); i++) {
      Response entry = reply.get(i);
      if (entry != null) {
        entries.add(new Entry(entry.get(0).toString(), entry.size() > 1 ? entry.get(1) : null));
      }
    }
    return entries;
  }

  /** One stream entry; {@code fields} is null for an entry trimmed away while it was pending. */
  record Entry(String id, Response fields) {}
}
