package io.fluxgate.http;

import io.fluxgate.api.ApiError;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The check a body declared {@code application/senml+json} passes before it is published: a JSON array of SenML
 * records (RFC 8428) whose fields have their types, each with a name and one value. The reference answers 400
 * otherwise, and consumers that post-process SenML never see a malformed pack.
 */
final class SenmlPayload {

  /** The media type of JSON SenML. */
  static final String MEDIA_TYPE = "application/senml+json";

  private static final Map<String, Class<?>> FIELDS = Map.ofEntries(
      Map.entry("bn", String.class), Map.entry("bt", Number.class), Map.entry("bu", String.class),
      Map.entry("bv", Number.class), Map.entry("bs", Number.class), Map.entry("bver", Number.class),
      Map.entry("n", String.class), Map.entry("u", String.class), Map.entry("v", Number.class),
      Map.entry("vs", String.class), Map.entry("vb", Boolean.class), Map.entry("vd", String.class),
      Map.entry("s", Number.class), Map.entry("t", Number.class), Map.entry("ut", Number.class));
  private static final java.util.List<String> VALUES = java.util.List.of("v", "vs", "vb", "vd");
  /** RFC 8428, 4.5.1: a name starts with a letter or digit and holds only these characters. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9\\-:./_]*");

  private SenmlPayload() {}

  /** Whether {@code contentType} names JSON SenML (parameters and case aside). */
  static boolean isSenml(String contentType) {
    return contentType != null && contentType.split(";", 2)[0].trim().equalsIgnoreCase(MEDIA_TYPE);
  }

  /** Returns when {@code body} is a valid SenML pack; a 400 naming the first fault otherwise. */
  static void check(Buffer body) {
    Object parsed;
    try {
      parsed = io.vertx.core.json.Json.decodeValue(body);
    } catch (DecodeException | IllegalStateException e) {
      throw malformed("the body is not JSON");
    }
    if (!(parsed instanceof JsonArray pack) || pack.isEmpty()) {
      throw malformed("a SenML pack is a non-empty JSON array of records");
    }
    String baseName = "";
    boolean baseValue = false;
    for (int i = 0; i < pack.size(); i++) {
      if (!(pack.getValue(i) instanceof JsonObject record)) {
        throw malformed("record " + i + " is not a JSON object");
      }
      for (String field : record.fieldNames()) {
        Class<?> type = FIELDS.get(field);
        Object value = record.getValue(field);
        if (type != null && !type.isInstance(value)) {
          throw malformed("record " + i + ": " + field + " must be a " + type.getSimpleName().toLowerCase());
        }
      }
      if (record.containsKey("bn")) {
        baseName = record.getString("bn");
      }
      baseValue |= record.containsKey("bv") || record.containsKey("bs");
      String name = baseName + record.getString("n", "");
      if (!NAME.matcher(name).matches()) {
        throw malformed("record " + i + ": the name (bn + n) '" + name + "' is empty or not a SenML name");
      }
      long values = VALUES.stream().filter(record::containsKey).count();
      if (values > 1) {
        throw malformed("record " + i + " has more than one of v, vs, vb, vd");
      }
      if (values == 0 && !record.containsKey("s") && !baseValue) {
        throw malformed("record " + i + " has no value (v, vs, vb, vd or s)");
      }
    }
  }

  private static ApiError malformed(String what) {
    return ApiError.malformed("malformed SenML: " + what);
  }
}
