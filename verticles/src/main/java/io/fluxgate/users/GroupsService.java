package io.fluxgate.users;

import io.fluxgate.api.ApiError;
import io.fluxgate.api.MetadataFilter;
import io.fluxgate.api.RequestFields;
import io.fluxgate.api.PageRequest;
import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.Change;
import io.fluxgate.events.EventPublisher;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The rules of groups: a user works on the groups it owns, an administrator on all. */
public final class GroupsService {

  private final UsersService users;
  private final GroupRepository groups;
  private final PolicyRepository policies;
  private final UserEvents events;
  private final EventPublisher publisher;
  private final boolean readEvents;

  public GroupsService(UsersService users, GroupRepository groups, PolicyRepository policies, UserEvents events,
      EventPublisher publisher, boolean readEvents) {
    this.users = users;
    this.groups = groups;
    this.policies = policies;
    this.events = events;
    this.publisher = publisher;
    this.readEvents = readEvents;
  }

  /** Creates a group owned by the caller or, for an administrator, by an existing {@code owner_id}. */
  public Future<Group> create(String accessToken, JsonObject request) {
    String name;
    String description;
    String parentId;
    String ownerId;
    JsonObject metadata;
    String status;
    try {
      name = RequestFields.requiredString(request, "name", 1024);
      description = RequestFields.optionalString(request, "description", 1024);
      parentId = RequestFields.optionalString(request, "parent_id", 36);
      ownerId = RequestFields.optionalString(request, "owner_id", 36);
      metadata = metadata(request, false);
      status = request.containsKey("status") ? status(request) : User.ENABLED;
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return users.caller(accessToken).compose(caller -> owner(caller, ownerId).compose(owner -> parent(caller, parentId))
        .compose(parent -> {
      if (parent != null && parent.level() >= Group.MAX_LEVEL) {
        return Future.failedFuture(ApiError.malformed("groups nest at most " + Group.MAX_LEVEL + " levels deep"));
      }
      String id = UUID.randomUUID().toString();
      Group group = new Group(id, name, description, ownerId.isEmpty() ? caller.id() : ownerId, parentId, metadata,
          status,
          parent == null ? id : parent.path() + "." + id, parent == null ? 1 : parent.level() + 1,
          Instant.now().toString(), "", "", 1);
      return publisher.commit(conn -> groups.insert(conn, group).map(v -> Change.of(group, events.groupCreated(group))));
    })).recover(error -> io.fluxgate.sql.SqlErrors.isUniqueViolation(error)
        ? Future.failedFuture(ApiError.conflict("a group named " + name + " exists at that level"))
        : Future.failedFuture(error));
  }

  // Only an administrator names another owner, and it must exist.
  private Future<Void> owner(User caller, String ownerId) {
    if (ownerId.isEmpty() || ownerId.equals(caller.id())) {
      return Future.succeededFuture();
    }
    return caller.isAdmin() ? users.requireUser(ownerId)
        : Future.failedFuture(ApiError.forbidden("only an administrator creates groups for another owner"));
  }

  private Future<Group> parent(User caller, String parentId) {
    return parentId.isEmpty() ? Future.succeededFuture(null) : allowed(caller, parentId, "g_add");
  }

  public Future<Group> view(String accessToken, String groupId) {
    return users.caller(accessToken).compose(caller -> allowed(caller, groupId, "g_list"))
        .onSuccess(group -> emit(events.groupViewed(group)));
  }

  public Future<Group> update(String accessToken, String groupId, JsonObject request) {
    return change(accessToken, groupId, (group, at, by) -> group.changed(
        RequestFields.requiredString(request, "name", 1024),
        RequestFields.optionalString(request, "description", 1024),
        metadata(request, false), group.status(), at, by), events::groupUpdated);
  }

  public Future<Group> changeStatus(String accessToken, String groupId, boolean enabled) {
    return change(accessToken, groupId, (group, at, by) -> group.changed(group.name(), group.description(),
        group.metadata(), enabled ? User.ENABLED : User.DISABLED, at, by), events::groupStatusChanged);
  }

  /** Groups the caller owns (all for an administrator), filtered and paged; {@code level} keeps those that deep. */
  public Future<JsonObject> list(String accessToken, Map<String, String> query) {
    return users.caller(accessToken).compose(caller -> listed(query,
        filter(query, ownerFilter(caller, query), "", levels(query, Group.MAX_LEVEL), null, "")));
  }

  /** The descendants of a group, down to {@code level} levels below it (default 1). */
  public Future<JsonObject> children(String accessToken, String groupId, Map<String, String> query) {
    return users.caller(accessToken).compose(caller -> allowed(caller, groupId, "g_list").compose(group -> {
      int level = levels(query, 1);
      return listed(query, filter(query, ownerFilter(caller, query), group.path(), group.level() + level, null, ""));
    }));
  }

  /** The ancestors of a group, up to {@code level} levels above it (default 1). */
  public Future<JsonObject> parents(String accessToken, String groupId, Map<String, String> query) {
    return users.caller(accessToken).compose(caller -> allowed(caller, groupId, "g_list").compose(group -> {
      int level = levels(query, 1);
      List<String> ancestors = Arrays.asList(group.path().split("\\."));
      ancestors = ancestors.subList(Math.max(0, ancestors.size() - 1 - level), ancestors.size() - 1);
      return listed(query, filter(query, ownerFilter(caller, query), "", 0, ancestors, ""));
    }));
  }

  // Levels to list, 1 to MAX_LEVEL; a 400 outside, as for children and parents.
  private static int levels(Map<String, String> query, int fallback) {
    return PageRequest.integer(query, "level", fallback, 1, Group.MAX_LEVEL);
  }

  // Anyone else lists only its own groups; an administrator all, or one owner's.
  private static String ownerFilter(User caller, Map<String, String> query) {
    return caller.isAdmin() ? query.getOrDefault("ownerId", "") : caller.id();
  }

  private static GroupRepository.GroupFilter filter(Map<String, String> query, String owner, String pathPrefix,
      int maxLevel, List<String> ids, String member) {
    return new GroupRepository.GroupFilter(owner, query.getOrDefault("parentId", ""), query.getOrDefault("name", ""),
        RequestFields.statusFilter(query), pathPrefix, maxLevel, ids, MetadataFilter.parse(query.get("metadata")),
        member);
  }

  private Future<JsonObject> listed(Map<String, String> query, GroupRepository.GroupFilter filter) {
    PageRequest paging = PageRequest.from(query);
    JsonObject filters = new JsonObject();
    for (String key : List.of("name", "parentId", "ownerId", "status", "level", "metadata")) {
      if (query.containsKey(key)) {
        filters.put(key, query.get(key));
      }
    }
    return groups.list(filter, paging.offset(), paging.limit()).map(page -> {
      emit(events.groupsListed(page.total(), paging.offset(), paging.limit(), filters));
      return render(query, paging, "groups", page);
    });
  }

  private static JsonObject render(Map<String, String> query, PageRequest paging, String key,
      io.fluxgate.sql.Page<Group> page) {
    return "true".equals(query.get("tree")) ? paging.toJson(key, page.total(), tree(page.items()))
        : paging.toJson(key, page, Group::toApi);
  }

  /** The page as a forest: each group under its parent's {@code children} when the parent is in the page too. */
  private static JsonArray tree(List<Group> page) {
    Map<String, JsonObject> byId = new java.util.LinkedHashMap<>();
    page.forEach(group -> byId.put(group.id(), group.toApi()));
    JsonArray roots = new JsonArray();
    for (Group group : page) {
      JsonObject parent = byId.get(group.parentId());
      if (parent == null) {
        roots.add(byId.get(group.id()));
      } else {
        JsonArray children = parent.getJsonArray("children");
        if (children == null) {
          children = new JsonArray();
          parent.put("children", children);
        }
        children.add(byId.get(group.id()));
      }
    }
    return roots;
  }

  /** The group, when the caller owns it, is an administrator, or holds a policy on it with {@code action}. */
  Future<Group> allowed(User caller, String groupId, String action) {
    return groups.findById(groupId).compose(group -> {
      if (group == null) {
        return Future.failedFuture(ApiError.notFound("no group " + groupId));
      }
      if (caller.isAdmin() || group.ownerId().equals(caller.id())) {
        return Future.succeededFuture(group);
      }
      return policies.find(caller.id(), groupId).compose(policy -> policy != null && policy.allows(action)
          ? Future.succeededFuture(group)
          : Future.failedFuture(ApiError.forbidden("no " + action + " right on the group")));
    });
  }

  /** The members of a group: users holding a policy on it, filtered as users are listed. */
  public Future<JsonObject> members(String accessToken, String groupId, Map<String, String> query) {
    return users.caller(accessToken).compose(caller -> allowed(caller, groupId, "g_list")).compose(group -> {
      PageRequest paging = PageRequest.from(query);
      return users.membersOf(groupId, query, paging).map(page -> {
        emit(events.membersListed(groupId, page.total(), paging.offset(), paging.limit()));
        return paging.toJson("members", page, User::toApi);
      });
    });
  }

  /** The groups a user belongs to, filtered as groups are listed; the user itself or an administrator asks. */
  public Future<JsonObject> memberships(String accessToken, String userId, Map<String, String> query) {
    return users.caller(accessToken).compose(caller -> {
      if (!caller.isAdmin() && !caller.id().equals(userId)) {
        return Future.failedFuture(ApiError.forbidden("a user sees only its own memberships"));
      }
      PageRequest paging = PageRequest.from(query);
      GroupRepository.GroupFilter filter = filter(query, query.getOrDefault("ownerId", ""), "",
          levels(query, Group.MAX_LEVEL), null, userId);
      return groups.list(filter, paging.offset(), paging.limit()).map(page -> {
        emit(events.membershipsListed(userId, page.total(), paging.offset(), paging.limit()));
        return render(query, paging, "memberships", page);
      });
    });
  }

  @FunctionalInterface
  private interface Mutation {
    Group apply(Group group, String at, String by);
  }

  private Future<Group> change(String accessToken, String groupId, Mutation mutation,
      java.util.function.Function<Group, DomainEvent> event) {
    return users.caller(accessToken).compose(caller -> allowed(caller, groupId, "g_update").compose(group -> {
      Group changed = mutation.apply(group, Instant.now().toString(), caller.id());
      return publisher.commit(conn -> groups.update(conn, changed).map(v -> Change.of(changed, event.apply(changed))));
    })).recover(UsersService::explain);
  }

  private static JsonObject metadata(JsonObject request, boolean required) {
    Object value = request.getValue("metadata");
    if (value == null && !required) {
      return new JsonObject();
    }
    if (!(value instanceof JsonObject metadata)) {
      throw ApiError.malformed("metadata must be an object");
    }
    return metadata.copy();
  }

  private static String status(JsonObject request) {
    Object value = request.getValue("status");
    if (!User.ENABLED.equals(value) && !User.DISABLED.equals(value)) {
      throw ApiError.malformed("status must be enabled or disabled");
    }
    return (String) value;
  }

  private void emit(DomainEvent event) {
    if (readEvents) {
      publisher.publish(event);
    }
  }
}
