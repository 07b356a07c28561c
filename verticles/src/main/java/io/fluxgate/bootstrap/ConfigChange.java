package io.fluxgate.bootstrap;

import static io.fluxgate.events.fold.EventFields.strings;
import static io.fluxgate.events.fold.EventFields.text;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.fold.EntityChange;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** The events of the config aggregate (key: its thing id), typed, and the one rule that folds them. */
public sealed interface ConfigChange extends EntityChange {

  String thingId();

  @Override
  default String key() {
    return thingId();
  }

  record Created(String thingId, long revision, String externalId, String owner, String name, String content,
      int state, List<String> channelIds) implements ConfigChange {}

  record Updated(String thingId, long revision, String name, String content) implements ConfigChange {}

  /** New certificates; the client's private key is never in the event. */
  record CertsUpdated(String thingId, long revision, String clientCert, String caCert) implements ConfigChange {}

  record ChannelsReplaced(String thingId, long revision, List<String> channelIds) implements ConfigChange {}

  record StateChanged(String thingId, long revision, int state) implements ConfigChange {}

  /** The thing was connected to a channel through the things service; the channel joined the config. */
  record ChannelJoined(String thingId, long revision, String channelId) implements ConfigChange {}

  /** The thing was disconnected from a channel through the things service; the channel left the config. */
  record ChannelLeft(String thingId, long revision, String channelId) implements ConfigChange {}

  /** Removed through the bootstrap API, or because its thing was removed. */
  record Removed(String thingId, long revision) implements ConfigChange {
    @Override
    public boolean removes() {
      return true;
    }
  }

  /** The typed change of a bootstrap-stream event, or null if the event does not change a config. */
  static ConfigChange from(DomainEvent event) {
    JsonObject f = event.fields();
    String id = text(f, "thing_id");
    long rev = event.revision();
    if (rev == DomainEvent.NO_REVISION) {
      return null;
    }
    return switch (event.operation()) {
      case "config.create" -> new Created(id, rev, text(f, "external_id"), text(f, "owner"), text(f, "name"),
          text(f, "content"), f.getInteger("state", DeviceConfig.INACTIVE), strings(f, "channels"));
      case "config.update" -> new Updated(id, rev, text(f, "name"), text(f, "content"));
      case "cert.update" -> new CertsUpdated(id, rev, text(f, "client_cert"), text(f, "ca_cert"));
      case "thing.update_connections" -> new ChannelsReplaced(id, rev, strings(f, "channels"));
      case "thing.change_state" -> new StateChanged(id, rev, f.getInteger("state", DeviceConfig.INACTIVE));
      case "thing.connect_handler" -> new ChannelJoined(id, rev, text(f, "channel_id"));
      case "thing.disconnect_handler" -> new ChannelLeft(id, rev, text(f, "channel_id"));
      case "config.remove", "config.remove_handler" -> new Removed(id, rev);
      default -> null;
    };
  }

  /** The config after {@code change}; {@code config} is null for one not seen before (its create not yet here). */
  static ConfigWithoutSecrets evolve(ConfigWithoutSecrets config, ConfigChange change) {
    ConfigWithoutSecrets c = config != null ? config
        : new ConfigWithoutSecrets(change.thingId(), "", "", "", "", DeviceConfig.INACTIVE, List.of(), "", "", 0);
    long rev = change.revision();
    if (change instanceof Created n) {
      return new ConfigWithoutSecrets(n.thingId(), n.externalId(), n.owner(), n.name(), n.content(), n.state(),
          n.channelIds(), "", "", rev);
    }
    String name = c.name();
    String content = c.content();
    int state = c.state();
    List<String> channels = c.channelIds();
    String clientCert = c.clientCert();
    String caCert = c.caCert();
    if (change instanceof Updated u) {
      name = u.name();
      content = u.content();
    } else if (change instanceof CertsUpdated u) {
      clientCert = u.clientCert();
      caCert = u.caCert();
    } else if (change instanceof ChannelsReplaced r) {
      channels = r.channelIds();
    } else if (change instanceof StateChanged s) {
      state = s.state();
    } else if (change instanceof ChannelJoined j) {
      channels = joined(channels, j.channelId());
    } else if (change instanceof ChannelLeft l) {
      channels = channels.stream().filter(id -> !id.equals(l.channelId())).toList();
    } else {
      return null;
    }
    return new ConfigWithoutSecrets(c.thingId(), c.externalId(), c.owner(), name, content, state, channels,
        clientCert, caCert, rev);
  }

  // A joined channel goes last, as the repository appends it.
  private static List<String> joined(List<String> ids, String channelId) {
    if (ids.contains(channelId)) {
      return ids;
    }
    List<String> all = new ArrayList<>(ids);
    all.add(channelId);
    return all;
  }
}
