package io.fluxgate.users;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.fold.Entities;
import io.fluxgate.events.fold.EntityChange;

/**
 * The users stream folded into its non-secret state: users, groups and policies, each entity in revision order.
 * Not thread-safe.
 */
public final class UsersFold {

  private final Entities<User, UserChange> users;
  private final Entities<Group, GroupChange> groups;
  private final Entities<Policy, PolicyChange> policies;

  /** A fold for live consumers: each event applied as it comes, a stale one ignored. */
  public UsersFold() {
    this(false);
  }

  /** With {@code holdAhead}, for a replay of the whole log: see {@link Entities#Entities(java.util.function.BiFunction, boolean)}. */
  public UsersFold(boolean holdAhead) {
    this.users = new Entities<>(UserChange::evolve, holdAhead);
    this.groups = new Entities<>(GroupChange::evolve, holdAhead);
    this.policies = new Entities<>(PolicyChange::evolve, holdAhead);
  }

  /** At the end of a replay: applies the events still waiting for an earlier revision; answers how many. */
  public int flush() {
    return users.flush() + groups.flush() + policies.flush();
  }


  /** Applies a users-stream event; answers the typed change it applied, or null (not a change, or stale). */
  public EntityChange apply(DomainEvent event) {
    UserChange user = UserChange.from(event);
    if (user != null) {
      return users.apply(user) ? user : null;
    }
    GroupChange group = GroupChange.from(event);
    if (group != null) {
      if (!groups.apply(group)) {
        return null;
      }
      if (group instanceof GroupChange.Created created && !created.parentId().isEmpty()) {
        placeUnderParent(created.id());
      }
      return group;
    }
    PolicyChange policy = PolicyChange.from(event);
    if (policy != null) {
      return policies.apply(policy) ? policy : null;
    }
    return null;
  }

  // The path and level are not in events: they follow from the parent, created (by the API's rule) before its child.
  private void placeUnderParent(String id) {
    Group parent = groups.get(groups.get(id).parentId());
    if (parent != null) {
      groups.complete(id, g -> new Group(g.id(), g.name(), g.description(), g.ownerId(), g.parentId(), g.metadata(),
          g.status(), parent.path() + "." + g.id(), parent.level() + 1, g.createdAt(), g.updatedAt(), g.updatedBy(),
          g.revision()));
    }
  }

  public Entities<User, UserChange> users() {
    return users;
  }

  public Entities<Group, GroupChange> groups() {
    return groups;
  }

  public Entities<Policy, PolicyChange> policies() {
    return policies;
  }
}
