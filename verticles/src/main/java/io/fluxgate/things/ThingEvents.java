package io.fluxgate.things;

import io.fluxgate.codecs.DomainEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** The events of the things stream, built as the event contract lists them (never with a key). */
public final class ThingEvents {

  private final String stream;
  private final String instance;

  public ThingEvents(String stream, String instance) {
    this.stream = stream;
    this.instance = instance;
  }

  public DomainEvent created(Thing thing) {
    return DomainEvent.occurred(stream, "thing.create", instance, thing.revision(), thing.eventFields());
  }

  public DomainEvent updated(Thing thing) {
    return change("thing.update", thing, new JsonObject().put("name", thing.name()).put("metadata", thing.metadata()));
  }

  public DomainEvent tagsUpdated(Thing thing) {
    return change("thing.update_tags", thing, new JsonObject().put("tags", thing.tags()));
  }

  /** The key changed; the event says so and nothing more. */
  public DomainEvent keyUpdated(Thing thing) {
    return change("thing.update_secret", thing, new JsonObject());
  }

  public DomainEvent ownerUpdated(Thing thing) {
    return change("thing.update_owner", thing, new JsonObject().put("owner", thing.owner()));
  }

  public DomainEvent statusChanged(Thing thing) {
    return change("thing.change_status", thing, new JsonObject().put("status", thing.status()));
  }

  public DomainEvent removed(Thing thing) {
    return DomainEvent.occurred(stream, "thing.remove", instance, thing.revision() + 1,
        new JsonObject().put("id", thing.id()));
  }

  public DomainEvent viewed(Thing thing) {
    return read("thing.view", thing.eventFields());
  }

  public DomainEvent listed(long total, int offset, int limit, JsonObject filters) {
    return read("thing.list", page(filters.copy(), total, offset, limit));
  }

  public DomainEvent listedByChannel(String channelId, long total, int offset, int limit) {
    return read("thing.list_by_channel", page(new JsonObject().put("channel_id", channelId), total, offset, limit));
  }

  public DomainEvent identified(String thingId) {
    return read("thing.identify", new JsonObject().put("thing_id", thingId));
  }

  public DomainEvent channelCreated(Channel channel) {
    return DomainEvent.occurred(stream, "channel.create", instance, channel.revision(), channel.eventFields());
  }

  public DomainEvent channelUpdated(Channel channel) {
    return channelChange("channel.update", channel, new JsonObject().put("name", channel.name())
        .put("description", channel.description()).put("metadata", channel.metadata()));
  }

  public DomainEvent channelStatusChanged(Channel channel) {
    return channelChange("channel.change_status", channel, new JsonObject().put("status", channel.status()));
  }

  public DomainEvent channelRemoved(Channel channel) {
    return DomainEvent.occurred(stream, "channel.remove", instance, channel.revision() + 1,
        new JsonObject().put("id", channel.id()));
  }

  public DomainEvent channelViewed(Channel channel) {
    return read("channel.view", channel.eventFields());
  }

  public DomainEvent channelsListed(long total, int offset, int limit, JsonObject filters) {
    return read("channel.list", page(filters.copy(), total, offset, limit));
  }

  public DomainEvent channelsListedByThing(String thingId, long total, int offset, int limit) {
    return read("channel.list_by_thing", page(new JsonObject().put("thing_id", thingId), total, offset, limit));
  }

  public DomainEvent connected(Connection c) {
    return DomainEvent.occurred(stream, "thing.connect", instance, c.revision(), new JsonObject()
        .put("thing_id", c.thingId()).put("channel_id", c.channelId()).put("actions", new JsonArray(c.actions()))
        .put("owner", c.owner()).put("created_at", c.createdAt()));
  }

  public DomainEvent connectionUpdated(Connection c) {
    return DomainEvent.occurred(stream, "thing.update_connection", instance, c.revision(), new JsonObject()
        .put("thing_id", c.thingId()).put("channel_id", c.channelId()).put("actions", new JsonArray(c.actions()))
        .put("updated_at", c.updatedAt()).put("updated_by", c.updatedBy()));
  }

  public DomainEvent disconnected(Connection c) {
    return DomainEvent.occurred(stream, "thing.disconnect", instance, c.revision() + 1,
        new JsonObject().put("thing_id", c.thingId()).put("channel_id", c.channelId()));
  }

  /**
   * The events of a delete that took connections with it: one {@code thing.disconnect} per connection, then
   * {@code remove}, so a consumer drops the connections before it sees their thing or channel go.
   */
  public List<DomainEvent> removedWithConnections(DomainEvent remove, List<Connection> connections) {
    List<DomainEvent> all = new ArrayList<>(connections.size() + 1);
    connections.forEach(c -> all.add(disconnected(c)));
    all.add(remove);
    return all;
  }

  /** Not in the reference catalog: the policy listing, named as the users stream names its own. */
  public DomainEvent policiesListed(long total, int offset, int limit, JsonObject filters) {
    return read("policies.list", page(filters.copy(), total, offset, limit));
  }

  private static JsonObject page(JsonObject fields, long total, int offset, int limit) {
    return fields.put("total", total).put("offset", offset).put("limit", limit);
  }

  private DomainEvent change(String operation, Thing thing, JsonObject fields) {
    fields.put("id", thing.id()).put("updated_at", thing.updatedAt()).put("updated_by", thing.updatedBy());
    return DomainEvent.occurred(stream, operation, instance, thing.revision(), fields);
  }

  private DomainEvent channelChange(String operation, Channel channel, JsonObject fields) {
    fields.put("id", channel.id()).put("updated_at", channel.updatedAt()).put("updated_by", channel.updatedBy());
    return DomainEvent.occurred(stream, operation, instance, channel.revision(), fields);
  }

  private DomainEvent read(String operation, JsonObject fields) {
    return DomainEvent.occurred(stream, operation, instance, DomainEvent.NO_REVISION, fields);
  }
}
