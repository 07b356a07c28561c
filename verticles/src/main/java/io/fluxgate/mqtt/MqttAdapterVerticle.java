package io.fluxgate.mqtt;

import io.fluxgate.api.ServiceEndpoint;
import io.fluxgate.codecs.ChannelMessage;
import io.fluxgate.codecs.Streams;
import io.fluxgate.events.EventPublisher;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The MQTT adapter of a node: builds what its server instances share (access cache, sessions, retained messages,
 * metrics) and deploys one server instance per event loop on the same ports; each keeps in step with the things
 * events itself.
 */
public final class MqttAdapterVerticle extends VerticleBase implements ServiceEndpoint {

  private final MqttConfig config;
  private final EventPublisher publisher;
  private final Streams streams;
  private final String instance;
  private final java.time.Duration busTimeout;
  private int port = -1;
  private int wsPort = -1;

  public MqttAdapterVerticle(MqttConfig config, EventPublisher publisher, Streams streams, String instance,
      java.time.Duration busTimeout) {
    this.busTimeout = busTimeout;
    this.config = config;
    this.publisher = publisher;
    this.streams = streams;
    this.instance = instance;
  }

  @Override
  public Future<?> start() {
    AccessCache access = new AccessCache(vertx.eventBus(), busTimeout);
    MqttMetrics metrics = new MqttMetrics();
    metrics.register();
    Broker broker = new Broker(config, access, new RetainedMessages(vertx), new MqttEvents(streams.mqtt(), instance),
        metrics, publisher, vertx.eventBus(), vertx.isClustered(),
        vertx.sharedData().<String, io.vertx.core.json.JsonObject>getAsyncMap("fluxgate.mqtt.shared-groups"));
    // Vert.x shares a listening socket between instances asking for the same port; for "any free port" the
    // instances ask for the same negative port, which Vert.x binds once to a random port they all share.
    int tcp = config.port() == 0 ? -1 : config.port();
    int ws = config.wsPort() == 0 ? -2 : config.wsPort();
    List<MqttServerVerticle> deployed = new CopyOnWriteArrayList<>();
    if (!vertx.isClustered()) {
      vertx.eventBus().<ChannelMessage>localConsumer(ChannelMessage.LOCAL_ADDRESS, m -> broker.route(m.body()));
    }
    return vertx.eventBus().<io.vertx.core.json.JsonObject>consumer(io.fluxgate.codecs.Addresses.MQTT_SHARED_GROUPS,
            message -> broker.knowShared(Broker.SharedGroup.fromJson(message.body()))).completion()
        .compose(v -> broker.loadShared())
        .compose(v -> vertx.deployVerticle(() -> {
          MqttServerVerticle server = new MqttServerVerticle(broker, streams.things(), tcp, config.wsPort() >= 0, ws);
          deployed.add(server);
          return server;
        }, new DeploymentOptions().setInstances(config.instances())))
        .onSuccess(id -> {
          port = deployed.get(0).actualPort();
          wsPort = deployed.get(0).actualWebSocketPort();
        });
  }

  @Override
  public String service() {
    return "mqtt";
  }

  @Override
  public int actualPort() {
    return port;
  }

  @Override
  public String describe(String host) {
    return "MQTT on tcp://" + config.host() + ":" + port + (wsPort < 0 ? "" : " and ws://" + config.host() + ":"
        + wsPort + "/mqtt") + (config.tls() ? " (TLS)" : "");
  }

  /** The MQTT-over-WebSocket port, or -1 when off. */
  public int webSocketPort() {
    return wsPort;
  }
}
