package io.fluxgate.node;

import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import io.fluxgate.bootstrap.BootstrapVerticle;
import io.fluxgate.api.ServiceEndpoint;
import io.fluxgate.codecs.Streams;
import io.fluxgate.http.HttpAdapterVerticle;
import io.fluxgate.mqtt.MqttAdapterVerticle;
import io.fluxgate.things.ThingsVerticle;
import io.fluxgate.users.UsersVerticle;
import io.fluxgate.codecs.Codecs;
import io.fluxgate.config.ConfigException;
import io.fluxgate.events.EventLogVerticle;
import io.fluxgate.sql.Database;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Fluxgate node: Vert.x (clustered or not), the state database, the event log and the verticles of
 * its roles, started in that order and stopped in the reverse one.
 */
public final class Node {

  private static final Logger LOG = LoggerFactory.getLogger(Node.class);

  private final Vertx vertx;
  private final NodeSettings settings;
  private final Database db;
  private final EventLogVerticle eventLog;
  private final String eventLogId;
  private final List<String> roleDeployments;
  private final List<String> listening;

  private Node(Vertx vertx, NodeSettings settings, Database db, EventLogVerticle eventLog, String eventLogId,
      List<String> roleDeployments, List<String> listening) {
    this.vertx = vertx;
    this.settings = settings;
    this.db = db;
    this.eventLog = eventLog;
    this.eventLogId = eventLogId;
    this.roleDeployments = roleDeployments;
    this.listening = listening;
  }

  /** Starts a node; on failure everything started so far is closed again. */
  public static Future<Node> start(NodeSettings settings, boolean clustered) {
    return createVertx(settings.node(), clustered).compose(vertx -> {
      Codecs.register(vertx.eventBus());
      vertx.exceptionHandler(new UnhandledErrors());
      // Fail first, then close: callbacks chained on a closing Vert.x would never run.
      return wire(vertx, settings).onFailure(error -> vertx.close());
    });
  }

  private static Future<Node> wire(Vertx vertx, NodeSettings settings) {
    return Database.open(vertx, settings.db()).compose(db -> {
      EventLogVerticle eventLog = new EventLogVerticle(db, settings.events());
      return vertx.deployVerticle(eventLog)
          .compose(eventLogId -> deployRoles(vertx, settings, db, eventLog).map(apis -> {
            List<String> ids = new ArrayList<>();
            List<String> listening = new ArrayList<>();
            for (var api : apis) {
              ids.add(api.deploymentId());
              listening.add(api.verticle().describe(settings.node().host()));
            }
            if (settings.node().metricsEnabled()) {
              listening.add("metrics on http://" + settings.node().metricsHost() + ":" + settings.node().metricsPort()
                  + "/metrics");
            }
            return new Node(vertx, settings, db, eventLog, eventLogId, ids, listening);
          }))
          .recover(error -> db.close().transform(v -> Future.failedFuture(error)));
    });
  }

  private record DeployedApi(String deploymentId, ServiceEndpoint verticle) {}

  private static Future<List<DeployedApi>> deployRoles(Vertx vertx, NodeSettings settings, Database db,
      EventLogVerticle eventLog) {
    Future<List<DeployedApi>> chain = Future.succeededFuture(new ArrayList<>());
    for (Role role : settings.node().roles()) {
      chain = chain.compose(list -> {
        ServiceEndpoint api = verticleOf(role, settings, db, eventLog);
        return vertx.deployVerticle((io.vertx.core.Deployable) api, new DeploymentOptions()).map(id -> {
          list.add(new DeployedApi(id, api));
          return list;
        });
      });
    }
    return chain;
  }

  /** The verticle that runs {@code role}. */
  private static ServiceEndpoint verticleOf(Role role, NodeSettings settings, Database db, EventLogVerticle log) {
    String host = settings.node().host();
    Streams streams = new Streams(settings.events().prefix());
    return switch (role) {
      case USERS -> new UsersVerticle(settings.users(), settings.smtp(), db, log.publisher(), streams,
          settings.node().instanceId(), host, settings.ports().users(), settings.events().readEvents());
      case THINGS -> new ThingsVerticle(settings.things(), db, log.publisher(), streams, settings.node().instanceId(),
          host, settings.ports().things(), settings.events().readEvents(), settings.node().busTimeout());
      case BOOTSTRAP -> new BootstrapVerticle(settings.bootstrap(), db, log.publisher(), log.store(), streams,
          settings.node().instanceId(), host, settings.ports().bootstrap(), settings.events().readEvents(),
          settings.node().busTimeout());
      case HTTP -> new HttpAdapterVerticle(host, settings.ports().httpAdapter(), settings.mqtt().maxMessageSize(),
          settings.node().busTimeout());
      case MQTT -> new MqttAdapterVerticle(settings.mqtt(), log.publisher(), streams, settings.node().instanceId(),
          settings.node().busTimeout());
    };
  }

  private static Future<Vertx> createVertx(NodeConfig config, boolean clustered) {
    VertxOptions options = new VertxOptions().setPreferNativeTransport(true);
    var builder = Vertx.builder();
    if (config.metricsEnabled()) {
      options.setMetricsOptions(new MicrometerMetricsOptions()
          .setEnabled(true)
          .setJvmMetricsEnabled(true)
          .setPrometheusOptions(new VertxPrometheusOptions()
              .setEnabled(true)
              .setStartEmbeddedServer(true)
              .setEmbeddedServerOptions(
                  new HttpServerOptions().setHost(config.metricsHost()).setPort(config.metricsPort()))
              .setEmbeddedServerEndpoint("/metrics")));
      builder.withMetrics(new MicrometerMetricsFactory());
    }
    if (!clustered) {
      return Future.succeededFuture(builder.with(options).build());
    }
    options.getEventBusOptions().setHost(config.clusterHost()).setPort(0);
    return builder.with(options).withClusterManager(new HazelcastClusterManager(hazelcast(config))).buildClustered();
  }

  private static Config hazelcast(NodeConfig config) {
    if (!Files.isRegularFile(config.clusterConfig())) {
      throw new ConfigException("invalid configuration cluster.config (FG_CLUSTER_CONFIG) = '"
          + config.clusterConfig() + "': no such file");
    }
    try {
      return new FileSystemXmlConfig(config.clusterConfig().toFile());
    } catch (FileNotFoundException e) {
      throw new ConfigException("cannot read cluster configuration " + config.clusterConfig());
    }
  }

  /** Undeploys the roles, then the event log (which lets outstanding appends finish), then closes the rest. */
  public Future<Void> stop() {
    Future<Void> chain = Future.succeededFuture();
    for (int i = roleDeployments.size() - 1; i >= 0; i--) {
      String id = roleDeployments.get(i);
      chain = chain.eventually(() -> vertx.undeploy(id));
    }
    return chain
        .eventually(() -> vertx.undeploy(eventLogId))
        .eventually(db::close)
        .eventually(vertx::close)
        .onComplete(r -> LOG.info("node {} stopped", settings.node().instanceId()));
  }

  public Vertx vertx() {
    return vertx;
  }

  public Database database() {
    return db;
  }

  public EventLogVerticle eventLog() {
    return eventLog;
  }

  /** What the node listens on, one line each, for people starting it. */
  public List<String> listening() {
    return listening;
  }
}
