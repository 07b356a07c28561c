package io.fluxgate.bootstrap;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A bootstrap config without its secrets (external key, thing key, client key): what the bootstrap stream carries,
 * so what replay rebuilds and compares with the database.
 */
public record ConfigWithoutSecrets(String thingId, String externalId, String owner, String name, String content,
    int state, List<String> channelIds, String clientCert, String caCert, long revision) {

  public ConfigWithoutSecrets {
    channelIds = List.copyOf(channelIds);
  }

  /** Every field, empty ones included, so that a field set on one side and empty on the other shows. */
  public JsonObject toJson() {
    return new JsonObject().put("thing_id", thingId).put("external_id", externalId).put("owner", owner)
        .put("name", name).put("content", content).put("state", state).put("channels", new JsonArray(channelIds))
        .put("client_cert", clientCert).put("ca_cert", caCert).put("revision", revision);
  }
}
