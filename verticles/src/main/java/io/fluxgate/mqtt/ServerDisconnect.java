package io.fluxgate.mqtt;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessageFactory;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.messages.codes.MqttDisconnectReasonCode;
import java.util.concurrent.TimeUnit;

/**
 * The MQTT 5 DISCONNECT the server sends for a device's mistake, delivered even while the device keeps sending.
 * Closing a socket with unread bytes in it makes the kernel answer the device's next packet with a reset, and a
 * device whose write fails on that reset never reads the reason code waiting for it (the Paho suite's
 * {@code test_flow_control2} lost its 0x93 so). So the server reads and drops whatever still comes, ends its own
 * side after the DISCONNECT, and closes once the device does or after {@link #LINGER_MILLIS}.
 */
final class ServerDisconnect {

  static final long LINGER_MILLIS = 2_000;
  private static final MqttFixedHeader DISCONNECT = new MqttFixedHeader(MqttMessageType.DISCONNECT, false,
      MqttQoS.AT_MOST_ONCE, false, 0);

  /** The name Vert.x gives its own handler at the end of a connection's pipeline. */
  private static final String VERTX_HANDLER = "handler";

  private ServerDisconnect() {}

  private static final class Discard extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }
  }

  /** Sends DISCONNECT with {@code code} and closes gently; false when the socket is out of reach (nothing sent). */
  static boolean send(MqttEndpoint endpoint, MqttDisconnectReasonCode code) {
    NetSocketInternal socket = EndpointSocket.of(endpoint);
    if (socket == null) {
      return false;
    }
    Channel channel = socket.channelHandlerContext().channel();
    // Nothing the device sends from now on reaches the session: bytes are dropped before the decoder, and packets
    // it decoded already from the same read are dropped before Vert.x's handler (no PUBCOMP after DISCONNECT).
    ChannelPipeline pipeline = channel.pipeline();
    if (pipeline.get(VERTX_HANDLER) != null) {
      pipeline.addBefore(VERTX_HANDLER, "fluxgate-discard-decoded", new Discard());
    }
    pipeline.addFirst("fluxgate-discard", new Discard());
    // A publisher held back for a slow subscriber is not being read: it must be, or its bytes cause the reset.
    channel.config().setAutoRead(true);
    socket.writeMessage(MqttMessageFactory.newMessage(DISCONNECT,
            new MqttReasonCodeAndPropertiesVariableHeader(code.value(), MqttProperties.NO_PROPERTIES), null))
        .onComplete(written -> {
          if (written.succeeded() && channel instanceof DuplexChannel duplex) {
            duplex.shutdownOutput();
          } else {
            channel.close();
          }
          channel.eventLoop().schedule(() -> channel.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        });
    return true;
  }
}
