package io.fluxgate.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.testing.Await;
import io.fluxgate.testing.PlatformNode;
import io.fluxgate.testing.TestStores;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code fluxgate e2e} from the command line: a clean run on the embedded defaults, and a failing one that says why. */
@Timeout(300)
class E2eCommandTest {

  @TempDir
  Path dataDir;

  record Run(int status, String out, String err) {}

  static Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Fluxgate.run(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(status, out.toString(), err.toString());
  }

  static String[] e2e(PlatformNode node, int bootstrapPort, String... more) {
    List<String> args = new ArrayList<>(List.of("e2e", "--host", "127.0.0.1",
        "--users-port", String.valueOf(node.port("users")), "--things-port", String.valueOf(node.port("things")),
        "--bootstrap-port", String.valueOf(bootstrapPort), "--http-port", String.valueOf(node.port("http")),
        "--mqtt-port", String.valueOf(node.port("mqtt")), "--identity", PlatformNode.ADMIN,
        "--secret", PlatformNode.ADMIN_SECRET));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  @Test
  void runsCleanOnTheEmbeddedDefaultsAndTheLogReplaysToTheDatabase() throws Exception {
    Map<String, String> env = PlatformNode.env("e2e", dataDir, "all", Map.of());
    try (PlatformNode node = PlatformNode.start(env, false)) {
      String deviceKey = java.nio.file.Files.readString(dataDir.resolve("bootstrap-encrypt.key")).trim();
      Run e2e = run(env, e2e(node, node.port("bootstrap"), "-n", "2", "-N", "3", "--bootstrap-encrypt-key",
          deviceKey));
      assertThat(e2e.status()).as(e2e.err()).isZero();
      assertThat(e2e.out()).contains("thing.create", "mqtt.publish_qos2", "http.publish", "thing.bootstrap",
          "p99 (ms)").doesNotContain("skipped");

      awaitBootstrapCaughtUp(env);
      Run replay = run(env, "events", "replay", "--stream", "all", "--verify");
      assertThat(replay.status()).as(replay.out() + replay.err()).isZero();
    }
  }

  /** Bootstrap has reacted to every things event, and every event is in the store: the log can match the database. */
  static void awaitBootstrapCaughtUp(Map<String, String> env) {
    String jdbcUrl = env.get("FG_DB_URL") + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE";
    Await.until("bootstrap's cursor at the end of the things stream", Duration.ofSeconds(30), () -> count(jdbcUrl,
        "SELECT COUNT(*) FROM event_cursors WHERE stream = 'fluxgate.things' AND consumer = 'bootstrap'"
            + " AND position = (SELECT MAX(seq) FROM events WHERE stream = 'fluxgate.things')") == 1);
    Await.until("every event in the store", Duration.ofSeconds(30),
        () -> count(jdbcUrl, "SELECT COUNT(*) FROM event_outbox") == 0);
  }

  private static long count(String jdbcUrl, String sql) {
    try (Connection c = DriverManager.getConnection(jdbcUrl, "sa", "");
        ResultSet rows = c.createStatement().executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void exitsNonZeroNamingTheCallWhenARoleIsMissing() {
    Map<String, String> env = PlatformNode.env("e2e-partial", dataDir, "users,things,mqtt,http", Map.of());
    try (PlatformNode node = PlatformNode.start(env, false)) {
      int nothingThere = TestStores.freePort();
      Run e2e = run(env, e2e(node, nothingThere));
      assertThat(e2e.status()).isEqualTo(1);
      assertThat(e2e.err()).contains("config.create", "POST http://127.0.0.1:" + nothingThere + "/things/configs",
          "nothing listens there");
    }
  }

  @Test
  void refusesToStartWithoutAnAccount() {
    Run e2e = run(Map.of(), "e2e");
    assertThat(e2e.status()).isEqualTo(Fluxgate.CONFIG_ERROR);
    assertThat(e2e.err()).contains("--identity");
  }
}
