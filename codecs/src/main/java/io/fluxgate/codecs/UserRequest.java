package io.fluxgate.codecs;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * A request one service makes of another for a signed-in user: the user's access token, which the receiving service
 * verifies itself (with the users service) to decide what the user may do, and the request's fields. The token is
 * never printed.
 */
public record UserRequest(String accessToken, JsonObject fields) {

  public UserRequest {
    Objects.requireNonNull(accessToken, "accessToken");
    fields = fields == null ? new JsonObject() : fields;
  }

  @Override
  public String toString() {
    return "UserRequest[fields=" + fields.fieldNames() + "]";
  }
}
