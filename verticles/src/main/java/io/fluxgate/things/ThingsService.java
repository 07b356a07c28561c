package io.fluxgate.things;

import static io.fluxgate.api.RequestFields.optionalString;
import static io.fluxgate.api.RequestFields.requiredString;
import static io.fluxgate.api.RequestFields.strings;

import io.fluxgate.api.ApiError;
import io.fluxgate.api.Caller;
import io.fluxgate.api.Callers;
import io.fluxgate.api.MetadataFilter;
import io.fluxgate.api.PageRequest;
import io.fluxgate.api.RequestFields;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.Change;
import io.fluxgate.events.EventPublisher;
import io.fluxgate.sql.ConcurrentChange;
import io.fluxgate.sql.SqlErrors;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/** The rules of things and their keys. Every call emits its event of the things stream. */
public final class ThingsService {

  /** The most things one bulk call creates. */
  public static final int MAX_BULK = 5000;
  private static final int MAX_KEY = 1024;

  private final ThingsConfig config;
  private final Callers callers;
  private final ThingRepository things;
  private final ChannelRepository channels;
  private final ConnectionRepository connections;
  private final ThingKeys keys;
  private final AccessIndex index;
  private final ThingEvents events;
  private final EventPublisher publisher;
  private final boolean readEvents;

  public ThingsService(ThingsConfig config, Callers callers, ThingRepository things, ChannelRepository channels,
      ConnectionRepository connections, ThingKeys keys, AccessIndex index, ThingEvents events,
      EventPublisher publisher, boolean readEvents) {
    this.config = config;
    this.callers = callers;
    this.things = things;
    this.channels = channels;
    this.connections = connections;
    this.keys = keys;
    this.index = index;
    this.events = events;
    this.publisher = publisher;
    this.readEvents = readEvents;
  }

  /** Creates one thing owned by the caller (or, for an administrator, by the given owner); answers it with its key. */
  public Future<JsonObject> create(String accessToken, JsonObject request) {
    return createAll(accessToken, List.of(request)).map(created -> created.getJsonObject(0));
  }

