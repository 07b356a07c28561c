package io.fluxgate.users;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.DomainEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The rules of the users-stream fold, in memory. */
class UsersFoldTest {

  private static DomainEvent event(String operation, long revision, JsonObject fields) {
    return DomainEvent.occurred("fluxgate.users", operation, "node-a", revision, fields);
  }

  @Test
  void rebuildsAnAdministratorAndItsChanges() {
    UsersFold fold = new UsersFold();
    fold.apply(event("user.create", 1, new JsonObject().put("id", "u").put("identity", "a@example.com")
        .put("status", "enabled").put("role", "admin").put("created_at", "t1")));
    fold.apply(event("user.update_identity", 2, new JsonObject().put("id", "u").put("identity", "b@example.com")
        .put("updated_at", "t2").put("updated_by", "u")));
    fold.apply(event("user.reset_secret", 3, new JsonObject().put("user_id", "u").put("updated_at", "t3")
        .put("updated_by", "u")));
    fold.apply(event("user.update_identity", 2, new JsonObject().put("id", "u").put("identity", "stale@example.com")));

    User u = fold.users().get("u");
    assertThat(u.isAdmin()).isTrue();
    assertThat(u.identity()).isEqualTo("b@example.com");
    assertThat(u.updatedAt()).isEqualTo("t3");
    assertThat(u.revision()).isEqualTo(3);
  }

  @Test
  void aUserCreatedWithoutARoleIsAPlainUser() {
    UsersFold fold = new UsersFold();
    fold.apply(event("user.create", 1, new JsonObject().put("id", "u").put("status", "enabled")));
    assertThat(fold.users().get("u").isAdmin()).isFalse();
  }

  @Test
  void groupsNestAndPoliciesFollowTheirRevisions() {
    UsersFold fold = new UsersFold();
    fold.apply(event("group.create", 1, new JsonObject().put("id", "g").put("name", "plant").put("owner", "u")
        .put("status", "enabled")));
    fold.apply(event("group.create", 1, new JsonObject().put("id", "h").put("name", "line").put("owner", "u")
        .put("parent", "g").put("status", "enabled")));
    fold.apply(event("group.change_status", 2, new JsonObject().put("id", "h").put("status", "disabled")));
    assertThat(fold.groups().get("h").path()).isEqualTo("g.h");
    assertThat(fold.groups().get("h").status()).isEqualTo("disabled");

    JsonObject pair = new JsonObject().put("subject", "v").put("object", "g");
    fold.apply(event("policies.add", 1, pair.copy().put("actions", new JsonArray().add("g_list")).put("owner", "u")));
    fold.apply(event("policies.delete", 2, pair.copy()));
    assertThat(fold.apply(event("policies.update", 2, pair.copy().put("actions", new JsonArray().add("g_update")))))
        .isNull();
    assertThat(fold.policies().get("v/g")).isNull();
    fold.apply(event("policies.add", 3, pair.copy().put("actions", new JsonArray().add("g_update"))));
    assertThat(fold.policies().get("v/g").actions()).containsExactly("g_update");
  }
}
