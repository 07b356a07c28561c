package io.fluxgate.config;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The whole configuration of a node: the JSON file's tree plus the {@code FG_*} environment that overrides it. */
public record ConfigTree(JsonObject file, Map<String, String> env) {

  /** The file used when no {@code --config} is given; a missing default file means "all defaults". */
  public static final Path DEFAULT_FILE = Path.of("conf", "fluxgate.json");

  /** Reads {@code file} (null for the default), failing with a message that names the file when it is unusable. */
  public static ConfigTree load(Path file, Map<String, String> env) {
    Path path = file == null ? DEFAULT_FILE : file;
    if (!Files.exists(path)) {
      if (file != null) {
        throw new ConfigException("configuration file " + path + " does not exist");
      }
      return new ConfigTree(new JsonObject(), env);
    }
    try {
      return new ConfigTree(new JsonObject(Files.readString(path)), env);
    } catch (IOException e) {
      throw new ConfigException("cannot read configuration file " + path + ": " + e.getMessage());
    } catch (DecodeException e) {
      throw new ConfigException("configuration file " + path + " is not a JSON object: " + e.getMessage());
    }
  }

  public ConfigSection section(String name) {
    return ConfigSection.of(file, name, env);
  }
}