  /** Creates every thing of {@code requests} or none; answers them with their keys. */
  public Future<JsonArray> createBulk(String accessToken, JsonArray requests) {
    try {
      return createAll(accessToken, RequestFields.objects(requests, MAX_BULK, "thing"));
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
  }

  private Future<JsonArray> createAll(String accessToken, List<JsonObject> requests) {
    List<NewThing> wanted = new ArrayList<>(requests.size());
    try {
      for (JsonObject request : requests) {
        wanted.add(NewThing.from(request, config.keyMinLength()));
      }
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return callers.identify(accessToken).compose(caller -> {
      // Only an administrator names other owners, and each must exist.
      java.util.Set<String> others = new java.util.LinkedHashSet<>();
      for (NewThing w : wanted) {
        if (!w.owner().isEmpty() && !w.owner().equals(caller.id())) {
          if (!caller.admin()) {
            return Future.failedFuture(ApiError.forbidden("only an administrator creates things for another owner"));
          }
          others.add(w.owner());
        }
      }
      Future<Void> owners = Future.succeededFuture();
      for (String owner : others) {
        owners = owners.compose(v -> callers.requireUser(owner));
      }
      return owners.map(caller);
    }).compose(caller -> {
      String now = Instant.now().toString();
      List<ThingRepository.Stored> rows = new ArrayList<>(wanted.size());
      List<String> plainKeys = new ArrayList<>(wanted.size());
      List<DomainEvent> created = new ArrayList<>(wanted.size());
      for (NewThing w : wanted) {
        String key = w.key().isEmpty() ? keys.generate() : w.key();
        Thing thing = new Thing(UUID.randomUUID().toString(), w.name(), w.identity(), w.tags(),
            w.owner().isEmpty() ? caller.id() : w.owner(), w.metadata(), w.status(), now, "", "", 1);
        rows.add(new ThingRepository.Stored(thing, keys.hash(key), keys.seal(key)));
        plainKeys.add(key);
        created.add(events.created(thing));
      }
      return publisher.commit(conn -> things.insert(conn, rows).map(v -> new Change<>(rows, created)))
          .map(stored -> {
            JsonArray answer = new JsonArray();
            for (int i = 0; i < stored.size(); i++) {
              ThingRepository.Stored s = stored.get(i);
              index.putThing(s.thing().id(), s.keyHash(), s.thing().isEnabled(), s.thing().revision());
              answer.add(s.thing().toApi(plainKeys.get(i)));
            }
            return answer;
          });
    }).recover(ThingsService::explain);
  }

  /** A thing the caller owns, with its key. */
  public Future<JsonObject> view(String accessToken, String thingId) {
    return owned(accessToken, thingId).map(stored -> {
      emit(events.viewed(stored.thing()));
      return stored.thing().toApi(keys.open(stored.keyCipher()));
    });
  }

  /** A page of the caller's things (every thing for an administrator, narrowed by {@code owner_id} if given). */
  public Future<JsonObject> list(String accessToken, Map<String, String> query) {
    PageRequest paging;
    String status;
    List<String> tags;
    MetadataFilter metadata;
    JsonObject filters = new JsonObject();
    try {
      paging = PageRequest.from(query);
      status = RequestFields.statusFilter(query);
      tags = query.containsKey("tags")
          ? Arrays.stream(query.get("tags").split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList()
          : List.of();
      metadata = MetadataFilter.parse(query.get("metadata"));
      for (String key : List.of("name", "status", "tags", "metadata", "owner_id")) {
        if (query.containsKey(key)) {
          filters.put(key, query.get(key));
        }
      }
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return callers.identify(accessToken).compose(caller -> {
      String owner = caller.admin() ? query.getOrDefault("owner_id", "") : caller.id();
      return things.list(new ThingRepository.ThingFilter(owner, query.getOrDefault("name", ""), status, tags, metadata),
          paging.offset(), paging.limit());
    }).map(page -> {
      emit(events.listed(page.total(), paging.offset(), paging.limit(), filters));
      return paging.toJson("things", page, thing -> thing.toApi(""));
    });
  }

  /** The things connected to a channel the caller owns ({@code connected=false}: the caller's other things). */
  public Future<JsonObject> listByChannel(String accessToken, String channelId, Map<String, String> query) {
    PageRequest paging;
    boolean connected;
    try {
      paging = PageRequest.from(query);
      String flag = query.getOrDefault("connected", "true");
      if (!flag.equals("true") && !flag.equals("false")) {
        throw ApiError.malformed("connected must be true or false");
      }
      connected = flag.equals("true");
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return callers.identify(accessToken).compose(caller -> channels.findById(channelId).compose(channel -> {
      if (channel == null) {
        return Future.failedFuture(ApiError.notFound("no channel " + channelId));
      }
      if (!caller.owns(channel.owner())) {
        return Future.failedFuture(ApiError.forbidden("the channel belongs to another user"));
      }
      return things.listByChannel(channelId, connected, connected ? "" : channel.owner(), paging.offset(),
          paging.limit());
    })).map(page -> {
      emit(events.listedByChannel(channelId, page.total(), paging.offset(), paging.limit()));
      return paging.toJson("things", page, thing -> thing.toApi(""));
    });
  }

  /** Changes name and metadata. */
  public Future<JsonObject> update(String accessToken, String thingId, JsonObject request) {
    return change(accessToken, thingId, (thing, at, by) -> thing.changed(
        optionalString(request, "name", 1024), thing.tags(), thing.owner(),
        RequestFields.object(request, "metadata", true), thing.status(), at, by), events::updated);
  }

  public Future<JsonObject> updateTags(String accessToken, String thingId, JsonObject request) {
    return change(accessToken, thingId, (thing, at, by) -> thing.changed(thing.name(),
        strings(request, "tags", true), thing.owner(), thing.metadata(), thing.status(), at, by), events::tagsUpdated);
  }

  /** Hands a thing to another user, which must exist; its owner or an administrator may. */
  public Future<JsonObject> updateOwner(String accessToken, String thingId, JsonObject request) {
    String owner;
    try {
      owner = requiredString(request, "owner", 36);
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return change(accessToken, thingId, () -> callers.requireUser(owner), (thing, at, by) -> thing.changed(
        thing.name(), thing.tags(), owner, thing.metadata(), thing.status(), at, by), events::ownerUpdated);
  }

  public Future<JsonObject> changeStatus(String accessToken, String thingId, boolean enabled) {
    return change(accessToken, thingId, (thing, at, by) -> thing.changed(thing.name(), thing.tags(), thing.owner(),
        thing.metadata(), enabled ? RequestFields.ENABLED : RequestFields.DISABLED, at, by), events::statusChanged);
  }

  /** Replaces a thing's key; 409 when another thing has that key. */
  public Future<JsonObject> updateKey(String accessToken, String thingId, JsonObject request) {
    String key;
    try {
      key = requiredString(request, "secret", MAX_KEY);
      if (key.length() < config.keyMinLength()) {
        throw ApiError.malformed("secret must be at least " + config.keyMinLength() + " characters");
      }
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return callers.identify(accessToken).compose(caller -> owned(caller, thingId).compose(stored -> {
      Thing changed = stored.thing().changed(stored.thing().name(), stored.thing().tags(), stored.thing().owner(),
          stored.thing().metadata(), stored.thing().status(), Instant.now().toString(), caller.id());
      String hash = keys.hash(key);
      return publisher.commit(conn -> things.updateKey(conn, changed, hash, keys.seal(key))
          .map(v -> Change.of(changed, events.keyUpdated(changed))))
          .map(thing -> {
            index.putThing(thing.id(), hash, thing.isEnabled(), thing.revision());
            return thing.toApi(key);
          });
    })).recover(ThingsService::explain);
  }

  /** Deletes a thing and its connections: a {@code thing.disconnect} per connection, then {@code thing.remove}. */
  public Future<Void> delete(String accessToken, String thingId) {
    return callers.identify(accessToken).compose(caller -> owned(caller, thingId)).compose(stored ->
        publisher.commit(conn -> connections.deleteOfThing(conn, thingId)
            .compose(removed -> things.delete(conn, thingId).map(v -> new Change<>(stored.thing(),
                events.removedWithConnections(events.removed(stored.thing()), removed))))))
        .onSuccess(thing -> index.removeThing(thing.id(), thing.revision() + 1))
        .mapEmpty();
  }

  /** The id of the enabled thing whose key is {@code key}; a 401 otherwise. */
  public Future<String> identify(String key) {
    String id = key == null || key.isEmpty() ? null : index.identify(key);
    if (id == null) {
      return Future.failedFuture(ApiError.unauthenticated("no enabled thing has this key"));
    }
    emit(events.identified(id));
    return Future.succeededFuture(id);
  }

  /** A change of one thing by its owner or an administrator. */
  @FunctionalInterface
  private interface Mutation {
    Thing apply(Thing thing, String at, String by);
  }

  private Future<JsonObject> change(String accessToken, String thingId, Mutation mutation,
      Function<Thing, DomainEvent> event) {
    return change(accessToken, thingId, () -> Future.succeededFuture(), mutation, event);
  }

  // The precondition runs once the caller owns the thing, so it tells nothing to anyone else.
  private Future<JsonObject> change(String accessToken, String thingId,
      java.util.function.Supplier<Future<Void>> precondition, Mutation mutation, Function<Thing, DomainEvent> event) {
    return callers.identify(accessToken).compose(caller -> owned(caller, thingId)
        .compose(stored -> precondition.get().map(stored)).compose(stored -> {
      Thing changed = mutation.apply(stored.thing(), Instant.now().toString(), caller.id());
      return publisher.commit(conn -> things.update(conn, changed).map(v -> Change.of(changed, event.apply(changed))))
          .map(thing -> {
            index.putThing(thing.id(), stored.keyHash(), thing.isEnabled(), thing.revision());
            return thing.toApi(keys.open(stored.keyCipher()));
          });
    })).recover(ThingsService::explain);
  }

  private Future<ThingRepository.Stored> owned(String accessToken, String thingId) {
    return callers.identify(accessToken).compose(caller -> owned(caller, thingId));
  }

  /** The stored thing if it exists (404) and the caller owns it (403). */
  Future<ThingRepository.Stored> owned(Caller caller, String thingId) {
    return things.findById(thingId).compose(stored -> {
      if (stored == null) {
        return Future.failedFuture(ApiError.notFound("no thing " + thingId));
      }
      if (!caller.owns(stored.thing().owner())) {
        return Future.failedFuture(ApiError.forbidden("the thing belongs to another user"));
      }
      return Future.succeededFuture(stored);
    });
  }

  /** Turns storage failures callers can act on into API errors. */
  static <T> Future<T> explain(Throwable error) {
    if (SqlErrors.isUniqueViolation(error)) {
      return Future.failedFuture(ApiError.conflict("that key, identity or name is taken"));
    }
    if (error instanceof ConcurrentChange) {
      return Future.failedFuture(ApiError.conflict("it changed meanwhile; read it again and retry"));
    }
    return Future.failedFuture(error);
  }

  private void emit(DomainEvent event) {
    if (readEvents) {
      publisher.publish(event);
    }
  }

  /** A validated creation request; the key stays out of logs. */
  record NewThing(String name, String identity, String key, JsonArray tags, String owner, JsonObject metadata,
      String status) {

    static NewThing from(JsonObject request, int keyMinLength) {
      Object credentials = request.getValue("credentials");
      if (credentials != null && !(credentials instanceof JsonObject)) {
        throw ApiError.malformed("credentials must be an object with identity and secret");
      }
      JsonObject creds = credentials == null ? new JsonObject() : (JsonObject) credentials;
      String key = optionalString(creds, "secret", MAX_KEY);
      if (!key.isEmpty() && key.length() < keyMinLength) {
        throw ApiError.malformed("credentials.secret must be at least " + keyMinLength + " characters");
      }
      String status = RequestFields.newStatus(request);
      return new NewThing(optionalString(request, "name", 1024), optionalString(creds, "identity", 254), key,
          strings(request, "tags", false), optionalString(request, "owner", 36),
          RequestFields.object(request, "metadata", false), status == null ? RequestFields.ENABLED : status);
    }

    @Override
    public String toString() {
      return "NewThing[name=" + name + "]";
    }
  }
}
