package io.fluxgate.users;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** What one user (the subject) may do with one group (the object), granted by the group's owner. */
public record Policy(String subject, String object, List<String> actions, String ownerId, String createdAt,
    String updatedAt, String updatedBy, long revision) {

  /** The actions the reference API knows. */
  public static final List<String> ACTIONS = List.of(
      "g_add", "g_list", "g_update", "g_delete", "c_add", "c_list", "c_update", "c_delete", "m_read", "m_write");

  public boolean allows(String action) {
    return actions.contains(action);
  }

  public JsonObject toApi() {
    JsonObject json = new JsonObject().put("owner_id", ownerId).put("subject", subject).put("object", object)
        .put("actions", new JsonArray(actions)).put("created_at", createdAt);
    if (!updatedAt.isEmpty()) {
      json.put("updated_at", updatedAt).put("updated_by", updatedBy);
    }
    return json;
  }
}
