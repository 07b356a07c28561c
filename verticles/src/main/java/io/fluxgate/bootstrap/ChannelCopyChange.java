package io.fluxgate.bootstrap;

import static io.fluxgate.events.fold.EventFields.object;
import static io.fluxgate.events.fold.EventFields.text;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.fold.EntityChange;
import io.vertx.core.json.JsonObject;

/**
 * The events of bootstrap's copy of a channel (key: the channel id, revision: the channel's in the things stream),
 * typed, and the rule that folds them into the {@link ConfigChannel} every config naming it shows.
 */
public sealed interface ChannelCopyChange extends EntityChange {

  String channelId();

  @Override
  default String key() {
    return channelId();
  }

  /** The copy now holds this name and metadata: the channel was created or updated, or read from things anew. */
  record Updated(String channelId, long revision, String name, JsonObject metadata) implements ChannelCopyChange {}

  /** The channel was removed: its copy is gone and it left every config. */
  record Removed(String channelId, long revision) implements ChannelCopyChange {
    @Override
    public boolean removes() {
      return true;
    }
  }

  /** The typed change of a bootstrap-stream event, or null if the event does not change a channel copy. */
  static ChannelCopyChange from(DomainEvent event) {
    JsonObject f = event.fields();
    if (event.revision() == DomainEvent.NO_REVISION) {
      return null;
    }
    return switch (event.operation()) {
      case "channel.update_handler" -> new Updated(text(f, "channel_id"), event.revision(), text(f, "name"),
          object(f, "metadata"));
      case "channel.remove_handler" -> new Removed(text(f, "channel_id"), event.revision());
      default -> null;
    };
  }

  static ConfigChannel evolve(ConfigChannel channel, ChannelCopyChange change) {
    return change instanceof Updated u ? new ConfigChannel(u.channelId(), u.name(), u.metadata()) : null;
  }
}
