package io.fluxgate.things;

import static io.fluxgate.api.RequestFields.optionalString;
import static io.fluxgate.api.RequestFields.requiredString;

import io.fluxgate.api.ApiError;
import io.fluxgate.api.Caller;
import io.fluxgate.api.Callers;
import io.fluxgate.api.PageRequest;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.ThingAccess;
import io.fluxgate.codecs.UserRequest;
import io.fluxgate.events.Change;
import io.fluxgate.events.EventPublisher;
import io.fluxgate.sql.SqlErrors;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The rules of connections (thing policies): who may connect which thing to which channel, with which actions,
 * and the access questions the adapters ask. Every change emits its event of the things stream.
 */
public final class ConnectionsService {

  /** The most thing-channel pairs one connect or disconnect call may name. */
  public static final int MAX_PAIRS = 10_000;

  private final Callers callers;
  private final ThingsService things;
  private final ChannelsService channels;
  private final ConnectionRepository connections;
  private final AccessIndex index;
  private final ThingEvents events;
  private final EventPublisher publisher;
  private final boolean readEvents;

  public ConnectionsService(Callers callers, ThingsService things, ChannelsService channels,
      ConnectionRepository connections, AccessIndex index, ThingEvents events, EventPublisher publisher,
      boolean readEvents) {
    this.callers = callers;
    this.things = things;
    this.channels = channels;
    this.connections = connections;
    this.index = index;
    this.events = events;
    this.publisher = publisher;
    this.readEvents = readEvents;
  }

  /** What a connect or disconnect names: every thing with every channel. */
  record Pairs(List<String> thingIds, List<String> channelIds, List<String> actions) {

    static Pairs from(JsonObject request, String thingsField, String channelsField, boolean withActions) {
      List<String> thingIds = ids(request, thingsField);
      List<String> channelIds = ids(request, channelsField);
      if ((long) thingIds.size() * channelIds.size() > MAX_PAIRS) {
        throw ApiError.malformed("at most " + MAX_PAIRS + " thing-channel pairs per call");
      }
      return new Pairs(thingIds, channelIds, withActions ? ConnectionsService.actions(request) : List.of());
    }

    private static List<String> ids(JsonObject request, String field) {
      Object value = request.getValue(field);
      if (!(value instanceof JsonArray array) || array.isEmpty()
          || !array.stream().allMatch(id -> id instanceof String text && !text.isBlank() && text.length() <= 36)) {
        throw ApiError.malformed(field + " is required and must be a non-empty array of ids");
      }
      LinkedHashSet<String> unique = new LinkedHashSet<>();
      array.forEach(id -> unique.add((String) id));
      return List.copyOf(unique);
    }
  }

  /** The {@code actions} of a request: {@code m_read} and/or {@code m_write}, both when absent. */
  static List<String> actions(JsonObject request) {
    Object value = request.getValue("actions");
    if (value == null && request.getValue("action") instanceof String single) {
      value = new JsonArray().add(single);
    }
    if (value == null) {
      return Connection.ALL;
    }
    if (!(value instanceof JsonArray array) || array.isEmpty()
        || !array.stream().allMatch(a -> Connection.ALL.contains(a))) {
      throw ApiError.malformed("actions must be a non-empty array of m_read and m_write");
    }
    return Connection.ALL.stream().filter(array::contains).toList();
  }

