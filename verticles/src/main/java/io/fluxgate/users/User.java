package io.fluxgate.users;

import io.fluxgate.api.EntityJson;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** A user account as the service knows it, without its secret (which only the repository ever handles). */
public record User(
    String id,
    String name,
    String identity,
    JsonArray tags,
    String owner,
    JsonObject metadata,
    String status,
    Role role,
    String createdAt,
    String updatedAt,
    String updatedBy,
    long revision) {

  public static final String ENABLED = io.fluxgate.api.RequestFields.ENABLED;
  public static final String DISABLED = io.fluxgate.api.RequestFields.DISABLED;

  /** What a user may do beyond its own account. */
  public enum Role {
    USER,
    ADMIN
  }

  /** The user after a change by {@code by} at {@code at}: one revision later. */
  public User changed(String name, String identity, JsonArray tags, String owner, JsonObject metadata,
      String status, String at, String by) {
    return new User(id, name, identity, tags, owner, metadata, status, role, createdAt, at, by, revision + 1);
  }


  /** The role as events name it: {@code admin} or {@code user}. */
  public String roleName() {
    return role.name().toLowerCase(java.util.Locale.ROOT);
  }

  public boolean isAdmin() {
    return role == Role.ADMIN;
  }

  public boolean isEnabled() {
    return ENABLED.equals(status);
  }

  /** The API's representation: the entity fields with the identity under {@code credentials}. */
  public JsonObject toApi() {
    JsonObject json = eventFields();
    json.remove("identity");
    return json.put("credentials", new JsonObject().put("identity", identity));
  }

  /** The entity fields of the event contract (never the secret). */
  public JsonObject eventFields() {
    return EntityJson.account(id, name, identity, tags, owner, metadata, status, createdAt, updatedAt, updatedBy);
  }

}
