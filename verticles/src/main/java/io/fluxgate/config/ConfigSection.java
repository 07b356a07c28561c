package io.fluxgate.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One component's part of the configuration tree, read with types: an environment variable
 * {@code FG_<SECTION>_<KEY>} wins over the key in the file, and a bad value is a {@link ConfigException} that
 * names both.
 */
public final class ConfigSection {

  private final String section;
  private final JsonObject values;
  private final Map<String, String> env;

  private ConfigSection(String section, JsonObject values, Map<String, String> env) {
    this.section = section;
    this.values = values;
    this.env = env;
  }

  /** The section named {@code section} of {@code tree} (the empty name is the tree's top level). */
  public static ConfigSection of(JsonObject tree, String section, Map<String, String> env) {
    if (section.isEmpty()) {
      return new ConfigSection(section, tree, env);
    }
    Object value = tree.getValue(section);
    if (value != null && !(value instanceof JsonObject)) {
      throw new ConfigException("configuration key '" + section + "' must be an object");
    }
    return new ConfigSection(section, value == null ? new JsonObject() : (JsonObject) value, env);
  }

  /** The environment variable that overrides {@code key} in this section. */
  public String variable(String key) {
    String name = section.isEmpty() ? key : section + "_" + key;
    return "FG_" + name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  private String path(String key) {
    return section.isEmpty() ? key : section + "." + key;
  }

  private Object raw(String key) {
    String fromEnv = env.get(variable(key));
    return fromEnv != null ? fromEnv : values.getValue(key);
  }

  private ConfigException invalid(String key, Object value, String allowed) {
    return new ConfigException(
        "invalid configuration " + path(key) + " (" + variable(key) + ") = '" + value + "': " + allowed);
  }

  public String string(String key, String fallback) {
    Object value = raw(key);
    if (value == null) {
      return fallback;
    }
    if (value instanceof JsonObject || value instanceof JsonArray) {
      throw invalid(key, value, "expected a string");
    }
    return value.toString().trim();
  }

  public int integer(String key, int fallback, int min, int max) {
    Object value = raw(key);
    if (value == null) {
      return fallback;
    }
    long parsed;
    try {
      parsed = value instanceof Number n ? n.longValue() : Long.parseLong(value.toString().trim());
    } catch (NumberFormatException e) {
      throw invalid(key, value, "expected a whole number from " + min + " to " + max);
    }
    if (parsed < min || parsed > max || (value instanceof Double d && d != Math.rint(d))) {
      throw invalid(key, value, "expected a whole number from " + min + " to " + max);
    }
    return (int) parsed;
  }

  /** A TCP port, 0 meaning "any free port". */
  public int port(String key, int fallback) {
    return integer(key, fallback, 0, 65_535);
  }

  public boolean bool(String key, boolean fallback) {
    Object value = raw(key);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Boolean b) {
      return b;
    }
    return switch (value.toString().trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1", "on" -> true;
      case "false", "no", "0", "off" -> false;
      default -> throw invalid(key, value, "expected true or false");
    };
  }

  /** A duration written as ISO-8601 ({@code PT30S}) or a number with a unit: {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 7d}. */
  public Duration duration(String key, Duration fallback) {
    Object value = raw(key);
    if (value == null) {
      return fallback;
    }
    try {
      return durationOf(value.toString());
    } catch (RuntimeException e) {
      throw invalid(key, value, "expected a duration such as 250ms, 30s, 5m, 2h, 7d or PT30S");
    }
  }

  /** A duration as {@link #duration} reads it; a RuntimeException when {@code text} is none. */
  public static Duration durationOf(String text) {
    String lower = text.trim().toLowerCase(Locale.ROOT);
    if (lower.startsWith("p")) {
      return Duration.parse(lower.toUpperCase(Locale.ROOT));
    }
    int split = 0;
    while (split < lower.length() && Character.isDigit(lower.charAt(split))) {
      split++;
    }
    long amount = Long.parseLong(lower.substring(0, split));
    return switch (lower.substring(split)) {
      case "ms" -> Duration.ofMillis(amount);
      case "s", "" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      case "h" -> Duration.ofHours(amount);
      case "d" -> Duration.ofDays(amount);
      default -> throw new NumberFormatException();
    };
  }

  /** A value read by {@code parser}, which throws a RuntimeException for a bad one; {@code allowed} says what fits. */
  public <T> T parsed(String key, T fallback, String allowed, java.util.function.Function<String, T> parser) {
    Object value = raw(key);
    if (value == null) {
      return fallback;
    }
    try {
      return parser.apply(value.toString().trim());
    } catch (RuntimeException e) {
      throw invalid(key, value, allowed);
    }
  }

  /** One of {@code allowed}, compared without case. */
  public String choice(String key, String fallback, List<String> allowed) {
    String value = string(key, fallback).toLowerCase(Locale.ROOT);
    if (!allowed.contains(value)) {
      throw invalid(key, value, "expected one of " + String.join(", ", allowed));
    }
    return value;
  }

  /** A list given as a JSON array in the file or as comma-separated text. */
  public List<String> list(String key, List<String> fallback) {
    Object value = raw(key);
    if (value == null) {
      return fallback;
    }
    List<String> items = new ArrayList<>();
    if (value instanceof JsonArray array) {
      array.forEach(item -> items.add(String.valueOf(item).trim()));
    } else {
      Arrays.stream(value.toString().split(",")).map(String::trim).forEach(items::add);
    }
    items.removeIf(String::isEmpty);
    return items;
  }
}
