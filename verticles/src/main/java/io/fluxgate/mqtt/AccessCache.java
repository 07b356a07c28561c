package io.fluxgate.mqtt;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.ThingAccess;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The things service's answers, kept on this node so a publish costs no round trip: which key opens which thing
 * (as a SHA-256 of the key, never the key) and what a thing may do on a channel. Entries go when a things event
 * says the key changed, a thing or channel was disabled or removed, or a connection changed.
 */
public final class AccessCache {

  /** Per thing, answers about at most this many channels are kept; beyond it a denial is asked again, not kept. */
  static final int MAX_CHANNELS_PER_THING = 1024;

  private final EventBus bus;
  /** Bounds each question to the things service (node.bus_timeout): a device waits that long at most, not 30 s. */
  private final io.vertx.core.eventbus.DeliveryOptions asking;
  private final Map<String, byte[]> keyDigests = new ConcurrentHashMap<>();
  // thingId -> channelId -> bits: 1 publish known, 2 publish allowed, 4 subscribe known, 8 subscribe allowed.
  private final Map<String, Map<String, Integer>> grants = new ConcurrentHashMap<>();
  // Bumped by every invalidation, so an answer that was in flight meanwhile is used but not kept.
  private final java.util.concurrent.atomic.AtomicLong generation = new java.util.concurrent.atomic.AtomicLong();

  public AccessCache(EventBus bus, java.time.Duration timeout) {
    this.bus = bus;
    this.asking = new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(timeout.toMillis());
  }

  /** Whether {@code key} opens the enabled thing {@code thingId}; asks the things service on a miss. */
  public Future<Boolean> authenticate(String thingId, String key) {
    byte[] digest = digest(key);
    byte[] known = keyDigests.get(thingId);
    if (known != null && MessageDigest.isEqual(known, digest)) {
      return Future.succeededFuture(true);
    }
    long asked = generation.get();
    return bus.<Boolean>request(Addresses.THINGS_AUTHENTICATE, new JsonObject().put("thing_id", thingId)
        .put("key", key), asking).map(reply -> {
          if (reply.body() && generation.get() == asked) {
            keyDigests.put(thingId, digest);
          }
          return reply.body();
        });
  }

  /** The cached answer without allocating: {@code ALLOWED}, {@code DENIED} or {@code UNKNOWN} (ask then). */
  public int cached(String thingId, String channelId, ThingAccess.Action action) {
    Map<String, Integer> channels = grants.get(thingId);
    Integer bits = channels == null ? null : channels.get(channelId);
    int known = action == ThingAccess.Action.PUBLISH ? 1 : 4;
    if (bits == null || (bits & known) == 0) {
      return UNKNOWN;
    }
    return (bits & (known << 1)) != 0 ? ALLOWED : DENIED;
  }

  public static final int ALLOWED = 1;
  public static final int DENIED = 0;
  public static final int UNKNOWN = -1;

  /** Whether the thing may publish or subscribe on the channel; asks the things service on a miss. */
  public Future<Boolean> authorize(String thingId, String channelId, ThingAccess.Action action) {
    int answer = cached(thingId, channelId, action);
    if (answer != UNKNOWN) {
      return Future.succeededFuture(answer == ALLOWED);
    }
    int known = action == ThingAccess.Action.PUBLISH ? 1 : 4;
    long asked = generation.get();
    return bus.<Boolean>request(Addresses.THINGS_AUTHORIZE, new ThingAccess(thingId, channelId, action), asking)
        .map(reply -> {
          boolean allowed = reply.body();
          if (generation.get() != asked) {
            return allowed;
          }
          Map<String, Integer> channels = grants.computeIfAbsent(thingId, id -> new ConcurrentHashMap<>());
          // A device naming ever new channel ids must not grow the cache: past the bound only grants are kept.
          if (allowed || channels.containsKey(channelId) || channels.size() < MAX_CHANNELS_PER_THING) {
            channels.merge(channelId, known | (allowed ? known << 1 : 0), (a, b) -> a | b);
          }
          return allowed;
        });
  }

  /** Drops what a things event makes stale. */
  public void invalidate(DomainEvent event) {
    JsonObject fields = event.fields();
    generation.incrementAndGet();
    switch (event.operation()) {
      case "thing.update_secret", "thing.change_status", "thing.remove" -> {
        keyDigests.remove(fields.getString("id"));
        grants.remove(fields.getString("id"));
      }
      case "thing.connect", "thing.update_connection", "thing.disconnect" -> {
        Map<String, Integer> channels = grants.get(fields.getString("thing_id"));
        if (channels != null) {
          channels.remove(fields.getString("channel_id"));
        }
      }
      case "channel.change_status", "channel.remove" -> {
        String channelId = fields.getString("id");
        grants.values().forEach(channels -> channels.remove(channelId));
      }
      default -> {
      }
    }
  }

  /** How many channels this node keeps answers about for {@code thingId}. */
  int channelsKnown(String thingId) {
    Map<String, Integer> channels = grants.get(thingId);
    return channels == null ? 0 : channels.size();
  }

  private static byte[] digest(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
