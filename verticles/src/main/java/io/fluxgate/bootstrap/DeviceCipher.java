package io.fluxgate.bootstrap;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secure bootstrap's encryption under the AES-256 key devices share with the service: AES-GCM, a message being
 * a 12-byte random IV followed by the ciphertext and its 16-byte tag. A device sends its external key so encrypted
 * (hex) and gets the configuration back so encrypted (raw bytes).
 */
public final class DeviceCipher {

  static final int IV_BYTES = 12;
  static final int TAG_BITS = 128;

  private final SecretKeySpec key;
  private final SecureRandom random = new SecureRandom();

  public DeviceCipher(byte[] key) {
    this.key = new SecretKeySpec(key, "AES");
  }

  /** IV, ciphertext and tag of {@code plain}. */
  public byte[] encrypt(byte[] plain) {
    try {
      byte[] iv = new byte[IV_BYTES];
      random.nextBytes(iv);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
      byte[] sealed = cipher.doFinal(plain);
      return ByteBuffer.allocate(iv.length + sealed.length).put(iv).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot encrypt a bootstrap answer", e);
    }
  }

  /** The plain bytes of {@code message}, or null when it was not encrypted under this key (or was changed). */
  public byte[] decrypt(byte[] message) {
    if (message.length < IV_BYTES + TAG_BITS / 8) {
      return null;
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, message, 0, IV_BYTES));
      return cipher.doFinal(message, IV_BYTES, message.length - IV_BYTES);
    } catch (GeneralSecurityException e) {
      return null;
    }
  }

  /** The external key inside a secure request's hex credential, or null when it does not decrypt. */
  public String externalKey(String hex) {
    byte[] bytes;
    try {
      bytes = HexFormat.of().parseHex(hex);
    } catch (IllegalArgumentException e) {
      return null;
    }
    byte[] plain = decrypt(bytes);
    return plain == null ? null : new String(plain, StandardCharsets.UTF_8);
  }
}
