package io.fluxgate.codecs;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/** Carries a {@link UserRequest} across the cluster as length-prefixed JSON {@code {"token", "fields"}}. */
public final class UserRequestCodec implements MessageCodec<UserRequest, UserRequest> {

  @Override
  public void encodeToWire(Buffer buffer, UserRequest request) {
    Buffer json = new JsonObject().put("token", request.accessToken()).put("fields", request.fields()).toBuffer();
    buffer.appendInt(json.length()).appendBuffer(json);
  }

  @Override
  public UserRequest decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    JsonObject json = new JsonObject(buffer.getBuffer(pos + 4, pos + 4 + length));
    return new UserRequest(json.getString("token"), json.getJsonObject("fields"));
  }

  @Override
  public UserRequest transform(UserRequest request) {
    return new UserRequest(request.accessToken(), request.fields().copy());
  }

  @Override
  public String name() {
    return "fluxgate.user-request";
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
