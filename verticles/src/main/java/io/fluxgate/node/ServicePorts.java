package io.fluxgate.node;

import io.fluxgate.config.ConfigTree;

/**
 * The REST API port of each service, with the reference defaults: users 9002 ({@code FG_USERS_HTTP_PORT}), things
 * 9000 ({@code FG_THINGS_HTTP_PORT}), bootstrap 9013 ({@code FG_BOOTSTRAP_HTTP_PORT}), HTTP message adapter 8008
 * ({@code FG_HTTP_ADAPTER_PORT}). Zero picks a free port.
 */
public record ServicePorts(int users, int things, int bootstrap, int httpAdapter) {

  public static ServicePorts from(ConfigTree tree) {
    return new ServicePorts(
        tree.section("users").port("http_port", 9002),
        tree.section("things").port("http_port", 9000),
        tree.section("bootstrap").port("http_port", 9013),
        tree.section("http").port("adapter_port", 8008));
  }

  public int of(Role role) {
    return switch (role) {
      case USERS -> users;
      case THINGS -> things;
      case BOOTSTRAP -> bootstrap;
      case HTTP -> httpAdapter;
      case MQTT -> throw new IllegalArgumentException("the MQTT ports are in MqttConfig");
    };
  }
}
