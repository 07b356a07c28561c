package io.fluxgate.mqtt;

import io.fluxgate.codecs.ChannelMessage;
import io.fluxgate.codecs.MessageProperties;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.util.ArrayList;
import java.util.List;

/**
 * The last retained message of every topic, kept cluster-wide in the shared data of Vert.x (a Hazelcast map when
 * clustered): one entry per channel, holding its subtopics, with their MQTT 5 properties. An empty retained payload
 * clears the topic.
 */
public final class RetainedMessages {

  private final Future<AsyncMap<String, JsonObject>> map;

  public RetainedMessages(Vertx vertx) {
    this.map = vertx.sharedData().getAsyncMap("fluxgate.mqtt.retained");
  }

  /** Keeps {@code message} as its topic's retained message (or clears the topic for an empty payload). */
  public Future<Void> retain(ChannelMessage message) {
    return map.compose(retained -> retained.get(message.channelId()).compose(current -> {
      JsonObject topics = current == null ? new JsonObject() : current.copy();
      if (message.payload().length() == 0) {
        topics.remove(message.subtopic());
      } else {
        JsonObject kept = new JsonObject().put("q", message.qos()).put("f", message.publisher())
            .put("r", message.protocol()).put("c", message.created()).put("p", message.payload().getBytes());
        if (message.properties() != null) {
          Buffer properties = Buffer.buffer();
          message.properties().encode(properties);
          kept.put("x", properties.getBytes());
        }
        topics.put(message.subtopic(), kept);
      }
      return topics.isEmpty() ? retained.remove(message.channelId()).mapEmpty()
          : retained.put(message.channelId(), topics);
    }));
  }

  /** The retained messages a new subscription with {@code filter} receives. */
  public Future<List<ChannelMessage>> matching(ChannelTopic filter) {
    return map.compose(retained -> retained.get(filter.channelId())).map(topics -> {
      List<ChannelMessage> found = new ArrayList<>();
      if (topics != null) {
        for (String subtopic : topics.fieldNames()) {
          if (filter.matches(subtopic)) {
            JsonObject m = topics.getJsonObject(subtopic);
            byte[] x = m.getBinary("x");
            MessageProperties properties = x == null ? null : MessageProperties.decode(Buffer.buffer(x), new int[] {0});
            found.add(new ChannelMessage(filter.channelId(), subtopic, m.getString("f"), m.getString("r"),
                m.getInteger("q"), Buffer.buffer(m.getBinary("p")), m.getLong("c"), true, properties, null));
          }
        }
      }
      return found;
    });
  }
}