  /** Connects every listed thing to every listed channel, or nothing (404, 403, 409). */
  public Future<JsonObject> connect(String accessToken, JsonObject request) {
    Pairs pairs;
    try {
      pairs = Pairs.from(request, "subjects", "objects", true);
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return callers.identify(accessToken).compose(caller -> connectAs(caller, pairs)).map(created -> {
      JsonArray policies = new JsonArray();
      created.forEach(c -> policies.add(c.toApi()));
      return new JsonObject().put("total", created.size()).put("offset", 0).put("limit", created.size())
          .put("policies", policies);
    });
  }

  /**
   * The same for bootstrap over the bus: the user is the one the request's token identifies (never a field of the
   * message), so bootstrap connects only what its caller owns.
   */
  public Future<List<Connection>> connectFor(UserRequest request) {
    Pairs pairs;
    try {
      pairs = Pairs.from(request.fields(), "thing_ids", "channel_ids", true);
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return callers.identify(request.accessToken()).compose(caller -> connectAs(caller, pairs));
  }

  private Future<List<Connection>> connectAs(Caller caller, Pairs pairs) {
    return checkOwnership(caller, pairs).compose(v -> publisher.commit(conn -> {
      String now = Instant.now().toString();
      List<Connection> created = new ArrayList<>();
      Future<Void> chain = Future.succeededFuture();
      for (String thingId : pairs.thingIds()) {
        // A pair connected before continues its revision count, so consumers never take it for a stale duplicate.
        chain = chain.compose(x -> connections.removedRevisions(conn, thingId).map(removed -> {
          for (String channelId : pairs.channelIds()) {
            created.add(new Connection(thingId, channelId, pairs.actions(), caller.id(), now, "", "",
                removed.getOrDefault(channelId, 0L) + 1));
          }
          return null;
        }));
      }
      return chain.compose(x -> connections.insert(conn, created))
          .map(x -> new Change<>(created, created.stream().map(events::connected).toList()));
    })).onSuccess(created -> created.forEach(c -> index.connect(c.thingId(), c.channelId(), c.actions(), c.revision())))
        .recover(error -> Future.failedFuture(SqlErrors.isUniqueViolation(error)
            ? ApiError.conflict("a listed thing and channel are connected already; nothing was connected") : error));
  }

  /** Disconnects every listed thing from every listed channel it is connected to; 404 when none was. */
  public Future<Void> disconnect(String accessToken, JsonObject request) {
    Pairs pairs;
    try {
      pairs = Pairs.from(request, "subjects", "objects", false);
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return callers.identify(accessToken).compose(caller -> disconnectAs(caller, pairs));
  }

  /** The same for bootstrap over the bus, for the user the request's token identifies. */
  public Future<Void> disconnectFor(UserRequest request) {
    Pairs pairs;
    try {
      pairs = Pairs.from(request.fields(), "thing_ids", "channel_ids", false);
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return callers.identify(request.accessToken()).compose(caller -> disconnectAs(caller, pairs));
  }

  private Future<Void> disconnectAs(Caller caller, Pairs pairs) {
    return checkOwnership(caller, pairs).compose(v -> publisher.commit(conn -> {
      Future<List<Connection>> chain = Future.succeededFuture(new ArrayList<>());
      for (String thingId : pairs.thingIds()) {
        for (String channelId : pairs.channelIds()) {
          chain = chain.compose(removed -> connections.find(conn, thingId, channelId).compose(found -> found == null
              ? Future.succeededFuture(removed)
              : connections.delete(conn, found).map(x -> {
                removed.add(found);
                return removed;
              })));
        }
      }
      return chain.compose(removed -> removed.isEmpty()
          ? Future.failedFuture(ApiError.notFound("none of the listed things is connected to a listed channel"))
          : Future.succeededFuture(new Change<>(removed, removed.stream().map(events::disconnected).toList())));
    })).onSuccess(removed -> removed.forEach(c -> index.disconnect(c.thingId(), c.channelId(), c.revision() + 1)))
        .recover(ThingsService::explain).mapEmpty();
  }

  /** Every thing and channel exists (404) and the caller owns it (403). */
  private Future<Void> checkOwnership(Caller caller, Pairs pairs) {
    Future<?> chain = Future.succeededFuture();
    for (String thingId : pairs.thingIds()) {
      chain = chain.compose(v -> things.owned(caller, thingId));
    }
    for (String channelId : pairs.channelIds()) {
      chain = chain.compose(v -> channels.owned(caller, channelId));
    }
    return chain.mapEmpty();
  }

  /** POST /policies: connects one thing to one channel with the given actions. */
  public Future<JsonObject> addPolicy(String accessToken, JsonObject request) {
    JsonObject connect;
    try {
      connect = new JsonObject()
          .put("subjects", new JsonArray().add(requiredString(request, "subject", 36)))
          .put("objects", new JsonArray().add(requiredString(request, "object", 36)))
          .put("actions", new JsonArray(actions(request)));
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return connect(accessToken, connect).map(page -> page.getJsonArray("policies").getJsonObject(0));
  }

  /** PUT /policies: replaces the actions of an existing connection. */
  public Future<JsonObject> updatePolicy(String accessToken, JsonObject request) {
    String thingId;
    String channelId;
    List<String> actions;
    try {
      thingId = requiredString(request, "subject", 36);
      channelId = requiredString(request, "object", 36);
      if (request.getValue("actions") == null) {
        throw ApiError.malformed("actions is required");
      }
      actions = actions(request);
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return callers.identify(accessToken).compose(caller -> checkOwnership(caller,
            new Pairs(List.of(thingId), List.of(channelId), actions))
        .compose(v -> publisher.commit(conn -> connections.find(conn, thingId, channelId).compose(found -> {
          if (found == null) {
            return Future.failedFuture(ApiError.notFound("the thing is not connected to the channel"));
          }
          Connection changed = found.withActions(actions, Instant.now().toString(), caller.id());
          return connections.update(conn, changed).map(x -> Change.of(changed, events.connectionUpdated(changed)));
        }))))
        .onSuccess(c -> index.connect(c.thingId(), c.channelId(), c.actions(), c.revision()))
        .map(Connection::toApi)
        .recover(ThingsService::explain);
  }

  /** DELETE /policies/{thing}/{channel}. */
  public Future<Void> deletePolicy(String accessToken, String thingId, String channelId) {
    return callers.identify(accessToken).compose(caller -> disconnectAs(caller,
        new Pairs(List.of(thingId), List.of(channelId), List.of())));
  }

  /** GET /policies: the caller's connections (all for an administrator), filtered by subject, object, action. */
  public Future<JsonObject> listPolicies(String accessToken, Map<String, String> query) {
    PageRequest paging;
    JsonObject filters = new JsonObject();
    try {
      paging = PageRequest.from(query);
      String action = query.getOrDefault("actions", "");
      if (!action.isEmpty() && !Connection.ALL.contains(action)) {
        throw ApiError.malformed("actions must be m_read or m_write");
      }
      for (String key : List.of("subject", "object", "actions")) {
        if (query.containsKey(key)) {
          filters.put(key, query.get(key));
        }
      }
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return callers.identify(accessToken).compose(caller -> connections.list(new ConnectionRepository.ConnectionFilter(
            caller.admin() ? "" : caller.id(), query.getOrDefault("subject", ""), query.getOrDefault("object", ""),
            query.getOrDefault("actions", "")), paging.offset(), paging.limit()))
        .map(page -> {
          emit(events.policiesListed(page.total(), paging.offset(), paging.limit(), filters));
          return paging.toJson("policies", page, Connection::toApi);
        });
  }

  /**
   * POST /channels/{id}/access: whether a thing may use a channel. The thing is the one whose key the request
   * carries, or (for the owner of the channel, with a user token) the {@code subject} named in the body.
   */
  public Future<JsonObject> access(String thingKey, String accessToken, String channelId, JsonObject request) {
    ThingAccess.Action action;
    try {
      String wanted = optionalString(request, "action", 16);
      action = switch (wanted) {
        case "", "m_read", "subscribe" -> ThingAccess.Action.SUBSCRIBE;
        case "m_write", "publish" -> ThingAccess.Action.PUBLISH;
        default -> throw ApiError.malformed("action must be m_read or m_write");
      };
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    Future<String> thingId;
    if (thingKey != null) {
      String id = index.identify(thingKey);
      thingId = id == null ? Future.failedFuture(ApiError.unauthenticated("no enabled thing has this key"))
          : Future.succeededFuture(id);
    } else if (accessToken != null) {
      String subject = optionalString(request, "subject", 36);
      thingId = callers.identify(accessToken).compose(caller -> channels.owned(caller, channelId))
          .map(channel -> subject);
    } else {
      return Future.failedFuture(ApiError.unauthenticated("an Authorization: Thing <key> header is required"));
    }
    return thingId.compose(id -> index.authorize(new ThingAccess(id, channelId, action))
        ? Future.succeededFuture(new JsonObject().put("id", id))
        : Future.failedFuture(ApiError.unauthenticated("the thing is not connected to the channel for this action")));
  }

  /** The adapters' question, answered from the index. */
  public boolean authorize(ThingAccess access) {
    return index.authorize(access);
  }

  private void emit(DomainEvent event) {
    if (readEvents) {
      publisher.publish(event);
    }
  }
}
