package io.fluxgate.things;

import static io.fluxgate.api.RequestFields.optionalString;
import static io.fluxgate.api.RequestFields.requiredString;

import io.fluxgate.api.ApiError;
import io.fluxgate.api.Caller;
import io.fluxgate.api.Callers;
import io.fluxgate.api.MetadataFilter;
import io.fluxgate.api.PageRequest;
import io.fluxgate.api.RequestFields;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.codecs.UserRequest;
import io.fluxgate.events.Change;
import io.fluxgate.events.EventPublisher;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/** The rules of channels. Every call emits its event of the things stream. */
public final class ChannelsService {

  private final Callers callers;
  private final ChannelRepository channels;
  private final ConnectionRepository connections;
  private final ThingsService things;
  private final AccessIndex index;
  private final ThingEvents events;
  private final EventPublisher publisher;
  private final boolean readEvents;

  public ChannelsService(Callers callers, ChannelRepository channels, ConnectionRepository connections,
      ThingsService things, AccessIndex index, ThingEvents events, EventPublisher publisher, boolean readEvents) {
    this.callers = callers;
    this.channels = channels;
    this.connections = connections;
    this.things = things;
    this.index = index;
    this.events = events;
    this.publisher = publisher;
    this.readEvents = readEvents;
  }

  public Future<JsonObject> create(String accessToken, JsonObject request) {
    return createAll(accessToken, List.of(request)).map(created -> created.getJsonObject(0));
  }

