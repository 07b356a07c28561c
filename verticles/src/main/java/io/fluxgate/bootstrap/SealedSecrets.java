package io.fluxgate.bootstrap;

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
 * The secrets of configs at rest (external key, thing key, client private key): sealed with AES-256-GCM so the owner
 * reads them back, and the external key also as an HMAC-SHA256 to check a device's key without opening anything.
 * Both subkeys derive from the bootstrap server key, so a copy of the database alone reveals no secret.
 */
public final class SealedSecrets {

  private static final int IV_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final SecretKeySpec sealKey;
  private final SecretKeySpec hashKey;
  private final SecureRandom random = new SecureRandom();

  public SealedSecrets(byte[] serverKey) {
    this.sealKey = new SecretKeySpec(derive(serverKey, "fluxgate bootstrap seal"), "AES");
    this.hashKey = new SecretKeySpec(derive(serverKey, "fluxgate bootstrap hash"), "HmacSHA256");
  }

  private static byte[] derive(byte[] serverKey, String purpose) {
    return mac(new SecretKeySpec(serverKey, "HmacSHA256"), purpose);
  }

  private static byte[] mac(SecretKeySpec key, String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }

  /** The keyed hash of {@code secret} (hex). */
  public String hash(String secret) {
    return HexFormat.of().formatHex(mac(hashKey, secret));
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
      throw new IllegalStateException("cannot seal a bootstrap secret", e);
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
      throw new IllegalStateException("cannot open a bootstrap secret: was it sealed with another server key?", e);
    }
  }
}
