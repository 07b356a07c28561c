package io.fluxgate.mqtt;

import io.fluxgate.codecs.DomainEvent;
import io.vertx.core.json.JsonObject;

/** The events of the mqtt stream: sessions and subscriptions, always with the thing's id, never its key. */
public final class MqttEvents {

  private final String stream;
  private final String instance;

  public MqttEvents(String stream, String instance) {
    this.stream = stream;
    this.instance = instance;
  }

  public DomainEvent connected(String thingId, String clientId, int protocolVersion, int keepAlive) {
    return event("mqtt.client_connect", new JsonObject().put("thing_id", thingId).put("client_id", clientId)
.put("protocol_version", protocolVersion).put("keep_alive", keepAlive));
  }

  public DomainEvent disconnected(String thingId, String clientId, String reason) {
    return event("mqtt.client_disconnect", new JsonObject().put("thing_id", thingId).put("client_id", clientId)
        .put("reason", reason));
  }

  public DomainEvent subscribed(String thingId, String clientId, ChannelTopic topic, int qos) {
    JsonObject fields = new JsonObject().put("thing_id", thingId).put("client_id", clientId)
        .put("channel_id", topic.channelId()).put("qos", qos);
    if (!topic.subtopic().isEmpty()) {
      fields.put("subtopic", topic.subtopic());
    }
    return event("mqtt.client_subscribe", fields);
  }

  public DomainEvent unsubscribed(String thingId, String clientId, ChannelTopic topic) {
    JsonObject fields = new JsonObject().put("thing_id", thingId).put("client_id", clientId)
        .put("channel_id", topic.channelId());
    if (!topic.subtopic().isEmpty()) {
      fields.put("subtopic", topic.subtopic());
    }
    return event("mqtt.client_unsubscribe", fields);
  }

  private DomainEvent event(String operation, JsonObject fields) {
    return DomainEvent.occurred(stream, operation, instance, DomainEvent.NO_REVISION, fields);
  }
}
