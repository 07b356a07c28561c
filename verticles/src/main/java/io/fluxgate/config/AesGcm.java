package io.fluxgate.config;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-GCM under one key, a message being a 12-byte random IV followed by the ciphertext and its 16-byte tag: the
 * format of secrets sealed at rest and of the secure bootstrap's device messages.
 */
public final class AesGcm {

  private static final int IV_BYTES = 12;
  private static final int TAG_BYTES = 16;

  private final SecretKeySpec key;
  private final SecureRandom random = new SecureRandom();

  public AesGcm(byte[] key) {
    this.key = new SecretKeySpec(key, "AES");
  }

  /** IV, ciphertext and tag of {@code plain}. */
  public byte[] encrypt(byte[] plain) {
    try {
      byte[] iv = new byte[IV_BYTES];
      random.nextBytes(iv);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, iv));
      byte[] sealed = cipher.doFinal(plain);
      return ByteBuffer.allocate(iv.length + sealed.length).put(iv).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is unavailable", e);
    }
  }

  /** The plain bytes of {@code message}; fails when it was not encrypted under this key or was changed. */
  public byte[] decrypt(byte[] message) throws GeneralSecurityException {
    if (message.length < IV_BYTES + TAG_BYTES) {
      throw new GeneralSecurityException("shorter than an IV and a tag");
    }
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, message, 0, IV_BYTES));
    return cipher.doFinal(message, IV_BYTES, message.length - IV_BYTES);
  }
}
