package io.fluxgate.mqtt;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.mqtt.MqttEndpoint;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets the packets written to one connection during one event-loop pass leave in one system call. Vert.x flushes
 * every write that does not happen while that same connection is reading, so a subscriber fed by other devices
 * costs one {@code sendto} per message; Netty's {@link FlushConsolidationHandler} defers those flushes to the end
 * of the pass. vertx-mqtt 5.0.7 keeps its socket private, so it is read by reflection; where that fails (another
 * vertx-mqtt version) connections work as before, only without coalescing.
 */
final class FlushCoalescing {

  private static final Logger LOG = LoggerFactory.getLogger(FlushCoalescing.class);
  private static final String NAME = "fluxgateFlushCoalescing";
  /** Netty's default: a connection written to without pause is still flushed after this many packets. */
  private static final int EXPLICIT_FLUSH_AFTER = 256;
  private static final String ENDPOINT_TYPE = "io.vertx.mqtt.impl.MqttEndpointImpl";
  private static final VarHandle SOCKET = socketField();

  private FlushCoalescing() {}

  /**
   * Installs the coalescing handler in front of Vert.x's own handler of this endpoint's channel; on its event loop.
   * Returns whether the channel has it now.
   */
  static boolean install(MqttEndpoint endpoint) {
    if (SOCKET == null || !ENDPOINT_TYPE.equals(endpoint.getClass().getName())) {
      return false;
    }
    ChannelPipeline pipeline = ((NetSocketInternal) SOCKET.get(endpoint)).channelHandlerContext().pipeline();
    if (pipeline.get(NAME) != null) {
      return true;
    }
    if (pipeline.get("handler") == null) {
      return false;
    }
    pipeline.addBefore("handler", NAME, new FlushConsolidationHandler(EXPLICIT_FLUSH_AFTER, true));
    return true;
  }

  private static VarHandle socketField() {
    try {
      Class<?> type = Class.forName(ENDPOINT_TYPE);
      return MethodHandles.privateLookupIn(type, MethodHandles.lookup())
          .findVarHandle(type, "conn", NetSocketInternal.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.info("MQTT writes are flushed one by one: vertx-mqtt's socket is not reachable ({})", e.toString());
      return null;
    }
  }
}