  /** Creates every channel of {@code requests} or none. */
  public Future<JsonArray> createBulk(String accessToken, JsonArray requests) {
    try {
      return createAll(accessToken, RequestFields.objects(requests, ThingsService.MAX_BULK, "channel"));
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
  }

  private Future<JsonArray> createAll(String accessToken, List<JsonObject> requests) {
    List<JsonObject> checked = new ArrayList<>(requests.size());
    try {
      for (JsonObject request : requests) {
        requiredString(request, "name", 1024);
        optionalString(request, "description", 1024);
        optionalString(request, "parent_id", 36);
        optionalString(request, "owner_id", 36);
        RequestFields.object(request, "metadata", false);
        RequestFields.newStatus(request);
        checked.add(request);
      }
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return callers.identify(accessToken).compose(caller -> {
      String now = Instant.now().toString();
      Future<List<Channel>> built = Future.succeededFuture(new ArrayList<>());
      for (JsonObject request : checked) {
        built = built.compose(list -> build(caller, request, now).map(channel -> {
          list.add(channel);
          return list;
        }));
      }
      return built.compose(list -> {
        List<DomainEvent> created = new ArrayList<>(list.size());
        list.forEach(channel -> created.add(events.channelCreated(channel)));
        return publisher.commit(conn -> channels.insert(conn, list).map(v -> new Change<>(list, created)));
      });
    }).map(list -> {
      JsonArray answer = new JsonArray();
      list.forEach(channel -> {
        index.putChannel(channel.id(), channel.isEnabled(), channel.revision());
        answer.add(channel.toApi());
      });
      return answer;
    }).recover(ThingsService::explain);
  }

  private Future<Channel> build(Caller caller, JsonObject request, String now) {
    String owner = optionalString(request, "owner_id", 36);
    if (!owner.isEmpty() && !caller.owns(owner)) {
      return Future.failedFuture(ApiError.forbidden("only an administrator creates channels for another owner"));
    }
    String id = UUID.randomUUID().toString();
    String status = RequestFields.newStatus(request);
    String parentId = optionalString(request, "parent_id", 36);
    // Another owner named by an administrator must exist.
    Future<Void> ownerExists = owner.isEmpty() || owner.equals(caller.id()) ? Future.succeededFuture()
        : callers.requireUser(owner);
    Future<Channel> parent = ownerExists.compose(v -> parentId.isEmpty() ? Future.succeededFuture()
        : owned(caller, parentId));
    return parent.compose(p -> {
      if (p != null && p.level() >= Channel.MAX_LEVEL) {
        return Future.failedFuture(ApiError.malformed("channels nest at most " + Channel.MAX_LEVEL + " levels"));
      }
      return Future.succeededFuture(new Channel(id, requiredString(request, "name", 1024),
          optionalString(request, "description", 1024), owner.isEmpty() ? caller.id() : owner, parentId,
          RequestFields.object(request, "metadata", false), status == null ? RequestFields.ENABLED : status,
          p == null ? id : p.path() + "." + id, p == null ? 1 : p.level() + 1, now, "", "", 1));
    });
  }

  public Future<JsonObject> view(String accessToken, String channelId) {
    return callers.identify(accessToken).compose(caller -> owned(caller, channelId)).map(channel -> {
      emit(events.channelViewed(channel));
      return channel.toApi();
    });
  }

  /** A page of the caller's channels (every channel for an administrator, narrowed by {@code ownerId}). */
  public Future<JsonObject> list(String accessToken, Map<String, String> query) {
    PageRequest paging;
    String status;
    MetadataFilter metadata;
    JsonObject filters = new JsonObject();
    try {
      paging = PageRequest.from(query);
      status = RequestFields.statusFilter(query);
      metadata = MetadataFilter.parse(query.get("metadata"));
      for (String key : List.of("name", "status", "metadata", "ownerId")) {
        if (query.containsKey(key)) {
          filters.put(key, query.get(key));
        }
      }
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return callers.identify(accessToken).compose(caller -> {
      String owner = caller.admin() ? query.getOrDefault("ownerId", "") : caller.id();
      return channels.list(new ChannelRepository.ChannelFilter(owner, query.getOrDefault("name", ""), status,
          metadata), paging.offset(), paging.limit());
    }).map(page -> {
      emit(events.channelsListed(page.total(), paging.offset(), paging.limit(), filters));
      return paging.toJson("channels", page, Channel::toApi);
    });
  }

  /** The channels a thing the caller owns is connected to. */
  public Future<JsonObject> listByThing(String accessToken, String thingId, Map<String, String> query) {
    PageRequest paging;
    try {
      paging = PageRequest.from(query);
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return callers.identify(accessToken).compose(caller -> things.owned(caller, thingId))
        .compose(thing -> channels.listByThing(thingId, paging.offset(), paging.limit()))
        .map(page -> {
          emit(events.channelsListedByThing(thingId, page.total(), paging.offset(), paging.limit()));
          return paging.toJson("channels", page, Channel::toApi);
        });
  }

  /** Replaces name, description and metadata. */
  public Future<JsonObject> update(String accessToken, String channelId, JsonObject request) {
    return change(accessToken, channelId, (channel, at, by) -> channel.changed(
        requiredString(request, "name", 1024), optionalString(request, "description", 1024),
        RequestFields.object(request, "metadata", true), channel.status(), at, by), events::channelUpdated);
  }

  public Future<JsonObject> changeStatus(String accessToken, String channelId, boolean enabled) {
    return change(accessToken, channelId, (channel, at, by) -> channel.changed(channel.name(), channel.description(),
        channel.metadata(), enabled ? RequestFields.ENABLED : RequestFields.DISABLED, at, by),
        events::channelStatusChanged);
  }

  /** Deletes a channel without child channels and its connections: a disconnect per connection, then the remove. */
  public Future<Void> delete(String accessToken, String channelId) {
    return callers.identify(accessToken).compose(caller -> owned(caller, channelId)).compose(channel ->
        publisher.commit(conn -> channels.childCount(conn, channelId).compose(children -> {
          if (children > 0) {
            return Future.failedFuture(ApiError.conflict("the channel has child channels; delete them first"));
          }
          return connections.deleteOfChannel(conn, channelId)
              .compose(removed -> channels.delete(conn, channelId).map(removed));
        }).map(removed -> new Change<>(removed,
            events.removedWithConnections(events.channelRemoved(channel), removed))))
        .onSuccess(removed -> {
          index.removeChannel(channelId, channel.revision() + 1);
          removed.forEach(c -> index.disconnect(c.thingId(), c.channelId(), c.revision() + 1));
        }))
        .mapEmpty();
  }

  @FunctionalInterface
  private interface Mutation {
    Channel apply(Channel channel, String at, String by);
  }

  private Future<JsonObject> change(String accessToken, String channelId, Mutation mutation,
      Function<Channel, DomainEvent> event) {
    return callers.identify(accessToken).compose(caller -> owned(caller, channelId).compose(channel -> {
      Channel changed = mutation.apply(channel, Instant.now().toString(), caller.id());
      return publisher.commit(conn -> channels.update(conn, changed)
          .map(v -> Change.of(changed, event.apply(changed))));
    })).map(channel -> {
      index.putChannel(channel.id(), channel.isEnabled(), channel.revision());
      return channel.toApi();
    }).recover(ThingsService::explain);
  }

  /**
   * For bootstrap over the bus: the named channels ({@code channel_ids}) of the user the request's token identifies,
   * each {@code {id, name, metadata, revision}}; 404 for an unknown one, 403 for another user's.
   */
  public Future<JsonObject> ownedFor(UserRequest request) {
    List<String> ids;
    try {
      ids = RequestFields.strings(request.fields(), "channel_ids", true).stream().map(String::valueOf).distinct()
          .toList();
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return callers.identify(request.accessToken()).compose(caller -> {
      JsonArray found = new JsonArray();
      Future<Void> chain = Future.succeededFuture();
      for (String id : ids) {
        chain = chain.compose(v -> owned(caller, id)).map(channel -> {
          found.add(new JsonObject().put("id", channel.id()).put("name", channel.name())
              .put("metadata", channel.metadata()).put("revision", channel.revision()));
          return null;
        });
      }
      return chain.map(v -> new JsonObject().put("channels", found));
    });
  }

  /** The channel if it exists (404) and the caller owns it (403). */
  Future<Channel> owned(Caller caller, String channelId) {
    return channels.findById(channelId).compose(channel -> {
      if (channel == null) {
        return Future.failedFuture(ApiError.notFound("no channel " + channelId));
      }
      if (!caller.owns(channel.owner())) {
        return Future.failedFuture(ApiError.forbidden("the channel belongs to another user"));
      }
      return Future.succeededFuture(channel);
    });
  }

  private void emit(DomainEvent event) {
    if (readEvents) {
      publisher.publish(event);
    }
  }
}
