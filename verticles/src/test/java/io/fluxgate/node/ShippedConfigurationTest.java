package io.fluxgate.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.config.ConfigTree;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped {@code conf/fluxgate.json} holds only what differs from the code's defaults, so a default has one
 * source of truth: every key it sets must change the settings a node starts with.
 */
class ShippedConfigurationTest {

  @TempDir
  Path dataDir;

  @Test
  void everyKeyOfTheShippedFileChangesADefault() throws Exception {
    JsonObject shipped = new JsonObject(Files.readString(Path.of("..", "conf", "fluxgate.json")));
    Map<String, String> env = Map.of("FG_DATA_DIR", dataDir.toString(), "FG_NODE_ID", "node-test");
    NodeSettings withFile = NodeSettings.from(new ConfigTree(shipped, env));
    assertThat(same(withFile, NodeSettings.from(new ConfigTree(shipped.copy(), env))))
        .as("settings read twice compare equal, or this test proves nothing").isTrue();

    List<String> repeated = new ArrayList<>();
    for (String leaf : leaves(shipped, "")) {
      JsonObject without = shipped.copy();
      remove(without, leaf.split("\\."));
      if (same(withFile, NodeSettings.from(new ConfigTree(without, env)))) {
        repeated.add(leaf);
      }
    }
    assertThat(repeated).as("keys of conf/fluxgate.json that only repeat the code's default").isEmpty();
  }

  @Test
  void theKeysOfTheReadmesExampleAreRealSettings() throws Exception {
    String readme = Files.readString(Path.of("..", "conf", "README.md"));
    int start = readme.indexOf("```json") + 7;
    String example = readme.substring(start, readme.indexOf("```", start));
    Map<String, String> env = Map.of("FG_DATA_DIR", dataDir.toString(), "FG_NODE_ID", "node-test");
    NodeSettings settings = NodeSettings.from(new ConfigTree(new JsonObject(example), env));
    assertThat(settings.db().url()).startsWith("postgresql://");
    assertThat(settings.events().type()).isEqualTo("nats");
    assertThat(settings.users().resetUrl()).startsWith("https://");
  }

  private static List<String> leaves(JsonObject tree, String prefix) {
    List<String> leaves = new ArrayList<>();
    for (String key : tree.fieldNames()) {
      Object value = tree.getValue(key);
      if (value instanceof JsonObject nested) {
        leaves.addAll(leaves(nested, prefix + key + "."));
      } else {
        leaves.add(prefix + key);
      }
    }
    return leaves;
  }

  private static void remove(JsonObject tree, String[] path) {
    JsonObject at = tree;
    for (int i = 0; i < path.length - 1; i++) {
      at = at.getJsonObject(path[i]);
    }
    at.remove(path[path.length - 1]);
  }

  // Records compare by value, except the things key (an array).
  private static boolean same(NodeSettings a, NodeSettings b) {
    return a.node().equals(b.node()) && a.db().equals(b.db()) && a.events().equals(b.events())
        && a.ports().equals(b.ports()) && a.users().equals(b.users()) && a.smtp().equals(b.smtp())
        && a.mqtt().equals(b.mqtt()) && a.things().keyMinLength() == b.things().keyMinLength()
        && Arrays.equals(a.things().serverKey(), b.things().serverKey());
  }
}
