package io.fluxgate.config;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Secrets at rest under one server key: sealed with AES-256-GCM (so their owner can read them back) and hashed with
 * HMAC-SHA256 (to find or check one without opening anything). The two subkeys derive from the server key and a
 * purpose ({@code <purpose> seal}, {@code <purpose> hash}), so a copy of the database alone reveals no secret.
 */
public final class SecretBox {

  private static final int IV_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final SecretKeySpec sealKey;
  private final SecureRandom random = new SecureRandom();
  // Mac is not thread-safe; one per thread keeps the hot path (a device's key checked) free of allocation.
  private final ThreadLocal<Mac> macs;

  public SecretBox(byte[] serverKey, String purpose) {
    this.sealKey = new SecretKeySpec(derive(serverKey, purpose + " seal"), "AES");
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
    try {
      byte[] iv = new byte[IV_BYTES];
      random.nextBytes(iv);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, sealKey, new GCMParameterSpec(TAG_BITS, iv));
      byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(ByteBuffer.allocate(iv.length + sealed.length).put(iv).put(sealed)
          .array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot seal a secret", e);
    }
  }

  /** The secret inside {@code sealed}; fails when another server key sealed it. */
  public String open(String sealed) {
    if (sealed.isEmpty()) {
      return "";
    }
    try {
      byte[] bytes = Base64.getDecoder().decode(sealed);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, sealKey, new GCMParameterSpec(TAG_BITS, bytes, 0, IV_BYTES));
      return new String(cipher.doFinal(bytes, IV_BYTES, bytes.length - IV_BYTES), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot open a secret: was it sealed with another server key?", e);
    }
  }
}
