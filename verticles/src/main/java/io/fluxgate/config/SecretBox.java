package io.fluxgate.config;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Secrets at rest under one server key: sealed with AES-256-GCM (so their owner can read them back) and hashed with
 * HMAC-SHA256 (to find or check one without opening anything). The two subkeys derive from the server key and a
 * purpose ({@code <purpose> seal}, {@code <purpose> hash}), so a copy of the database alone reveals no secret.
 */
public final class SecretBox {

  private final AesGcm sealing;
  // Mac is not thread-safe; one per thread keeps the hot path (a device's key checked) free of allocation.
  private final ThreadLocal<Mac> macs;

  public SecretBox(byte[] serverKey, String purpose) {
    this.sealing = new AesGcm(derive(serverKey, purpose + " seal"));
    SecretKeySpec hashKey = new SecretKeySpec(derive(serverKey, purpose + " hash"), "HmacSHA256");
    this.macs = ThreadLocal.withInitial(() -> mac(hashKey));
  }

  private static byte[] derive(byte[] serverKey, String purpose) {
    return mac(new SecretKeySpec(serverKey, "HmacSHA256")).doFinal(purpose.getBytes(StandardCharsets.UTF_8));
  }

  private static Mac mac(SecretKeySpec key) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }

  /** The keyed hash of {@code secret} (hex). */
  public String hash(String secret) {
    return HexFormat.of().formatHex(macs.get().doFinal(secret.getBytes(StandardCharsets.UTF_8)));
  }

  /** Whether {@code secret} hashes to {@code expectedHash}, compared in constant time. */
  public boolean matches(String secret, String expectedHash) {
    return MessageDigest.isEqual(hash(secret).getBytes(StandardCharsets.US_ASCII),
        expectedHash.getBytes(StandardCharsets.US_ASCII));
  }

  /** {@code secret} sealed: base64 of IV, ciphertext and tag; the empty secret stays empty. */
  public String seal(String secret) {
    if (secret.isEmpty()) {
      return "";
    }
    return Base64.getEncoder().encodeToString(sealing.encrypt(secret.getBytes(StandardCharsets.UTF_8)));
  }

  /** The secret inside {@code sealed}; fails when another server key sealed it. */
  public String open(String sealed) {
    if (sealed.isEmpty()) {
      return "";
    }
    try {
      return new String(sealing.decrypt(Base64.getDecoder().decode(sealed)), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot open a secret: was it sealed with another server key?", e);
    }
  }
}
