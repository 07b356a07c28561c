package io.fluxgate.things;

import static io.fluxgate.api.RequestFields.putIfSet;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** A thing's right to use a channel ({@code m_read} to subscribe, {@code m_write} to publish): a thing policy. */
public record Connection(
    String thingId,
    String channelId,
    List<String> actions,
    String owner,
    String createdAt,
    String updatedAt,
    String updatedBy,
    long revision) {

  public static final String READ = "m_read";
  public static final String WRITE = "m_write";
  public static final List<String> ALL = List.of(READ, WRITE);

  /** The connection with new actions, set by {@code by} at {@code at}. */
  public Connection withActions(List<String> newActions, String at, String by) {
    return new Connection(thingId, channelId, newActions, owner, createdAt, at, by, revision + 1);
  }

  /** The API's policy representation. */
  public JsonObject toApi() {
    JsonObject json = new JsonObject().put("owner_id", owner).put("subject", thingId).put("object", channelId)
        .put("actions", new JsonArray(actions)).put("created_at", createdAt);
    putIfSet(json, "updated_at", updatedAt);
    putIfSet(json, "updated_by", updatedBy);
    return json;
  }
}
