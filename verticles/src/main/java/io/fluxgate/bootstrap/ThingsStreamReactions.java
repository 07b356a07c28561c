package io.fluxgate.bootstrap;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.Change;
import io.fluxgate.events.EventPublisher;
import io.fluxgate.events.fold.EntityChange;
import io.fluxgate.things.ChannelChange;
import io.fluxgate.things.ConnectionChange;
import io.fluxgate.things.ThingChange;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import java.util.List;

/**
 * How bootstrap follows the things stream (as the durable consumer {@code bootstrap}): a removed thing loses its
 * config, a changed channel is renamed in every config, a removed channel leaves every config, and a connect or
 * disconnect adds the channel to or takes it out of the thing's config. Events are typed by the things stream's own
 * changes and applied per entity by revision, the check and the reaction in one transaction with the reaction's
 * {@code *_handler} event: an event not newer than the last applied to its entity (a duplicate, a replay, an older
 * one delivered late) changes nothing, so handling is idempotent.
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
      return configs.delete(conn, removed.id()).map(had -> had ? List.of(events.configRemovedFor(removed.id()))
          : List.of());
    }
    if (change instanceof ChannelChange.Created created) {
      return configs.putChannel(conn, created.id(), created.name(), created.metadata(), created.revision())
          .map(v -> List.of());
    }
    if (change instanceof ChannelChange.Updated updated) {
      return configs.putChannel(conn, updated.id(), updated.name(), updated.metadata(), updated.revision())
          .compose(v -> configs.configsWithChannel(conn, updated.id()))
          .map(n -> n > 0 ? List.of(events.channelUpdatedFor(updated.id(), updated.name(), updated.metadata()))
              : List.of());
    }
    if (change instanceof ChannelChange.Removed removed) {
      return configs.removeChannel(conn, removed.id()).map(n -> n > 0
          ? List.of(events.channelRemovedFor(removed.id())) : List.of());
    }
    if (change instanceof ConnectionChange.Connected connected) {
      return configs.find(conn, connected.thingId()).compose(config -> {
        if (config == null || config.channelIds().contains(connected.channelId())) {
          return Future.succeededFuture(List.of());
        }
        return configs.addChannel(conn, connected.thingId(), connected.channelId())
            .map(v -> List.of(events.connectedFor(connected.thingId(), connected.channelId())));
      });
    }
    if (change instanceof ConnectionChange.Disconnected disconnected) {
      // An inactive config's thing is disconnected by bootstrap itself (state 0): its channel list stays.
      return configs.find(conn, disconnected.thingId()).compose(config -> {
        if (config == null || !config.active()) {
          return Future.succeededFuture(List.of());
        }
        return configs.removeChannel(conn, disconnected.thingId(), disconnected.channelId())
            .map(had -> had ? List.of(events.disconnectedFor(disconnected.thingId(), disconnected.channelId()))
                : List.of());
      });
    }
    return Future.succeededFuture(List.of());
  }
}
