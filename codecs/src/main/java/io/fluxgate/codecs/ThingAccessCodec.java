package io.fluxgate.codecs;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.nio.charset.StandardCharsets;

/** Carries a {@link ThingAccess} across the cluster: action byte, then the two ids, each length-prefixed. */
public final class ThingAccessCodec implements MessageCodec<ThingAccess, ThingAccess> {

  private static final ThingAccess.Action[] ACTIONS = ThingAccess.Action.values();

  @Override
  public void encodeToWire(Buffer buffer, ThingAccess access) {
    buffer.appendByte((byte) access.action().ordinal());
    appendString(buffer, access.thingId());
    appendString(buffer, access.channelId());
  }

  private static void appendString(Buffer buffer, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    buffer.appendShort((short) bytes.length).appendBytes(bytes);
  }

  @Override
  public ThingAccess decodeFromWire(int pos, Buffer buffer) {
    ThingAccess.Action action = ACTIONS[buffer.getByte(pos)];
    int thingLength = buffer.getUnsignedShort(pos + 1);
    String thing = buffer.getString(pos + 3, pos + 3 + thingLength, "UTF-8");
    int channelAt = pos + 3 + thingLength;
    int channelLength = buffer.getUnsignedShort(channelAt);
    String channel = buffer.getString(channelAt + 2, channelAt + 2 + channelLength, "UTF-8");
    return new ThingAccess(thing, channel, action);
  }

  @Override
  public ThingAccess transform(ThingAccess access) {
    return access;
  }

  @Override
  public String name() {
    return "fluxgate.thing-access";
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
