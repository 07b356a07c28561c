package io.fluxgate.things;

import static io.fluxgate.events.fold.EventFields.pair;
import static io.fluxgate.events.fold.EventFields.strings;
import static io.fluxgate.events.fold.EventFields.text;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.fold.EntityChange;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** The events of the connection aggregate (a thing-channel pair), typed, and the rule that folds them. */
public sealed interface ConnectionChange extends EntityChange {

  String thingId();

  String channelId();

  @Override
  default String key() {
    return pair(thingId(), channelId());
  }

  record Connected(String thingId, String channelId, long revision, List<String> actions, String owner,
      String createdAt) implements ConnectionChange {}

  record ActionsChanged(String thingId, String channelId, long revision, List<String> actions, String at, String by)
      implements ConnectionChange {}

  /** Disconnected, directly or because its thing or channel was deleted. */
  record Disconnected(String thingId, String channelId, long revision) implements ConnectionChange {
    @Override
    public boolean removes() {
      return true;
    }
  }

  /** The typed change of a things-stream event, or null if the event does not change a connection. */
  static ConnectionChange from(DomainEvent event) {
    JsonObject f = event.fields();
    String thing = text(f, "thing_id");
    String channel = text(f, "channel_id");
    long rev = event.revision();
    return switch (event.operation()) {
      case "thing.connect" -> new Connected(thing, channel, rev, strings(f, "actions"), text(f, "owner"),
          text(f, "created_at"));
      case "thing.update_connection" -> new ActionsChanged(thing, channel, rev, strings(f, "actions"),
          text(f, "updated_at"), text(f, "updated_by"));
      case "thing.disconnect" -> new Disconnected(thing, channel, rev);
      default -> null;
    };
  }

  /** The connection after {@code change}; {@code connection} is null for a pair not connected before. */
  static Connection evolve(Connection connection, ConnectionChange change) {
    Connection c = connection != null ? connection
        : new Connection(change.thingId(), change.channelId(), List.of(), "", "", "", "", 0);
    if (change instanceof Connected n) {
      return new Connection(n.thingId(), n.channelId(), n.actions(), n.owner(), n.createdAt(), "", "",
          n.revision());
    }
    if (change instanceof ActionsChanged a) {
      return new Connection(c.thingId(), c.channelId(), a.actions(), c.owner(), c.createdAt(),
          a.at(), a.by(), a.revision());
    }
    return null;
  }
}
