package io.fluxgate.users;

import static io.fluxgate.events.fold.EventFields.pair;
import static io.fluxgate.events.fold.EventFields.strings;
import static io.fluxgate.events.fold.EventFields.text;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.fold.EntityChange;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** The events of the user policy aggregate (a user-group pair), typed, and the rule that folds them. */
public sealed interface PolicyChange extends EntityChange {

  String subject();

  String object();

  @Override
  default String key() {
    return pair(subject(), object());
  }

  record Added(String subject, String object, long revision, List<String> actions, String owner, String createdAt)
      implements PolicyChange {}

  record Updated(String subject, String object, long revision, List<String> actions, String at, String by)
      implements PolicyChange {}

  record Deleted(String subject, String object, long revision) implements PolicyChange {
    @Override
    public boolean removes() {
      return true;
    }
  }

  /** The typed change of a users-stream event, or null if the event does not change a policy. */
  static PolicyChange from(DomainEvent event) {
    JsonObject f = event.fields();
    String subject = text(f, "subject");
    String object = text(f, "object");
    long rev = event.revision();
    return switch (event.operation()) {
      case "policies.add" -> new Added(subject, object, rev, strings(f, "actions"), text(f, "owner"),
          text(f, "created_at"));
      case "policies.update" -> new Updated(subject, object, rev, strings(f, "actions"), text(f, "updated_at"),
          text(f, "updated_by"));
      case "policies.delete" -> new Deleted(subject, object, rev);
      default -> null;
    };
  }

  /** The policy after {@code change}; {@code policy} is null for a pair without one before. */
  static Policy evolve(Policy policy, PolicyChange change) {
    Policy p = policy != null ? policy : new Policy(change.subject(), change.object(), List.of(), "", "", "", "", 0);
    if (change instanceof Added a) {
      return new Policy(a.subject(), a.object(), a.actions(), a.owner(), a.createdAt(), "", "",
          a.revision());
    }
    if (change instanceof Updated u) {
      return new Policy(p.subject(), p.object(), u.actions(), p.ownerId(), p.createdAt(), u.at(), u.by(),
          u.revision());
    }
    return null;
  }
}
