package io.fluxgate.things;

import io.fluxgate.config.ConfigException;
import io.fluxgate.config.ConfigSection;
import io.fluxgate.config.ConfigTree;
import io.fluxgate.config.StoredKey;
import java.nio.file.Path;
import java.util.Base64;

/**
 * The things service, from the {@code things} section ({@code FG_THINGS_*}): the server key that seals thing keys
 * ({@code key}, 32 bytes in base64; generated into the data directory at first start when not given; give every
 * node of a cluster the same one) and the shortest key a user may choose ({@code key_min_length}).
 */
public record ThingsConfig(byte[] serverKey, int keyMinLength) {

  public static ThingsConfig from(ConfigTree tree, Path dataDir) {
    ConfigSection things = tree.section("things");
    String encoded = things.string("key", "");
    byte[] key;
    try {
      key = Base64.getDecoder().decode(encoded.isEmpty() ? StoredKey.readOrCreate(dataDir, "things.key") : encoded);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("invalid configuration things.key (FG_THINGS_KEY): not base64");
    }
    if (key.length != 32) {
      throw new ConfigException("invalid configuration things.key (FG_THINGS_KEY): must be 32 bytes in base64, was "
          + key.length + " bytes");
    }
    return new ThingsConfig(key, things.integer("key_min_length", 8, 1, 1024));
  }

  @Override
  public String toString() {
    // Never print the server key.
    return "ThingsConfig[keyMinLength=" + keyMinLength + "]";
  }
}
