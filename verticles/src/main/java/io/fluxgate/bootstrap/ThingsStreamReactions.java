package io.fluxgate.bootstrap;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.Change;
import io.fluxgate.events.EventPublisher;
import io.fluxgate.events.fold.EntityChange;
import io.fluxgate.things.ChannelChange;
import io.fluxgate.things.ConnectionChange;
import io.fluxgate.things.ThingChange;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayList;
import java.util.List;

/**
 * How bootstrap follows the things stream (as the durable consumer {@code bootstrap}): a removed thing loses its
 * config, a changed channel is renamed in every config, a removed channel leaves every config, and a connect or
 * disconnect adds the channel to or takes it out of the thing's config. Events are typed by the things stream's own
 * changes and applied per entity by revision, the check and the reaction in one transaction with the reaction's
 * {@code *_handler} event: an event not newer than the last applied to its entity (a duplicate, a replay, an older
 * one delivered late) changes nothing, so handling is idempotent. A reaction that changes a config moves the config's
 * revision in the same transaction, and its event carries it.
 */
public final class ThingsStreamReactions {

  private final BootstrapRepository configs;
  private final BootstrapEvents events;
  private final EventPublisher publisher;

  public ThingsStreamReactions(BootstrapRepository configs, BootstrapEvents events, EventPublisher publisher) {
    this.configs = configs;
    this.events = events;
    this.publisher = publisher;
  }

  /** Handles one things-stream event; fails (to be retried) when the database does. */
  public Future<Void> handle(DomainEvent event) {
    EntityChange change = typed(event);
    if (change == null || event.revision() == DomainEvent.NO_REVISION) {
      return Future.succeededFuture();
    }
    String entity = entity(change);
    return publisher.commit(conn -> configs.applied(conn, entity).compose(applied -> {
      if (event.revision() <= applied) {
        return Future.succeededFuture(new Change<Void>(null, List.of()));
      }
      return react(conn, change).compose(reactions -> configs.markApplied(conn, entity, event.revision(), applied > 0)
          .map(v -> new Change<Void>(null, reactions)));
    }));
  }

  /** The change an event makes to bootstrap's concerns, or null when it makes none. */
  private static EntityChange typed(DomainEvent event) {
    ThingChange thing = ThingChange.from(event);
    if (thing != null) {
      return thing instanceof ThingChange.Removed ? thing : null;
    }
    ChannelChange channel = ChannelChange.from(event);
    if (channel != null) {
      return channel instanceof ChannelChange.StatusChanged ? null : channel;
    }
    ConnectionChange connection = ConnectionChange.from(event);
    return connection instanceof ConnectionChange.ActionsChanged ? null : connection;
  }

  private static String entity(EntityChange change) {
    String kind = change instanceof ThingChange ? "thing" : change instanceof ChannelChange ? "channel" : "connection";
    return kind + ":" + change.key();
  }

  private Future<List<DomainEvent>> react(SqlConnection conn, EntityChange change) {
    if (change instanceof ThingChange.Removed removed) {
      return configs.find(conn, removed.id()).compose(config -> config == null ? Future.succeededFuture(List.of())
          : configs.delete(conn, removed.id()).map(v -> List.of(events.configRemovedFor(config))));
    }
    if (change instanceof ChannelChange.Created created) {
      return keepCopy(conn, created.id(), created.name(), created.metadata(), created.revision());
    }
    if (change instanceof ChannelChange.Updated updated) {
      return keepCopy(conn, updated.id(), updated.name(), updated.metadata(), updated.revision());
    }
    if (change instanceof ChannelChange.Removed removed) {
      return configs.removeChannel(conn, removed.id()).map(had -> had
          ? List.of(events.channelRemovedFor(removed.id(), removed.revision())) : List.of());
    }
    if (change instanceof ConnectionChange.Connected connected) {
      return configs.find(conn, connected.thingId()).compose(config -> {
        if (config == null || config.channelIds().contains(connected.channelId())) {
          return Future.succeededFuture(List.of());
        }
        List<ConfigChannel> channels = new ArrayList<>(config.channels());
        channels.add(new ConfigChannel(connected.channelId(), "", new JsonObject()));
        DeviceConfig after = config.withChannelsChanged(channels);
        return configs.addChannel(conn, connected.thingId(), connected.channelId())
            .compose(v -> configs.touch(conn, after))
            .map(v -> List.of(events.connectedFor(after, connected.channelId())));
      });
    }
    if (change instanceof ConnectionChange.Disconnected disconnected) {
      // An inactive config's thing is disconnected by bootstrap itself (state 0): its channel list stays.
      return configs.find(conn, disconnected.thingId()).compose(config -> {
        if (config == null || !config.active() || !config.channelIds().contains(disconnected.channelId())) {
          return Future.succeededFuture(List.of());
        }
        DeviceConfig after = config.withChannelsChanged(config.channels().stream()
            .filter(c -> !c.id().equals(disconnected.channelId())).toList());
        return configs.removeChannel(conn, disconnected.thingId(), disconnected.channelId())
            .compose(had -> configs.touch(conn, after))
            .map(v -> List.of(events.disconnectedFor(after, disconnected.channelId())));
      });
    }
    return Future.succeededFuture(List.of());
  }

  // Every change of bootstrap's copy of a channel is an event, so that replay rebuilds the copy from this stream.
  private Future<List<DomainEvent>> keepCopy(SqlConnection conn, String id, String name, JsonObject metadata,
      long revision) {
    return configs.putChannel(conn, id, name, metadata, revision).map(changed -> changed
        ? List.of(events.channelUpdatedFor(id, name, metadata, revision)) : List.of());
  }
}
