package io.fluxgate.mqtt;

import io.fluxgate.codecs.DomainEvent;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Applies the things events to one event loop of the MQTT adapter once each, whichever of their two copies
 * (committed, then durable) comes first: the access cache forgets what is stale, and the loop's devices lose what
 * they may no longer do. Each loop listens itself, so a revocation queued on it at commit precedes any message the
 * device's next packet causes. Confined to that loop.
 */
final class ThingsChanges {

  /** Event ids remembered to drop the second copy; both copies of an event arrive well within this many events. */
  private static final int REMEMBERED = 4096;

  private final AccessCache access;
  private final ChannelRouter router;
  private final Map<String, Boolean> handled = new LinkedHashMap<>(256, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > REMEMBERED;
    }
  };

  ThingsChanges(AccessCache access, ChannelRouter router) {
    this.access = access;
    this.router = router;
  }

  void apply(DomainEvent event) {
    if (handled.put(event.eventId(), Boolean.TRUE) != null) {
      return;
    }
    access.invalidate(event);
    router.revoke(event);
  }
}
