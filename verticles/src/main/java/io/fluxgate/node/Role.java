package io.fluxgate.node;

import io.fluxgate.config.ConfigException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** A part of Fluxgate a node can run; nodes given different roles split the work. */
public enum Role {
  USERS,
  THINGS,
  BOOTSTRAP,
  HTTP,
  MQTT;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses role names; {@code all} (or nothing) means every role. */
  public static List<Role> parse(List<String> names, String source) {
    if (names.isEmpty() || names.contains("all")) {
      return List.of(values());
    }
    List<Role> roles = new ArrayList<>();
    for (String name : names) {
      Role role = Arrays.stream(values()).filter(r -> r.id().equals(name.toLowerCase(Locale.ROOT))).findFirst()
          .orElseThrow(() -> new ConfigException("invalid configuration " + source + " = '" + name
              + "': expected all or a comma-separated list of " + String.join(", ", all())));
      if (!roles.contains(role)) {
        roles.add(role);
      }
    }
    return roles;
  }

  private static List<String> all() {
    return Arrays.stream(values()).map(Role::id).toList();
  }
}
