package io.fluxgate.things;

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
 * Thing keys at rest: new keys carry 192 random bits; a stored key is sealed with AES-256-GCM (so its owner can
 * read it back) and found through an HMAC-SHA256 of it (so a lookup needs no decryption). Both subkeys derive
 * from the server key, so a copy of the database alone reveals no key.
 */
public final class ThingKeys {

  private static final int IV_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();

  private final SecretKeySpec sealKey;
  private final SecretKeySpec hashKey;
  private final SecureRandom random = new SecureRandom();
  // Mac and Cipher are not thread-safe; one each per thread keeps the hot path free of allocation.
  private final ThreadLocal<Mac> macs;

  public ThingKeys(byte[] serverKey) {
    this.sealKey = new SecretKeySpec(derive(serverKey, "fluxgate thing key seal"), "AES");
    this.hashKey = new SecretKeySpec(derive(serverKey, "fluxgate thing key hash"), "HmacSHA256");
    this.macs = ThreadLocal.withInitial(() -> {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(hashKey);
        return mac;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 is unavailable", e);
      }
    });
  }

  private static byte[] derive(byte[] serverKey, String purpose) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(serverKey, "HmacSHA256"));
      return mac.doFinal(purpose.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }

  /** A new key: 24 random bytes, URL-safe base64 (32 characters). */
  public String generate() {
    byte[] bytes = new byte[24];
    random.nextBytes(bytes);
    return URL.encodeToString(bytes);
  }

  /** The keyed hash that finds a thing by its key (hex). */
  public String hash(String key) {
    return HexFormat.of().formatHex(macs.get().doFinal(key.getBytes(StandardCharsets.UTF_8)));
  }

  /** Whether {@code key} hashes to {@code expectedHash}, compared in constant time. */
  public boolean matches(String key, String expectedHash) {
    return MessageDigest.isEqual(hash(key).getBytes(StandardCharsets.US_ASCII),
        expectedHash.getBytes(StandardCharsets.US_ASCII));
  }

  /** {@code key} sealed with the server key: base64 of IV and ciphertext with its tag. */
  public String seal(String key) {
    try {
      byte[] iv = new byte[IV_BYTES];
      random.nextBytes(iv);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, sealKey, new GCMParameterSpec(TAG_BITS, iv));
      byte[] sealed = cipher.doFinal(key.getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(ByteBuffer.allocate(iv.length + sealed.length).put(iv).put(sealed)
          .array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot seal a thing key", e);
    }
  }

  /** The key inside {@code sealed}; fails when the server key is not the one that sealed it. */
  public String open(String sealed) {
    try {
      byte[] bytes = Base64.getDecoder().decode(sealed);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, sealKey, new GCMParameterSpec(TAG_BITS, bytes, 0, IV_BYTES));
      return new String(cipher.doFinal(bytes, IV_BYTES, bytes.length - IV_BYTES), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot open a thing key: was it sealed with another server key?", e);
    }
  }
}
