package io.fluxgate.things;

import io.fluxgate.config.SecretBox;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Thing keys at rest: new keys carry 192 random bits; a stored key is sealed with AES-256-GCM (so its owner can
 * read it back) and found through an HMAC-SHA256 of it (so a lookup needs no decryption). Both subkeys derive
 * from the server key, so a copy of the database alone reveals no key.
 */
public final class ThingKeys {

  private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();

  private final SecretBox box;
  private final SecureRandom random = new SecureRandom();

  public ThingKeys(byte[] serverKey) {
    this.box = new SecretBox(serverKey, "fluxgate thing key");
  }

  /** A new key: 24 random bytes, URL-safe base64 (32 characters). */
  public String generate() {
    byte[] bytes = new byte[24];
    random.nextBytes(bytes);
    return URL.encodeToString(bytes);
  }

  /** The keyed hash that finds a thing by its key (hex). */
  public String hash(String key) {
    return box.hash(key);
  }

  /** Whether {@code key} hashes to {@code expectedHash}, compared in constant time. */
  public boolean matches(String key, String expectedHash) {
    return box.matches(key, expectedHash);
  }

  /** {@code key} sealed with the server key: base64 of IV and ciphertext with its tag. */
  public String seal(String key) {
    return box.seal(key);
  }

  /** The key inside {@code sealed}; fails when the server key is not the one that sealed it. */
  public String open(String sealed) {
    return box.open(sealed);
  }
}
