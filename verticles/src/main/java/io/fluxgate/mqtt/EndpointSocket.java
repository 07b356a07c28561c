package io.fluxgate.mqtt;

import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.mqtt.MqttEndpoint;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The socket under a vertx-mqtt endpoint, which vertx-mqtt 5.0.7 keeps private: read by reflection, for what its
 * API does not offer (flush coalescing, pausing a publisher). Null where that fails (another vertx-mqtt version);
 * callers then do without.
 */
final class EndpointSocket {

  private static final Logger LOG = LoggerFactory.getLogger(EndpointSocket.class);
  private static final String ENDPOINT_TYPE = "io.vertx.mqtt.impl.MqttEndpointImpl";
  private static final VarHandle SOCKET = socketField();

  private EndpointSocket() {}

  static NetSocketInternal of(MqttEndpoint endpoint) {
    if (SOCKET == null || !ENDPOINT_TYPE.equals(endpoint.getClass().getName())) {
      return null;
    }
    return (NetSocketInternal) SOCKET.get(endpoint);
  }

  private static VarHandle socketField() {
    try {
      Class<?> type = Class.forName(ENDPOINT_TYPE);
      return MethodHandles.privateLookupIn(type, MethodHandles.lookup())
          .findVarHandle(type, "conn", NetSocketInternal.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.info("vertx-mqtt's socket is not reachable ({}): MQTT writes are flushed one by one and QoS 1/2"
          + " publishers are slowed only by their acknowledgements", e.toString());
      return null;
    }
  }
}
