package io.fluxgate.bootstrap;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.fold.Entities;
import io.fluxgate.events.fold.EntityChange;
import java.util.HashMap;
import java.util.Map;

/**
 * The bootstrap stream folded into its non-secret state: configs (each by its own revision) and bootstrap's copies of
 * the channels they name (each by the channel's revision). A removed channel has left every config, whatever order
 * its removal and the configs' older events arrive in: channel ids are never reused. Not thread-safe.
 */
public final class BootstrapFold {

  private final Entities<ConfigWithoutSecrets, ConfigChange> configs;
  private final Entities<ConfigChannel, ChannelCopyChange> channels;

  /** A fold for live consumers: each event applied as it comes, a stale one ignored. */
  public BootstrapFold() {
    this(false);
  }

  /** With {@code holdAhead}, for a replay of the whole log: see {@link Entities#Entities(java.util.function.BiFunction, boolean)}. */
  public BootstrapFold(boolean holdAhead) {
    this.configs = new Entities<>(ConfigChange::evolve, holdAhead);
    this.channels = new Entities<>(ChannelCopyChange::evolve, holdAhead);
  }

  /** At the end of a replay: applies the events still waiting for an earlier revision; answers how many. */
  public int flush() {
    return configs.flush() + channels.flush();
  }


  /** Applies a bootstrap-stream event; answers the typed change it applied, or null (not a change, or stale). */
  public EntityChange apply(DomainEvent event) {
    ConfigChange config = ConfigChange.from(event);
    if (config != null) {
      return configs.apply(config) ? config : null;
    }
    ChannelCopyChange channel = ChannelCopyChange.from(event);
    if (channel != null) {
      return channels.apply(channel) ? channel : null;
    }
    return null;
  }

  /** Every config that exists now, by thing id, without the channels removed since it named them. */
  public Map<String, ConfigWithoutSecrets> configs() {
    Map<String, ConfigWithoutSecrets> all = new HashMap<>();
    configs.current().forEach((id, c) -> all.put(id, withoutRemovedChannels(c)));
    return all;
  }

  /** The config of {@code thingId} now, or null. */
  public ConfigWithoutSecrets config(String thingId) {
    ConfigWithoutSecrets c = configs.get(thingId);
    return c == null ? null : withoutRemovedChannels(c);
  }

  /** How many configs exist now. */
  public int configCount() {
    return configs.size();
  }

  private ConfigWithoutSecrets withoutRemovedChannels(ConfigWithoutSecrets c) {
    return new ConfigWithoutSecrets(c.thingId(), c.externalId(), c.owner(), c.name(), c.content(), c.state(),
        c.channelIds().stream().filter(ch -> !removed(ch)).toList(), c.clientCert(), c.caCert(), c.revision());
  }

  /** Bootstrap's copies of channels, each at the channel's revision. */
  public Entities<ConfigChannel, ChannelCopyChange> channels() {
    return channels;
  }

  private boolean removed(String channelId) {
    return channels.revision(channelId) > 0 && channels.get(channelId) == null;
  }
}
