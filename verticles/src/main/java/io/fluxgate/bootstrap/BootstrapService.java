package io.fluxgate.bootstrap;

import static io.fluxgate.api.RequestFields.optionalString;
import static io.fluxgate.api.RequestFields.requiredString;

import io.fluxgate.api.ApiError;
import io.fluxgate.api.Callers;
import io.fluxgate.api.PageRequest;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.config.SecretBox;
import io.fluxgate.events.Change;
import io.fluxgate.events.EventPublisher;
import io.fluxgate.sql.ConcurrentChange;
import io.fluxgate.sql.SqlErrors;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules of bootstrap configs: who may create, read and change them, how their thing and channels come from the
 * things service (asked over the bus for the caller), and what a device gets for its external id and key. Every call
 * emits its event of the bootstrap stream.
 */
public final class BootstrapService {

  private static final Logger LOG = LoggerFactory.getLogger(BootstrapService.class);

  private final Callers callers;
  private final ThingsClient things;
  private final BootstrapRepository configs;
  private final BootstrapEvents events;
  private final EventPublisher publisher;
  private final SecretBox secrets;
  private final DeviceCipher cipher;
  private final FailedAttempts failures;
  private final boolean readEvents;

  public BootstrapService(Callers callers, ThingsClient things, BootstrapRepository configs, BootstrapEvents events,
      EventPublisher publisher, SecretBox secrets, DeviceCipher cipher, FailedAttempts failures,
      boolean readEvents) {
    this.callers = callers;
    this.things = things;
    this.configs = configs;
    this.events = events;
    this.publisher = publisher;
    this.secrets = secrets;
    this.cipher = cipher;
    this.failures = failures;
    this.readEvents = readEvents;
  }

  /** A new config as requested; the secrets stay out of logs. */
  public record NewConfig(String externalId, String externalKey, String thingId, List<String> channels,
      String content, String name, String clientCert, String clientKey, String caCert) {

    public static NewConfig from(JsonObject request) {
      return new NewConfig(requiredString(request, "external_id", 256), requiredString(request, "external_key", 1024),
          optionalString(request, "thing_id", 36), ConfigFields.channels(request, "channels", false),
          ConfigFields.content(request, false), optionalString(request, "name", 1024),
          ConfigFields.certificate(request, "client_cert"), ConfigFields.privateKey(request, "client_key"),
          ConfigFields.certificate(request, "ca_cert"));
    }

    @Override
    public String toString() {
      return "NewConfig[externalId=" + externalId + ", thingId=" + thingId + "]";
    }
  }

  /** New name and content of a config: both required, as in the reference API. */
  public record ConfigUpdate(String name, String content) {

    public static ConfigUpdate from(JsonObject request) {
      if (!(request.getValue("name") instanceof String)) {
        throw ApiError.malformed("name is required and must be a string");
      }
      return new ConfigUpdate(optionalString(request, "name", 1024), ConfigFields.content(request, true));
    }
  }

  /** New certificates of a config; an absent one becomes empty. */
  public record CertUpdate(String clientCert, String clientKey, String caCert) {

    public static CertUpdate from(JsonObject request) {
      return new CertUpdate(ConfigFields.certificate(request, "client_cert"),
          ConfigFields.privateKey(request, "client_key"), ConfigFields.certificate(request, "ca_cert"));
    }

    @Override
    public String toString() {
      return "CertUpdate[]";
    }
  }

  /** The signed-in user of {@code accessToken} (a 401 when the users service refuses it). */
  public Future<Requester> requester(String accessToken) {
    return callers.identify(accessToken).map(caller -> new Requester(caller, accessToken));
  }

