package io.fluxgate.bootstrap;

import io.fluxgate.config.ConfigException;
import io.fluxgate.config.ConfigSection;
import io.fluxgate.config.ConfigTree;
import io.fluxgate.config.StoredKey;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;

/**
 * The bootstrap service, from the {@code bootstrap} section ({@code FG_BOOTSTRAP_*}): the server key that seals the
 * secrets of configs at rest ({@code key}, generated into {@code bootstrap.key}), the AES-256 key devices share for
 * the secure bootstrap ({@code encrypt_key}, generated into {@code bootstrap-encrypt.key}), both 32 bytes in base64
 * and the same on every node; and the bound on failed bootstrap attempts per external id ({@code max_failures}
 * within {@code failure_window}).
 */
public record BootstrapSettings(byte[] serverKey, byte[] encryptKey, int maxFailures, Duration failureWindow) {

  public static BootstrapSettings from(ConfigTree tree, Path dataDir) {
    ConfigSection section = tree.section("bootstrap");
    return new BootstrapSettings(
        key(section, "key", dataDir, "bootstrap.key"),
        key(section, "encrypt_key", dataDir, "bootstrap-encrypt.key"),
        section.integer("max_failures", 5, 1, 1_000_000),
        section.duration("failure_window", Duration.ofMinutes(10)));
  }

  private static byte[] key(ConfigSection section, String name, Path dataDir, String file) {
    String encoded = section.string(name, "");
    String where = "bootstrap." + name + " (" + section.variable(name) + ")";
    byte[] key;
    try {
      key = Base64.getDecoder().decode(encoded.isEmpty() ? StoredKey.readOrCreate(dataDir, file) : encoded);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("invalid configuration " + where + ": not base64");
    }
    if (key.length != 32) {
      throw new ConfigException("invalid configuration " + where + ": must be 32 bytes in base64, was " + key.length
          + " bytes");
    }
    return key;
  }

  @Override
  public String toString() {
    // Never print a key.
    return "BootstrapSettings[maxFailures=" + maxFailures + ", failureWindow=" + failureWindow + "]";
  }
}
