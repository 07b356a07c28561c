package io.fluxgate.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;

/** A server key kept in the data directory: read if there, else created with 256 random bits (base64). */
public final class StoredKey {

  private StoredKey() {}

  /** The key in {@code <dataDir>/<fileName>}, created if missing; give every node of a cluster the same one. */
  public static String readOrCreate(Path dataDir, String fileName) {
    Path file = dataDir.resolve(fileName);
    try {
      if (Files.exists(file)) {
        return Files.readString(file).trim();
      }
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      String key = Base64.getEncoder().encodeToString(random);
      DataDirectory.create(dataDir);
      DataDirectory.writeSecret(file, key);
      return key;
    } catch (IOException e) {
      throw new ConfigException("cannot read or create the key " + file + ": " + e.getMessage());
    }
  }
}
