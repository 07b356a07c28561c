package io.fluxgate.codecs;

/** A question for the things service's access index: may this thing publish or subscribe on this channel? */
public record ThingAccess(String thingId, String channelId, Action action) {

  /** What a thing wants to do on a channel; publish needs {@code m_write}, subscribe needs {@code m_read}. */
  public enum Action {
    PUBLISH("m_write"),
    SUBSCRIBE("m_read");

    private final String policy;

    Action(String policy) {
      this.policy = policy;
    }

    /** The connection action ({@code m_write} or {@code m_read}) this needs. */
    public String policy() {
      return policy;
    }
  }
}
