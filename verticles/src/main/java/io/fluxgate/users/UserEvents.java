package io.fluxgate.users;

import io.fluxgate.codecs.DomainEvent;
import io.vertx.core.json.JsonObject;

/** The events of the users stream, built as the event contract lists them (never with a secret or token). */
public final class UserEvents {

  private final String stream;
  private final String instance;

  public UserEvents(String stream, String instance) {
    this.stream = stream;
    this.instance = instance;
  }

  /** The new account with its role, so that administrators can be rebuilt from the log. */
  public DomainEvent created(User user) {
    return DomainEvent.occurred(stream, "user.create", instance, user.revision(),
        user.eventFields().put("role", user.roleName()));
  }

  public DomainEvent updated(User user) {
    return change("user.update", user, new JsonObject().put("name", user.name()).put("metadata", user.metadata()));
  }

  public DomainEvent tagsUpdated(User user) {
    return change("user.update_tags", user, new JsonObject().put("tags", user.tags()));
  }

  public DomainEvent identityUpdated(User user) {
    return change("user.update_identity", user, new JsonObject().put("identity", user.identity()));
  }

  public DomainEvent ownerUpdated(User user) {
    return change("user.update_owner", user, new JsonObject().put("owner", user.owner()));
  }

  /** The secret changed; the event says so and nothing more. */
  public DomainEvent secretUpdated(User user) {
    return change("user.update_secret", user, new JsonObject());
  }

  public DomainEvent statusChanged(User user) {
    return change("user.change_status", user, new JsonObject().put("status", user.status()));
  }

  public DomainEvent resetTokenGenerated(String email, String host) {
    return read("user.generate_reset_token", new JsonObject().put("email", email).put("host", host));
  }

  /** The secret was reset with a mailed token; the event names the user, not the secret. */
  public DomainEvent secretReset(User user) {
    return DomainEvent.occurred(stream, "user.reset_secret", instance, user.revision(),
        new JsonObject().put("user_id", user.id()).put("updated_at", user.updatedAt()).put("updated_by", user.updatedBy()));
  }

  public DomainEvent groupCreated(Group group) {
    return DomainEvent.occurred(stream, "group.create", instance, group.revision(), group.eventFields());
  }

  public DomainEvent groupUpdated(Group group) {
    return groupChange("group.update", group, new JsonObject().put("name", group.name())
        .put("description", group.description()).put("metadata", group.metadata()));
  }

  public DomainEvent groupStatusChanged(Group group) {
    return groupChange("group.change_status", group, new JsonObject().put("status", group.status()));
  }

  public DomainEvent groupViewed(Group group) {
    return read("group.view", group.eventFields());
  }

  public DomainEvent groupsListed(long total, int offset, int limit, JsonObject filters) {
    return read("group.list", filters.copy().put("total", total).put("offset", offset).put("limit", limit));
  }

  private DomainEvent groupChange(String operation, Group group, JsonObject fields) {
    fields.put("id", group.id()).put("updated_at", group.updatedAt()).put("updated_by", group.updatedBy());
    return DomainEvent.occurred(stream, operation, instance, group.revision(), fields);
  }

  public DomainEvent policyAdded(Policy policy) {
    return DomainEvent.occurred(stream, "policies.add", instance, policy.revision(), new JsonObject()
        .put("subject", policy.subject()).put("object", policy.object())
        .put("actions", new io.vertx.core.json.JsonArray(policy.actions())).put("owner", policy.ownerId())
        .put("created_at", policy.createdAt()));
  }

  public DomainEvent policyUpdated(Policy policy) {
    return DomainEvent.occurred(stream, "policies.update", instance, policy.revision(), new JsonObject()
        .put("subject", policy.subject()).put("object", policy.object())
        .put("actions", new io.vertx.core.json.JsonArray(policy.actions())).put("updated_at", policy.updatedAt())
        .put("updated_by", policy.updatedBy()));
  }

  /** The policy is gone; its revision is one after the policy's last. */
  public DomainEvent policyDeleted(Policy policy) {
    return DomainEvent.occurred(stream, "policies.delete", instance, policy.revision() + 1,
        new JsonObject().put("subject", policy.subject()).put("object", policy.object()));
  }

  public DomainEvent policiesListed(long total, int offset, int limit, JsonObject filters) {
    return read("policies.list", filters.copy().put("total", total).put("offset", offset).put("limit", limit));
  }

  public DomainEvent membersListed(String groupId, long total, int offset, int limit) {
    return read("user.list_by_group", new JsonObject().put("group_id", groupId).put("total", total)
        .put("offset", offset).put("limit", limit));
  }

  public DomainEvent membershipsListed(String userId, long total, int offset, int limit) {
    return read("group.list_by_user", new JsonObject().put("user_id", userId).put("total", total)
        .put("offset", offset).put("limit", limit));
  }

  public DomainEvent listed(long total, int offset, int limit, JsonObject filters) {
    return read("user.list", filters.copy().put("total", total).put("offset", offset).put("limit", limit));
  }

  private DomainEvent change(String operation, User user, JsonObject fields) {
    fields.put("id", user.id()).put("updated_at", user.updatedAt()).put("updated_by", user.updatedBy());
    return DomainEvent.occurred(stream, operation, instance, user.revision(), fields);
  }

  public DomainEvent viewed(User user) {
    return read("user.view", user.eventFields());
  }

  public DomainEvent profileViewed(User user) {
    return read("user.view_profile", user.eventFields());
  }

  /** A token request; {@code userId} is empty when the credentials were refused. */
  public DomainEvent tokenIssued(String identity, String userId) {
    return read("user.issue_token", new JsonObject().put("identity", identity).put("user_id", userId));
  }

  public DomainEvent tokenRefreshed(String userId) {
    return read("user.refresh_token", new JsonObject().put("user_id", userId));
  }

  /** Every token of the user was revoked (a sign-out); the event names the user, never a token. */
  public DomainEvent tokensRevoked(String userId) {
    return DomainEvent.occurred(stream, "user.revoke_token", instance, DomainEvent.NO_REVISION,
        new JsonObject().put("user_id", userId));
  }

  public DomainEvent identified(String userId) {
    return read("user.identify", new JsonObject().put("user_id", userId));
  }

  private DomainEvent read(String operation, JsonObject fields) {
    return DomainEvent.occurred(stream, operation, instance, DomainEvent.NO_REVISION, fields);
  }
}