  /**
   * Creates a config owned by the requester: for its thing {@code thing_id}, or for a thing the things service
   * creates now; every channel must exist and be the requester's; 409 when the external id or thing has a config.
   */
  public Future<JsonObject> create(Requester requester, NewConfig command) {
    return configs.externalIdTaken(command.externalId()).compose(taken -> taken
        ? Future.failedFuture(ApiError.conflict("external_id " + command.externalId() + " has a config already"))
        : things.channels(requester, command.channels()))
        .compose(channels -> (command.thingId().isEmpty()
            ? things.create(requester, command.name().isEmpty() ? command.externalId() : command.name())
            : things.view(requester, command.thingId()))
            .compose(thing -> {
              DeviceConfig config = new DeviceConfig(thing.id(), requester.caller().id(), command.name(),
                  command.externalId(), command.externalKey(), thing.key(), command.content(), command.clientCert(),
                  command.clientKey(), command.caCert(), DeviceConfig.INACTIVE,
                  channels.stream().map(ThingsClient.ChannelInfo::channel).toList(), Instant.now().toString(), 1);
              return keepChannels(channels).compose(x -> publisher.commit(conn -> configs.insert(conn, config)
                  .map(v -> Change.of(config, events.created(config)))));
            }))
        .map(config -> config.toApi(true))
        .recover(BootstrapService::explain);
  }

  /** Keeps the channels' names and metadata as the things service answered them, unless newer ones are held. */
  private Future<Void> keepChannels(List<ThingsClient.ChannelInfo> channels) {
    Future<Void> chain = Future.succeededFuture();
    for (ThingsClient.ChannelInfo info : channels) {
      chain = chain.compose(v -> keepChannel(info).recover(error -> SqlErrors.isUniqueViolation(error)
          ? keepChannel(info) : Future.failedFuture(error)));
    }
    return chain;
  }

  // Tried again once on a unique violation: the things-stream consumer inserted the same channel meanwhile.
  private Future<Void> keepChannel(ThingsClient.ChannelInfo info) {
    ConfigChannel c = info.channel();
    return publisher.commit(conn -> configs.putChannel(conn, c.id(), c.name(), c.metadata(), info.revision())
        .map(changed -> new Change<Void>(null, changed
            ? List.of(events.channelUpdatedFor(c.id(), c.name(), c.metadata(), info.revision())) : List.of())));
  }

  /** A config of the requester, with its secrets. */
  public Future<JsonObject> view(Requester requester, String thingId) {
    return owned(requester, thingId).map(config -> {
      emit(events.viewed(config));
      return config.toApi(true);
    });
  }

  /**
   * A page of the requester's configs (every config for an administrator), without channels or secrets; filters
   * {@code state} (0 or 1) and {@code external_id} match exactly, {@code name} partially, ignoring case.
   */
  public Future<JsonObject> list(Requester requester, Map<String, String> query) {
    PageRequest paging = PageRequest.from(query);
    int state = query.containsKey("state") ? PageRequest.integer(query, "state", -1, 0, 1) : -1;
    JsonObject filters = new JsonObject();
    for (String key : List.of("state", "name", "external_id")) {
      if (query.containsKey(key)) {
        filters.put(key, query.get(key));
      }
    }
    String owner = requester.caller().admin() ? "" : requester.caller().id();
    return configs.list(new BootstrapRepository.ConfigFilter(owner, query.getOrDefault("name", ""),
            query.getOrDefault("external_id", ""), state), paging.offset(), paging.limit())
        .map(page -> {
          emit(events.listed(page.total(), paging.offset(), paging.limit(), filters));
          return paging.toJson("configs", page, config -> config.toApi(false));
        });
  }

  /** Replaces name and content. */
  public Future<JsonObject> update(Requester requester, String thingId, ConfigUpdate command) {
    return change(requester, thingId, c -> c.changed(command.name(), command.content(), c.clientCert(),
        c.clientKey(), c.caCert(), c.state(), c.channels()), events::updated)
        .map(config -> config.toApi(false));
  }

  /** Replaces the certificates and the client's private key; answers them. */
  public Future<JsonObject> updateCerts(Requester requester, String thingId, CertUpdate command) {
    return change(requester, thingId, c -> c.changed(c.name(), c.content(), command.clientCert(),
        command.clientKey(), command.caCert(), c.state(), c.channels()), events::certsUpdated)
        .map(c -> new JsonObject().put("thing_id", c.thingId()).put("client_cert", c.clientCert())
            .put("client_key", c.clientKey()).put("ca_cert", c.caCert()));
  }

