package io.fluxgate.mqtt;

import io.fluxgate.codecs.Addresses;
import io.fluxgate.codecs.DomainEvent;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.mqtt.MqttServer;
import io.vertx.mqtt.MqttServerOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * One MQTT server instance: TCP (and WebSocket at {@code /mqtt}) listeners on its event loop, sharing the ports
 * with the node's other instances. It only wires; connections do the work.
 */
final class MqttServerVerticle extends VerticleBase {

  private final Broker broker;
  private final String thingsStream;
  private final int port;
  private final boolean webSocket;
  private final int wsPort;
  private final List<MqttServer> servers = new ArrayList<>();
  private ChannelRouter router;

  MqttServerVerticle(Broker broker, String thingsStream, int port, boolean webSocket, int wsPort) {
    this.broker = broker;
    this.thingsStream = thingsStream;
    this.port = port;
    this.webSocket = webSocket;
    this.wsPort = wsPort;
  }

  @Override
  public Future<?> start() {
    router = new ChannelRouter(context, vertx.eventBus(), broker, broker.clustered());
    ThingsChanges changes = new ThingsChanges(broker.access, router);
    // The committed copy comes first, without waiting for the event store; the durable copy is the backstop.
    return vertx.eventBus().<DomainEvent>consumer(Addresses.committed(thingsStream),
            message -> changes.apply(message.body())).completion()
        .compose(v -> vertx.eventBus().<DomainEvent>consumer(Addresses.events(thingsStream),
            message -> changes.apply(message.body())).completion())
        .compose(v -> listen(options(port, false)))
        .compose(v -> webSocket ? listen(options(wsPort, true)) : Future.succeededFuture());
  }

  private Future<MqttServer> listen(MqttServerOptions options) {
    MqttServer server = MqttServer.create(vertx, options)
        .endpointHandler(endpoint -> new DeviceConnection(broker, router, endpoint).connect())
        .exceptionHandler(error -> { });
    servers.add(server);
    String where = (options.isUseWebSocket() ? "MQTT over WebSocket" : "MQTT") + " cannot listen on "
        + options.getHost() + ":" + (options.getPort() < 0 ? "a free port" : String.valueOf(options.getPort()));
    return server.listen().recover(error -> Future.failedFuture(new IllegalStateException(where + " ("
        + (options.isUseWebSocket() ? "FG_MQTT_WS_PORT" : "FG_MQTT_PORT") + "): " + error.getMessage(), error)));
  }

  private MqttServerOptions options(int listenPort, boolean webSocket) {
    MqttConfig config = broker.config;
    MqttServerOptions options = new MqttServerOptions()
        .setHost(config.host())
        .setPort(listenPort)
        .setMaxMessageSize(config.maxMessageSize())
        .setTimeoutOnConnect((int) Math.max(1, config.connectTimeout().toSeconds()))
        .setAutoClientId(false)
        .setMaxClientIdLength(config.maxClientIdLength());
    if (webSocket) {
      // Without a compression option vertx-mqtt 5.0.7 breaks every WebSocket connection (see shared notes §4).
      options.setUseWebSocket(true).setPerMessageWebSocketCompressionSupported(true);
      options.setWebSocketMaxFrameSize(config.maxMessageSize() + 16);
    }
    if (config.tls()) {
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(config.tlsCert())
          .setKeyPath(config.tlsKey()));
    }
    return options;
  }

  int actualPort() {
    return servers.isEmpty() ? -1 : servers.get(0).actualPort();
  }

  int actualWebSocketPort() {
    return servers.size() < 2 ? -1 : servers.get(1).actualPort();
  }

  @Override
  public Future<?> stop() {
    router.shutDown();
    List<Future<Void>> closing = new ArrayList<>();
    servers.forEach(server -> closing.add(server.close()));
    return Future.join(closing);
  }
}
