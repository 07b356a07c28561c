package io.fluxgate.codecs;

/** Every event-bus address of Fluxgate, in one place. */
public final class Addresses {

  /** Prefix of the addresses that carry domain events; the rest of the address is the stream name. */
  public static final String EVENTS_PREFIX = "events.";

  /** Users service: an access token (String) in, {@code {"id", "admin"}} of its enabled user out, or a 401 failure. */
  public static final String USERS_IDENTIFY = "fluxgate.users.identify";

  /** Users service: a user id (String) in, Boolean out: whether such a user exists (to own something). */
  public static final String USERS_EXISTS = "fluxgate.users.exists";

  /** Things service: {@code {"thing_id", "key"}} in, Boolean out: whether the key is the enabled thing's key. */
  public static final String THINGS_AUTHENTICATE = "fluxgate.things.authenticate";

  /** Things service: a thing key (String) in, the id of its enabled thing out, or a 401 failure. */
  public static final String THINGS_IDENTIFY = "fluxgate.things.identify";

  /** Things service: a {@link ThingAccess} in, Boolean out: whether the thing may do that on the channel. */
  public static final String THINGS_AUTHORIZE = "fluxgate.things.authorize";

  /**
   * Things service, for bootstrap: a {@link UserRequest} with {@code {"thing_ids", "channel_ids", "actions"}}; the
   * things service identifies the user from the request's token and connects only what that user owns. Answers
   * {@code {"connected": n}}, or a failure whose code is the HTTP status of the refusal (401, 403, 404, 409).
   */
  public static final String THINGS_CONNECT = "fluxgate.things.connect";

  /** Things service, for bootstrap: a {@link UserRequest} with {@code {"thing_ids", "channel_ids"}}; as above. */
  public static final String THINGS_DISCONNECT = "fluxgate.things.disconnect";

  /**
   * Things service, for bootstrap: a {@link UserRequest} whose fields are a {@code POST /things} body; answers the
   * created thing with its key, or a failure as above.
   */
  public static final String THINGS_CREATE = "fluxgate.things.create";

  /** Things service, for bootstrap: a {@link UserRequest} with {@code {"thing_id"}}; the user's thing with its key. */
  public static final String THINGS_VIEW = "fluxgate.things.view";

  /**
   * Things service, for bootstrap: a {@link UserRequest} with {@code {"channel_ids"}}; answers {@code {"channels":
   * [{"id", "name", "metadata", "revision"}]}} when every channel exists (404) and is the user's (403).
   */
  public static final String THINGS_CHANNELS = "fluxgate.things.channels";

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