  /**
   * Replaces the config's channels (each the requester's); for an active config the thing is connected to the new
   * channels and disconnected from the dropped ones through the things service.
   */
  public Future<JsonObject> updateConnections(Requester requester, String thingId, List<String> channelIds) {
    return owned(requester, thingId).compose(config -> things.channels(requester, channelIds).compose(channels -> {
      List<String> dropped = config.channelIds().stream().filter(id -> !channelIds.contains(id)).toList();
      List<String> added = channelIds.stream().filter(id -> !config.channelIds().contains(id)).toList();
      Future<Void> linked = config.active() ? connect(requester, thingId, added)
          .compose(v -> disconnect(requester, thingId, dropped)) : Future.succeededFuture();
      List<ConfigChannel> named = channels.stream().map(ThingsClient.ChannelInfo::channel).toList();
      return linked.compose(v -> keepChannels(channels)).compose(v -> commitChange(thingId,
          c -> c.changed(c.name(), c.content(), c.clientCert(), c.clientKey(), c.caCert(), c.state(), named),
          true, events::connectionsUpdated));
    })).map(config -> config.toApi(false)).recover(BootstrapService::explain);
  }

  /**
   * 1 connects the thing to every channel of its config through the things service, 0 disconnects it. The inactive
   * state is written before the disconnects, so the consumer of the things stream knows them for bootstrap's own.
   */
  public Future<Void> changeState(Requester requester, String thingId, int state) {
    return owned(requester, thingId).compose(config -> {
      if (state == DeviceConfig.ACTIVE) {
        return connect(requester, thingId, config.channelIds()).compose(v -> writeState(config, state));
      }
      return writeState(config, state).compose(v -> disconnect(requester, thingId, config.channelIds()));
    }).recover(BootstrapService::explain);
  }

  /** The state argument of PUT /things/state: 0 or 1. */
  public static int state(JsonObject request) {
    if (!(request.getValue("state") instanceof Integer state) || (state != 0 && state != 1)) {
      throw ApiError.malformed("state is required and must be 0 or 1");
    }
    return state;
  }

  private Future<Void> writeState(DeviceConfig config, int state) {
    if (config.state() == state) {
      return Future.succeededFuture();
    }
    return commitChange(config.thingId(), c -> c.changed(c.name(), c.content(), c.clientCert(), c.clientKey(),
        c.caCert(), state, c.channels()), false, events::stateChanged).mapEmpty();
  }

  private Future<Void> connect(Requester requester, String thingId, List<String> channelIds) {
    Future<Void> chain = Future.succeededFuture();
    for (String channelId : channelIds) {
      chain = chain.compose(v -> things.connect(requester, thingId, channelId));
    }
    return chain;
  }

  private Future<Void> disconnect(Requester requester, String thingId, List<String> channelIds) {
    Future<Void> chain = Future.succeededFuture();
    for (String channelId : channelIds) {
      chain = chain.compose(v -> things.disconnect(requester, thingId, channelId));
    }
    return chain;
  }

  /** Removes a config; an active one's thing is disconnected from its channels afterwards. */
  public Future<Void> remove(Requester requester, String thingId) {
    return owned(requester, thingId).compose(config -> publisher.commit(conn -> removeCurrent(conn, thingId)))
        .compose(removed -> removed.active()
            ? disconnect(requester, thingId, removed.channelIds()).recover(error -> {
              LOG.warn("config of thing {} removed; disconnecting it from its channels failed: {}", thingId,
                  error.getMessage());
              return Future.succeededFuture();
            })
            : Future.succeededFuture());
  }

  // The removal's revision follows the config as it is in the transaction, whatever a reaction did since.
  private Future<Change<DeviceConfig>> removeCurrent(SqlConnection conn, String thingId) {
    return configs.find(conn, thingId).compose(current -> current == null
        ? Future.failedFuture(ApiError.notFound("no config for thing " + thingId))
        : configs.delete(conn, thingId).map(v -> Change.of(current, events.removed(current))));
  }

