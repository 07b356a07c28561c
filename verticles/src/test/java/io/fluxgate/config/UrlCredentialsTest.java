package io.fluxgate.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UrlCredentialsTest {

  @Test
  void hidesPasswordsAndTokensButKeepsTheRest() {
    assertThat(UrlCredentials.hide("postgresql://fluxgate:s3cr3t@db:5432/fluxgate"))
        .isEqualTo("postgresql://fluxgate:***@db:5432/fluxgate");
    assertThat(UrlCredentials.hide("nats://s3cr3ttoken@nats:4222")).isEqualTo("nats://***@nats:4222");
    assertThat(UrlCredentials.hide("nats://127.0.0.1:4222")).isEqualTo("nats://127.0.0.1:4222");
    assertThat(UrlCredentials.hide("redis://:s3cr3t@redis:6379/0")).as("a password without a user name")
        .isEqualTo("redis://:***@redis:6379/0");
  }
}
