package io.fluxgate.mqtt;

import io.fluxgate.codecs.ChannelMessage;
import io.fluxgate.codecs.MessageProperties;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The MQTT 5 message properties between the wire (Netty's {@link MqttProperties}) and a {@link ChannelMessage}:
 * read from a PUBLISH or a will, written on each delivery with the expiry interval counted down.
 */
final class PublishProperties {

  private PublishProperties() {}

  /** The message properties of a PUBLISH or will, or null when it has none (the common case, allocation-free). */
  static MessageProperties read(MqttProperties properties) {
    // Netty keeps user properties apart: isEmpty does not see them.
    if (properties == null || (properties.isEmpty()
        && properties.getProperties(MqttPropertyType.USER_PROPERTY.value()).isEmpty())) {
      return null;
    }
    int format = -1;
    long expiry = -1;
    String contentType = null;
    String responseTopic = null;
    Buffer correlation = null;
    List<String> user = List.of();
    boolean any = false;
    for (MqttProperties.MqttProperty<?> property : properties.listAll()) {
      int id = property.propertyId();
      if (id == MqttPropertyType.PAYLOAD_FORMAT_INDICATOR.value()) {
        format = (Integer) property.value();
        any = true;
      } else if (id == MqttPropertyType.PUBLICATION_EXPIRY_INTERVAL.value()) {
        expiry = Integer.toUnsignedLong((Integer) property.value());
        any = true;
      } else if (id == MqttPropertyType.CONTENT_TYPE.value()) {
        contentType = (String) property.value();
        any = true;
      } else if (id == MqttPropertyType.RESPONSE_TOPIC.value()) {
        responseTopic = (String) property.value();
        any = true;
      } else if (id == MqttPropertyType.CORRELATION_DATA.value()) {
        correlation = Buffer.buffer((byte[]) property.value());
        any = true;
      } else if (property instanceof MqttProperties.UserProperties pairs) {
        List<String> flat = new ArrayList<>(pairs.value().size() * 2);
        for (MqttProperties.StringPair pair : pairs.value()) {
          flat.add(pair.key);
          flat.add(pair.value);
        }
        user = List.copyOf(flat);
        any = true;
      }
    }
    return any ? new MessageProperties(format, expiry, contentType, responseTopic, correlation, user) : null;
  }

  /** {@code properties} with a Topic Alias added (a new set where they are the shared empty one). */
  static MqttProperties withTopicAlias(MqttProperties properties, int alias) {
    MqttProperties with = properties == MqttProperties.NO_PROPERTIES ? new MqttProperties() : properties;
    with.add(new MqttProperties.IntegerProperty(MqttPropertyType.TOPIC_ALIAS.value(), alias));
    return with;
  }

  /**
   * The properties of a delivery to an MQTT 5 device: the message's own (its expiry interval less the time it
   * waited) and the identifiers of the subscriptions it matched; {@code NO_PROPERTIES} when there are none.
   */
  static MqttProperties write(ChannelMessage message, int[] subscriptionIds, long nowNanos) {
    MessageProperties own = message.properties();
    if (own == null && subscriptionIds == null) {
      return MqttProperties.NO_PROPERTIES;
    }
    MqttProperties properties = new MqttProperties();
    if (own != null) {
      if (own.payloadFormat() >= 0) {
        properties.add(new MqttProperties.IntegerProperty(MqttPropertyType.PAYLOAD_FORMAT_INDICATOR.value(),
            own.payloadFormat()));
      }
      long remaining = own.remainingSeconds(nowNanos - message.created());
      if (remaining >= 0) {
        properties.add(new MqttProperties.IntegerProperty(MqttPropertyType.PUBLICATION_EXPIRY_INTERVAL.value(),
            (int) remaining));
      }
      if (own.contentType() != null) {
        properties.add(new MqttProperties.StringProperty(MqttPropertyType.CONTENT_TYPE.value(), own.contentType()));
      }
      if (own.responseTopic() != null) {
        properties.add(new MqttProperties.StringProperty(MqttPropertyType.RESPONSE_TOPIC.value(),
            own.responseTopic()));
      }
      if (own.correlationData() != null) {
        properties.add(new MqttProperties.BinaryProperty(MqttPropertyType.CORRELATION_DATA.value(),
            own.correlationData().getBytes()));
      }
      List<String> user = own.userProperties();
      if (!user.isEmpty()) {
        MqttProperties.UserProperties pairs = new MqttProperties.UserProperties();
        for (int i = 0; i + 1 < user.size(); i += 2) {
          pairs.add(user.get(i), user.get(i + 1));
        }
        properties.add(pairs);
      }
    }
    if (subscriptionIds != null) {
      for (int id : subscriptionIds) {
        properties.add(new MqttProperties.IntegerProperty(MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value(), id));
      }
    }
    return properties;
  }

  /**
   * The bytes of a PUBLISH of {@code payloadBytes} to {@code topic} with {@code properties}, as a client's Maximum
   * Packet Size counts them (fixed header included).
   */
  static long packetSize(String topic, int qos, MqttProperties properties, int payloadBytes, boolean v5) {
    long remaining = 2 + utf8Length(topic) + (qos > 0 ? 2 : 0) + payloadBytes;
    if (v5) {
      long props = 0;
      for (MqttProperties.MqttProperty<?> property : properties.listAll()) {
        props += propertyBytes(property);
      }
      remaining += props + varIntBytes(props);
    }
    return 1 + varIntBytes(remaining) + remaining;
  }

  private static long propertyBytes(MqttProperties.MqttProperty<?> property) {
    Object value = property.value();
    int id = property.propertyId();
    if (property instanceof MqttProperties.UserProperties pairs) {
      long bytes = 0;
      for (MqttProperties.StringPair pair : pairs.value()) {
        bytes += 1 + 2 + utf8Length(pair.key) + 2 + utf8Length(pair.value);
      }
      return bytes;
    }
    if (id == MqttPropertyType.SUBSCRIPTION_IDENTIFIER.value()) {
      return 1 + varIntBytes((Integer) value);
    }
    if (value instanceof String text) {
      return 1 + 2 + utf8Length(text);
    }
    if (value instanceof byte[] bytes) {
      return 1 + 2 + bytes.length;
    }
    // Integer properties of a PUBLISH: payload format (1 byte), expiry (4), topic alias (2); 4 is the most.
    return id == MqttPropertyType.PAYLOAD_FORMAT_INDICATOR.value() ? 2 : 5;
  }

  private static int varIntBytes(long value) {
    return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
  }

  private static int utf8Length(String text) {
    int bytes = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes++;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }
}