  /**
   * What the device with {@code externalId} gets when it shows {@code externalKey}: 404 for an unknown id, 401 for a
   * wrong key, 429 after too many failures for that id. Every attempt emits {@code thing.bootstrap}.
   */
  public Future<JsonObject> bootstrap(String externalId, String externalKey) {
    if (failures.blocked(externalId)) {
      emit(events.bootstrapped(externalId, false, ""));
      return Future.failedFuture(ApiError.tooManyRequests(
          "too many failed bootstrap attempts for this external id; try again later", failures.retryAfter(externalId)));
    }
    return configs.findForDevice(externalId).compose(found -> {
      if (found == null || externalKey == null || !secrets.matches(externalKey, found.externalKeyHash())) {
        failures.failed(externalId);
        emit(events.bootstrapped(externalId, false, found == null ? "" : found.config().thingId()));
        return Future.failedFuture(found == null ? ApiError.notFound("no config for external id " + externalId)
            : ApiError.unauthenticated("the external key is not this config's"));
      }
      failures.succeeded(externalId);
      emit(events.bootstrapped(externalId, true, found.config().thingId()));
      return Future.succeededFuture(found.config().toDevice());
    });
  }

  /**
   * The secure bootstrap: the external key comes encrypted under the shared key (hex), the answer goes back
   * encrypted under it (IV, ciphertext, tag).
   */
  public Future<Buffer> secureBootstrap(String externalId, String encryptedKey) {
    String externalKey = encryptedKey == null ? null : cipher.externalKey(encryptedKey);
    return bootstrap(externalId, externalKey).map(answer -> Buffer.buffer(cipher.encrypt(answer.toBuffer().getBytes())));
  }

  @FunctionalInterface
  private interface Mutation {
    DeviceConfig apply(DeviceConfig config);
  }

  private Future<DeviceConfig> change(Requester requester, String thingId, Mutation mutation,
      Function<DeviceConfig, DomainEvent> event) {
    return owned(requester, thingId).compose(config -> commitChange(thingId, mutation, false, event))
        .recover(BootstrapService::explain);
  }

  /**
   * Applies {@code mutation} to the config as it is inside the transaction, so that a reaction to the things stream
   * that moved its revision since the caller read it (a connect bootstrap itself caused) is built on, not refused.
   */
  private Future<DeviceConfig> commitChange(String thingId, Mutation mutation, boolean withChannels,
      Function<DeviceConfig, DomainEvent> event) {
    return publisher.commit(conn -> configs.find(conn, thingId).compose(current -> {
      if (current == null) {
        return Future.failedFuture(ApiError.notFound("no config for thing " + thingId));
      }
      DeviceConfig changed = mutation.apply(current);
      return (withChannels ? configs.updateWithChannels(conn, changed) : configs.update(conn, changed))
          .map(v -> Change.of(changed, event.apply(changed)));
    }));
  }

  /** The config if it exists (404) and the requester owns it (403). */
  private Future<DeviceConfig> owned(Requester requester, String thingId) {
    return configs.find(thingId).compose(config -> {
      if (config == null) {
        return Future.failedFuture(ApiError.notFound("no config for thing " + thingId));
      }
      if (!requester.caller().owns(config.owner())) {
        return Future.failedFuture(ApiError.forbidden("the config belongs to another user"));
      }
      return Future.succeededFuture(config);
    });
  }

  /** Turns storage failures callers can act on into API errors. */
  private static <T> Future<T> explain(Throwable error) {
    if (SqlErrors.isUniqueViolation(error)) {
      return Future.failedFuture(ApiError.conflict("that external id or thing has a config already"));
    }
    if (error instanceof ConcurrentChange) {
      return Future.failedFuture(ApiError.conflict("it changed meanwhile; read it again and retry"));
    }
    return Future.failedFuture(error);
  }

  private void emit(DomainEvent event) {
    if (readEvents || event.operation().equals("thing.bootstrap")) {
      publisher.publish(event);
    }
  }
}
