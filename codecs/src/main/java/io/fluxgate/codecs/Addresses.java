package io.fluxgate.codecs;

/** Every event-bus address of Fluxgate, in one place. */
public final class Addresses {

  /** Prefix of the addresses that carry domain events; the rest of the address is the stream name. */
  public static final String EVENTS_PREFIX = "events.";

  /** Users service: an access token (String) in, {@code {"id", "admin"}} of its enabled user out, or a 401 failure. */
  public static final String USERS_IDENTIFY = "fluxgate.users.identify";

  /** Things service: {@code {"thing_id", "key"}} in, Boolean out: whether the key is the enabled thing's key. */
  public static final String THINGS_AUTHENTICATE = "fluxgate.things.authenticate";

  /** Things service: a thing key (String) in, the id of its enabled thing out, or a 401 failure. */
  public static final String THINGS_IDENTIFY = "fluxgate.things.identify";

  /** Things service: a {@link ThingAccess} in, Boolean out: whether the thing may do that on the channel. */
  public static final String THINGS_AUTHORIZE = "fluxgate.things.authorize";

  /**
   * Things service, for bootstrap: {@code {"owner", "thing_ids", "channel_ids", "actions"}} in, connected or a
   * failure with the HTTP status of the refusal as its code.
   */
  public static final String THINGS_CONNECT = "fluxgate.things.connect";

  /** Things service, for bootstrap: {@code {"owner", "thing_ids", "channel_ids"}} in, disconnected or a failure. */
  public static final String THINGS_DISCONNECT = "fluxgate.things.disconnect";

  /**
   * MQTT adapters: {@code {"channel_id", "group", "filter"}} published when a node has the first member of a shared
   * subscription, so every node sends that channel's messages to the group's address.
   */
  public static final String MQTT_SHARED_GROUPS = "fluxgate.mqtt.shared-groups";

  private Addresses() {}

  /** The address on which the events of {@code stream} (for example {@code fluxgate.things}) are published. */
  public static String events(String stream) {
    return EVENTS_PREFIX + stream;
  }

  /**
   * Where a committed change's events are also published at once, unpersisted and without waiting for the event
   * store (which may be slow or down), for those who must react before the log delivers: the MQTT adapter taking a
   * right away. The same events follow on {@link #events} once stored; consumers drop the second copy by event id.
   */
  public static String committed(String stream) {
    return "fluxgate.committed." + stream;
  }

  /** The stream of an events address, or null when the address carries no domain events. */
  public static String streamOf(String address) {
    return address.startsWith(EVENTS_PREFIX) ? address.substring(EVENTS_PREFIX.length()) : null;
  }
}
