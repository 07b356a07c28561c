package io.fluxgate.users;

import io.fluxgate.api.ApiError;
import io.fluxgate.api.RequestFields;
import io.fluxgate.api.PageRequest;
import io.fluxgate.events.Change;
import io.fluxgate.events.EventPublisher;
import io.fluxgate.sql.ConcurrentChange;
import io.fluxgate.sql.SqlErrors;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The rules of user policies: the owner of a group (or an administrator) grants users actions on it; a user
 * with a policy on a group is one of its members.
 */
public final class PoliciesService {

  private final UsersService users;
  private final GroupsService groups;
  private final PolicyRepository policies;
  private final UserEvents events;
  private final EventPublisher publisher;
  private final boolean readEvents;

  public PoliciesService(UsersService users, GroupsService groups, PolicyRepository policies, UserEvents events,
      EventPublisher publisher, boolean readEvents) {
    this.users = users;
    this.groups = groups;
    this.policies = policies;
    this.events = events;
    this.publisher = publisher;
    this.readEvents = readEvents;
  }

  /** What a request names: the subject, the object and the actions. */
  private record Grant(String subject, String object, List<String> actions) {

    static Grant from(JsonObject request) {
      String subject = RequestFields.requiredString(request, "subject", 36);
      String object = RequestFields.requiredString(request, "object", 36);
      if (!(request.getValue("actions") instanceof JsonArray array) || array.isEmpty()) {
        throw ApiError.malformed("actions is required and must be a non-empty array");
      }
      List<String> actions = new ArrayList<>();
      for (Object action : array) {
        if (!(action instanceof String name) || !Policy.ACTIONS.contains(name)) {
          throw ApiError.malformed("actions must be some of " + String.join(", ", Policy.ACTIONS));
        }
        if (!actions.contains(name)) {
          actions.add(name);
        }
      }
      return new Grant(subject, object, actions);
    }
  }

  public Future<Policy> add(String accessToken, JsonObject request) {
    Grant grant;
    try {
      grant = Grant.from(request);
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return ownedObject(accessToken, grant).compose(caller -> {
      String now = Instant.now().toString();
      // A pair granted before continues its revision count, so consumers never take it for a stale duplicate.
      return publisher.commit(conn -> policies.nextRevision(conn, grant.subject(), grant.object()).compose(rev -> {
        Policy policy = new Policy(grant.subject(), grant.object(), grant.actions(), caller.id(), now, "", "", rev);
        return policies.insert(conn, policy).map(v -> Change.of(policy, events.policyAdded(policy)));
      }));
    }).recover(error -> SqlErrors.isUniqueViolation(error)
        ? Future.failedFuture(ApiError.conflict("the policy exists; update it instead"))
        : Future.failedFuture(error));
  }

  public Future<Policy> update(String accessToken, JsonObject request) {
    Grant grant;
    try {
      grant = Grant.from(request);
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return ownedObject(accessToken, grant).compose(caller -> policies.find(grant.subject(), grant.object())
        .compose(existing -> {
          if (existing == null) {
            return Future.failedFuture(ApiError.notFound("no policy of " + grant.subject() + " on " + grant.object()));
          }
          Policy policy = new Policy(grant.subject(), grant.object(), grant.actions(), existing.ownerId(),
              existing.createdAt(), Instant.now().toString(), caller.id(), existing.revision() + 1);
          return publisher.commit(conn -> policies.update(conn, policy)
              .map(v -> Change.of(policy, events.policyUpdated(policy))));
        }))
        .recover(error -> Future.failedFuture(error instanceof ConcurrentChange
            ? ApiError.conflict("the policy changed meanwhile; read it again and retry") : error));
  }

  public Future<Void> delete(String accessToken, String subject, String object) {
    return ownedObject(accessToken, new Grant(subject, object, List.of())).compose(caller -> publisher.commit(
        conn -> policies.find(conn, subject, object).compose(found -> found == null
            ? Future.failedFuture(ApiError.notFound("no policy of " + subject + " on " + object))
            : policies.delete(conn, found).map(v -> Change.of((Void) null, events.policyDeleted(found))))))
        .recover(error -> Future.failedFuture(error instanceof ConcurrentChange
            ? ApiError.conflict("the policy changed meanwhile; read it again and retry") : error));
  }

  /**
   * Policies the caller granted (all for an administrator), optionally of one subject or object, holding every
   * one of {@code actions} (comma-separated).
   */
  public Future<JsonObject> list(String accessToken, Map<String, String> query) {
    return users.caller(accessToken).compose(caller -> {
      PageRequest paging = PageRequest.from(query);
      String subject = query.getOrDefault("subject", "");
      String object = query.getOrDefault("object", "");
      List<String> actions = java.util.Arrays.stream(query.getOrDefault("actions", "").split(","))
          .map(String::trim).filter(a -> !a.isEmpty()).distinct().toList();
      for (String action : actions) {
        if (!Policy.ACTIONS.contains(action)) {
          throw ApiError.malformed("actions must be among " + String.join(" ", Policy.ACTIONS));
        }
      }
      return policies.list(caller.isAdmin() ? "" : caller.id(), subject, object, actions, paging.offset(),
          paging.limit()).map(page -> {
        JsonObject filters = new JsonObject();
        if (!subject.isEmpty()) {
          filters.put("subject", subject);
        }
        if (!object.isEmpty()) {
          filters.put("object", object);
        }
        if (!actions.isEmpty()) {
          filters.put("actions", new io.vertx.core.json.JsonArray(actions));
        }
        if (readEvents) {
          publisher.publish(events.policiesListed(page.total(), paging.offset(), paging.limit(), filters));
        }
        return paging.toJson("policies", page, Policy::toApi);
      });
    });
  }

  /** The caller, when it may grant on the grant's object group; the subject must be a user. */
  private Future<User> ownedObject(String accessToken, Grant grant) {
    return users.caller(accessToken).compose(caller -> groups.allowed(caller, grant.object(), "g_update")
        .compose(group -> {
          if (!caller.isAdmin() && !group.ownerId().equals(caller.id())) {
            return Future.failedFuture(ApiError.forbidden("only the group's owner grants policies on it"));
          }
          return users.exists(grant.subject());
        })
        .compose(exists -> exists ? Future.succeededFuture(caller)
            : Future.failedFuture(ApiError.notFound("no user " + grant.subject()))));
  }
}
