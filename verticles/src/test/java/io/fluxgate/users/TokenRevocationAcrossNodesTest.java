package io.fluxgate.users;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.sql.DatabaseConfig;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.PlatformNode;
import io.fluxgate.testing.TestStores;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two clustered nodes serving users on one PostgreSQL database, the second also things: a sign-out or a password
 * change on node A ends the earlier tokens on node B at once, for its users API, its refresh and its things API
 * (which asks a users service, on either node, over the bus).
 */
@Timeout(240)
class TokenRevocationAcrossNodesTest {

  @TempDir
  Path dir;

  @Test
  void aSignOutOrPasswordChangeOnOneNodeEndsTheTokensOnTheOther() {
    Path clusterFile = PlatformNode.privateClusterFile(dir);
    String schema = TestStores.unique("t_");
    Map<String, String> shared = Map.of("FG_DB_URL", TestStores.PG_URL, "FG_DB_SCHEMA", schema,
        "FG_CLUSTER_CONFIG", clusterFile.toString(),
        "FG_USERS_TOKEN_KEY", TestStores.unique("token-key-") + TestStores.unique("-of-32-bytes-"));

    PlatformNode a = PlatformNode.start(PlatformNode.env("node-a", dir.resolve("a"), "users", shared), true);
    PlatformNode b = null;
    try {
      b = PlatformNode.start(PlatformNode.env("node-b", dir.resolve("b"), "users,things", shared), true);
      register(a, "alice@example.com", "alice-secret");

      JsonObject laptop = signIn(a, "alice@example.com", "alice-secret");
      JsonObject phone = signIn(b, "alice@example.com", "alice-secret");
      assertThat(things(b, laptop)).isEqualTo(200);
      assertThat(call(b, "POST", "/users/tokens/refresh", laptop.getString("refresh_token"))).isEqualTo(200);

      assertThat(call(a, "POST", "/users/tokens/revoke", laptop.getString("access_token"))).isEqualTo(204);
      for (PlatformNode node : new PlatformNode[] {a, b}) {
        for (JsonObject pair : new JsonObject[] {laptop, phone}) {
          assertThat(call(node, "GET", "/users/profile", pair.getString("access_token"))).isEqualTo(401);
          assertThat(call(node, "POST", "/users/tokens/refresh", pair.getString("refresh_token"))).isEqualTo(401);
        }
      }
      // Several calls, so the bus hands the question to the users service of both nodes.
      for (int i = 0; i < 6; i++) {
        assertThat(things(b, phone)).isEqualTo(401);
      }

      JsonObject fresh = signIn(b, "alice@example.com", "alice-secret");
      assertThat(things(b, fresh)).isEqualTo(200);
      var changed = Await.result(a.http.patch(a.port("users"), "127.0.0.1", "/users/secret")
          .bearerTokenAuthentication(fresh.getString("access_token"))
          .sendJsonObject(new JsonObject().put("old_secret", "alice-secret").put("new_secret", "other-secret")));
      assertThat(changed.statusCode()).as(changed.bodyAsString()).isEqualTo(200);
      assertThat(call(b, "POST", "/users/tokens/refresh", fresh.getString("refresh_token"))).isEqualTo(401);
      for (int i = 0; i < 6; i++) {
        assertThat(things(b, fresh)).isEqualTo(401);
      }
      assertThat(things(b, signIn(b, "alice@example.com", "other-secret"))).isEqualTo(200);
    } finally {
      if (b != null) {
        b.close();
      }
      a.close();
      TestStores.dropSchema(new DatabaseConfig(TestStores.PG_URL, Path.of("target"), schema, 1));
    }
  }

  private static void register(PlatformNode node, String identity, String secret) {
    var response = Await.result(node.http.post(node.port("users"), "127.0.0.1", "/users")
        .sendJsonObject(new JsonObject().put("credentials",
            new JsonObject().put("identity", identity).put("secret", secret))));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
  }

  private static JsonObject signIn(PlatformNode node, String identity, String secret) {
    var response = Await.result(node.http.post(node.port("users"), "127.0.0.1", "/users/tokens/issue")
        .sendJsonObject(new JsonObject().put("identity", identity).put("secret", secret)));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static int call(PlatformNode node, String method, String path, String token) {
    return Await.result(node.http.request(io.vertx.core.http.HttpMethod.valueOf(method), node.port("users"),
        "127.0.0.1", path).bearerTokenAuthentication(token).send()).statusCode();
  }

  private static int things(PlatformNode node, JsonObject pair) {
    return Await.result(node.http.get(node.port("things"), "127.0.0.1", "/things")
        .bearerTokenAuthentication(pair.getString("access_token")).send()).statusCode();
  }
}
