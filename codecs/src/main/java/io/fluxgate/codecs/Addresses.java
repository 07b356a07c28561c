package io.fluxgate.codecs;

/** Every event-bus address of Fluxgate, in one place. */
public final class Addresses {

  /** Prefix of the addresses that carry domain events; the rest of the address is the stream name. */
  public static final String EVENTS_PREFIX = "events.";

  /** Users service: an access token (String) in, the caller's user id (String) out, or a 401 failure. */
  public static final String USERS_IDENTIFY = "fluxgate.users.identify";

  private Addresses() {}

  /** The address on which the events of {@code stream} (for example {@code fluxgate.things}) are published. */
  public static String events(String stream) {
    return EVENTS_PREFIX + stream;
  }

  /** The stream of an events address, or null when the address carries no domain events. */
  public static String streamOf(String address) {
    return address.startsWith(EVENTS_PREFIX) ? address.substring(EVENTS_PREFIX.length()) : null;
  }
}
