package io.fluxgate.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AesGcmTest {

  private final byte[] key = new byte[32];
  private final AesGcm aes = new AesGcm(key);

  @Test
  void decryptsWhatItEncryptedUnderAFreshIvEachTime() throws Exception {
    byte[] plain = "device-external-key".getBytes(StandardCharsets.UTF_8);
    byte[] first = aes.encrypt(plain);
    byte[] second = aes.encrypt(plain);
    assertThat(first).hasSize(12 + plain.length + 16).isNotEqualTo(second);
    assertThat(aes.decrypt(first)).isEqualTo(plain);
    assertThat(aes.decrypt(second)).isEqualTo(plain);
  }

  @Test
  void refusesAChangedMessageAnotherKeysMessageAndOneShorterThanIvAndTag() {
    byte[] message = aes.encrypt("config".getBytes(StandardCharsets.UTF_8));
    byte[] changed = message.clone();
    changed[changed.length - 1] ^= 1;
    byte[] otherKey = new byte[32];
    Arrays.fill(otherKey, (byte) 7);
    assertThatThrownBy(() -> aes.decrypt(changed)).isInstanceOf(GeneralSecurityException.class);
    assertThatThrownBy(() -> new AesGcm(otherKey).decrypt(message)).isInstanceOf(GeneralSecurityException.class);
    assertThatThrownBy(() -> aes.decrypt(new byte[27])).isInstanceOf(GeneralSecurityException.class);
  }
}
