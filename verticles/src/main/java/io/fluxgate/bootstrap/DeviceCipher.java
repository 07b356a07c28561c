package io.fluxgate.bootstrap;

import io.fluxgate.config.AesGcm;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;

/**
 * The secure bootstrap's encryption under the AES-256 key devices share with the service: AES-GCM, a message being
 * a 12-byte random IV followed by the ciphertext and its 16-byte tag. A device sends its external key so encrypted
 * (hex) and gets the configuration back so encrypted (raw bytes).
 */
public final class DeviceCipher {

  private final AesGcm aes;

  public DeviceCipher(byte[] key) {
    this.aes = new AesGcm(key);
  }

  /** IV, ciphertext and tag of {@code plain}. */
  public byte[] encrypt(byte[] plain) {
    return aes.encrypt(plain);
  }

  /** The plain bytes of {@code message}, or null when it was not encrypted under this key (or was changed). */
  public byte[] decrypt(byte[] message) {
    try {
      return aes.decrypt(message);
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
