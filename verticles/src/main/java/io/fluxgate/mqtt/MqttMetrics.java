package io.fluxgate.mqtt;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.micrometer.backends.BackendRegistries;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** What operators watch of the MQTT adapter, counted on the hot path without locks and served on /metrics. */
public final class MqttMetrics {

  final AtomicInteger connections = new AtomicInteger();
  final LongAdder messagesIn = new LongAdder();
  final LongAdder messagesOut = new LongAdder();
  final LongAdder dropped = new LongAdder();
  final LongAdder refusedPublishes = new LongAdder();
  final LongAdder refusedSubscriptions = new LongAdder();
  final LongAdder authFailures = new LongAdder();
  final LongAdder refusedConnections = new LongAdder();
  final LongAdder slowConsumers = new LongAdder();
  final LongAdder publishersHeld = new LongAdder();

  /** Registers the counters with the node's registry, when the node serves metrics. */
  public void register() {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    if (registry == null) {
      return;
    }
    Gauge.builder("fluxgate_mqtt_connections", connections, AtomicInteger::get)
        .description("open MQTT connections (accepted sessions)").register(registry);
    counter(registry, "fluxgate_mqtt_messages_in", messagesIn, "PUBLISH packets accepted from devices");
    counter(registry, "fluxgate_mqtt_messages_out", messagesOut, "PUBLISH packets sent to subscribers");
    counter(registry, "fluxgate_mqtt_messages_dropped", dropped,
        "messages not delivered: QoS 0 to a subscriber twice mqtt.slow_consumer_bytes behind, expired, too large for"
            + " the device, or queue overflow of an offline session");
    counter(registry, "fluxgate_mqtt_publishes_refused", refusedPublishes, "publishes refused (topic or rights)");
    counter(registry, "fluxgate_mqtt_subscriptions_refused", refusedSubscriptions,
        "subscriptions refused (filter or rights)");
    counter(registry, "fluxgate_mqtt_auth_failures", authFailures, "CONNECTs refused for their credentials");
    counter(registry, "fluxgate_mqtt_connections_refused", refusedConnections,
        "CONNECTs refused because the node is at its connection limit");
    counter(registry, "fluxgate_mqtt_slow_consumers_disconnected", slowConsumers,
        "connections closed as slow consumers: mqtt.slow_consumer_bytes behind for mqtt.slow_consumer_time, or their"
            + " QoS 1/2 queue overflowed");
    counter(registry, "fluxgate_mqtt_publishers_held", publishersHeld,
        "times a publisher's socket stopped being read because a subscriber of its channel on this node fell behind");
  }

  private static void counter(MeterRegistry registry, String name, LongAdder adder, String description) {
    FunctionCounter.builder(name, adder, LongAdder::sum).description(description).register(registry);
  }
}
