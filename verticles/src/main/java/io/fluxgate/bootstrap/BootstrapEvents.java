package io.fluxgate.bootstrap;

import io.fluxgate.codecs.DomainEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The events of the bootstrap stream, built as the event contract lists them: never an external key, thing key or
 * client key. Every event that changes a config carries the config's revision after the change, the reactions to
 * things events ({@code *_handler}) included; those that change bootstrap's copy of a channel carry the channel's
 * revision (the things stream's), since a channel's name is one fact shared by every config naming it.
 */
public final class BootstrapEvents {

  private final String stream;
  private final String instance;

  public BootstrapEvents(String stream, String instance) {
    this.stream = stream;
    this.instance = instance;
  }

  public DomainEvent created(DeviceConfig c) {
    return change("config.create", c.revision(), new JsonObject().put("thing_id", c.thingId())
        .put("external_id", c.externalId()).put("state", c.state()).put("owner", c.owner()).put("name", c.name())
        .put("channels", new JsonArray(c.channelIds())).put("content", c.content()));
  }

  public DomainEvent viewed(DeviceConfig c) {
    return unversioned("config.view", new JsonObject().put("thing_id", c.thingId()).put("external_id", c.externalId())
        .put("state", c.state()).put("owner", c.owner()).put("name", c.name())
        .put("channels", new JsonArray(c.channelIds())).put("content", c.content()));
  }

  public DomainEvent updated(DeviceConfig c) {
    return change("config.update", c.revision(), new JsonObject().put("thing_id", c.thingId()).put("name", c.name())
        .put("content", c.content()));
  }

  public DomainEvent listed(long total, int offset, int limit, JsonObject filters) {
    return unversioned("config.list", filters.copy().put("total", total).put("offset", offset).put("limit", limit));
  }

  public DomainEvent removed(DeviceConfig c) {
    return change("config.remove", c.revision() + 1, new JsonObject().put("thing_id", c.thingId()));
  }

  /** The certificates changed; the client's private key is never in it. */
  public DomainEvent certsUpdated(DeviceConfig c) {
    return change("cert.update", c.revision(), new JsonObject().put("thing_id", c.thingId())
        .put("client_cert", c.clientCert()).put("ca_cert", c.caCert()));
  }

  public DomainEvent connectionsUpdated(DeviceConfig c) {
    return change("thing.update_connections", c.revision(), new JsonObject().put("thing_id", c.thingId())
        .put("channels", new JsonArray(c.channelIds())));
  }

  public DomainEvent stateChanged(DeviceConfig c) {
    return change("thing.change_state", c.revision(), new JsonObject().put("thing_id", c.thingId())
        .put("state", c.state()));
  }

  /** A device asked for its config: whether it got it, and its thing when the config was found. */
  public DomainEvent bootstrapped(String externalId, boolean success, String thingId) {
    return unversioned("thing.bootstrap", new JsonObject().put("external_id", externalId).put("success", success)
        .put("thing_id", thingId));
  }

  /** The thing of {@code c} was removed, and with it the config: one revision after its last. */
  public DomainEvent configRemovedFor(DeviceConfig c) {
    return change("config.remove_handler", c.revision() + 1, new JsonObject().put("thing_id", c.thingId()));
  }

  /** Bootstrap's copy of a channel changed to the channel's {@code revision}. */
  public DomainEvent channelUpdatedFor(String channelId, String name, JsonObject metadata, long revision) {
    return change("channel.update_handler", revision, new JsonObject().put("channel_id", channelId).put("name", name)
        .put("metadata", metadata.isEmpty() ? null : metadata));
  }

  /** The channel was removed (at its {@code revision}): its copy is gone and it left every config. */
  public DomainEvent channelRemovedFor(String channelId, long revision) {
    return change("channel.remove_handler", revision, new JsonObject().put("channel_id", channelId));
  }

  /** The channel joined {@code c}, the config after it. */
  public DomainEvent connectedFor(DeviceConfig c, String channelId) {
    return change("thing.connect_handler", c.revision(), new JsonObject().put("thing_id", c.thingId())
        .put("channel_id", channelId));
  }

  /** The channel left {@code c}, the config after it. */
  public DomainEvent disconnectedFor(DeviceConfig c, String channelId) {
    return change("thing.disconnect_handler", c.revision(), new JsonObject().put("thing_id", c.thingId())
        .put("channel_id", channelId));
  }

  private DomainEvent change(String operation, long revision, JsonObject fields) {
    return DomainEvent.occurred(stream, operation, instance, revision, fields);
  }

  private DomainEvent unversioned(String operation, JsonObject fields) {
    return DomainEvent.occurred(stream, operation, instance, DomainEvent.NO_REVISION, fields);
  }
}
