package io.fluxgate.mqtt;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.mqtt.MqttEndpoint;

/**
 * Lets the packets written to one connection during one event-loop pass leave in one system call. Vert.x flushes
 * every write that does not happen while that same connection is reading, so a subscriber fed by other devices
 * costs one {@code sendto} per message; Netty's {@link FlushConsolidationHandler} defers those flushes to the end
 * of the pass. Where vertx-mqtt's socket is not reachable ({@link EndpointSocket}), packets are flushed one by
 * one as before.
 */
final class FlushCoalescing {

  private static final String NAME = "fluxgateFlushCoalescing";
  /** Netty's default: a connection written to without pause is still flushed after this many packets. */
  private static final int EXPLICIT_FLUSH_AFTER = 256;

  private FlushCoalescing() {}

  /**
   * Installs the coalescing handler in front of Vert.x's own handler of this endpoint's channel; on its event loop.
   * Returns whether the channel has it now.
   */
  static boolean install(MqttEndpoint endpoint) {
    NetSocketInternal socket = EndpointSocket.of(endpoint);
    if (socket == null) {
      return false;
    }
    ChannelPipeline pipeline = socket.channelHandlerContext().pipeline();
    if (pipeline.get(NAME) != null) {
      return true;
    }
    if (pipeline.get("handler") == null) {
      return false;
    }
    pipeline.addBefore("handler", NAME, new FlushConsolidationHandler(EXPLICIT_FLUSH_AFTER, true));
    return true;
  }
}
