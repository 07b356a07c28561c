package io.fluxgate.e2e;

import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The device's side of the secure bootstrap, as docs/api.md describes it: AES-256-GCM under the shared key, each
 * message a 12-byte IV then ciphertext and tag; the external key goes out so encrypted (hex), the answer comes back
 * so encrypted.
 */
final class SecureBootstrap {

  private final SecretKeySpec key;
  private final SecureRandom random = new SecureRandom();

  SecureBootstrap(byte[] key) {
    this.key = new SecretKeySpec(key, "AES");
  }

  /** The credential of a secure request: the external key encrypted, in hex. */
  String credential(String externalKey) {
    try {
      byte[] iv = new byte[12];
      random.nextBytes(iv);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
      byte[] sealed = cipher.doFinal(externalKey.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(ByteBuffer.allocate(iv.length + sealed.length).put(iv).put(sealed).array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no AES-GCM in this JVM", e);
    }
  }

  /** The configuration inside an encrypted answer. */
  JsonObject open(byte[] answer) {
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, answer, 0, 12));
      return new JsonObject(new String(cipher.doFinal(answer, 12, answer.length - 12), StandardCharsets.UTF_8));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new CallFailed("thing.bootstrap: the secure answer does not decrypt under the given key: " + e);
    }
  }
}
