package io.fluxgate.mqtt;

import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessageFactory;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.messages.codes.MqttPubRecReasonCode;

/**
 * The PUBREC that refuses an MQTT 5 QoS 2 publish with its reason code. vertx-mqtt 5.0.7's
 * {@code publishReceived(id, code, properties)} writes a header without the code, which a device reads as success:
 * it releases the message and believes it delivered. Written through the endpoint's socket, in its write order.
 */
final class RefusedPubrec {

  private static final MqttFixedHeader PUBREC = new MqttFixedHeader(MqttMessageType.PUBREC, false,
      MqttQoS.AT_MOST_ONCE, false, 0);

  private RefusedPubrec() {}

  static void send(MqttEndpoint endpoint, int packetId, MqttPubRecReasonCode code) {
    NetSocketInternal socket = EndpointSocket.of(endpoint);
    if (socket == null) {
      endpoint.publishReceived(packetId, code, MqttProperties.NO_PROPERTIES);
      return;
    }
    socket.writeMessage(MqttMessageFactory.newMessage(PUBREC,
        new MqttPubReplyMessageVariableHeader(packetId, code.value(), MqttProperties.NO_PROPERTIES), null));
  }
}
