package io.fluxgate.things;

import io.fluxgate.codecs.DomainEvent;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fills the {@link AccessIndex} from the database at start, then keeps it current with the changes other nodes
 * make: their things events name what changed, and the row is read again (events never carry keys).
 */
public final class AccessIndexSync {

  private static final Logger LOG = LoggerFactory.getLogger(AccessIndexSync.class);

  private final AccessIndex index;
  private final ThingRepository things;
  private final ChannelRepository channels;
  private final ConnectionRepository connections;
  private final String instance;

  public AccessIndexSync(AccessIndex index, ThingRepository things, ChannelRepository channels,
      ConnectionRepository connections, String instance) {
    this.index = index;
    this.things = things;
    this.channels = channels;
    this.connections = connections;
    this.instance = instance;
  }

  /** Loads every thing, channel and connection. */
  public Future<Void> load() {
    return things.indexRows().compose(thingRows -> {
      thingRows.forEach(row -> index.putThing(row.getString("id"), row.getString("key_hash"),
          "enabled".equals(row.getString("status"))));
      return channels.indexRows();
    }).compose(channelRows -> {
      channelRows.forEach(row -> index.putChannel(row.getString("id"), "enabled".equals(row.getString("status"))));
      return connections.all();
    }).map(all -> {
      all.forEach(c -> index.connect(c.thingId(), c.channelId(), c.actions()));
      LOG.info("access index holds {} things, {} connections", index.size(), all.size());
      return null;
    });
  }

  /** Applies a things event another node produced; this node's own changes are in the index already. */
  public void apply(DomainEvent event) {
    if (instance.equals(event.instance())) {
      return;
    }
    String operation = event.operation();
    String id = event.fields().getString("id");
    Future<?> done = switch (operation) {
      case "thing.create", "thing.update_secret", "thing.change_status" -> things.findById(id).map(stored -> {
        if (stored != null) {
          index.putThing(id, stored.keyHash(), stored.thing().isEnabled());
        }
        return null;
      });
      case "thing.remove" -> {
        index.removeThing(id);
        yield Future.succeededFuture();
      }
      case "channel.create", "channel.change_status" -> channels.findById(id).map(channel -> {
        if (channel != null) {
          index.putChannel(id, channel.isEnabled());
        }
        return null;
      });
      case "channel.remove" -> {
        index.removeChannel(id);
        yield Future.succeededFuture();
      }
      case "thing.connect", "thing.update_connection", "thing.disconnect" -> {
        String thingId = event.fields().getString("thing_id");
        String channelId = event.fields().getString("channel_id");
        yield connections.find(thingId, channelId).map(found -> {
          if (found == null) {
            index.disconnect(thingId, channelId);
          } else {
            index.connect(thingId, channelId, found.actions());
          }
          return null;
        });
      }
      default -> Future.succeededFuture();
    };
    done.onFailure(error -> LOG.warn("access index could not follow {} of {}: {}", operation, id,
        error.getMessage()));
  }

}
