package io.fluxgate.testing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** A redis-server of the test's own, without persistence, optionally with a password. */
public final class PrivateRedisServer extends PrivateServer {

  private final String password;

  public PrivateRedisServer(String password) throws IOException {
    super("redis");
    this.password = password;
  }

  /** The URL with the password, as {@code es.url} takes it. */
  public String url() {
    return "redis://" + (password == null ? "" : ":" + password + "@") + "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public PrivateRedisServer start() throws IOException {
    launch();
    return this;
  }

  @Override
  List<String> command() {
    List<String> command = new ArrayList<>(List.of("redis-server", "--port", String.valueOf(port),
        "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString()));
    if (password != null) {
      command.addAll(List.of("--requirepass", password));
    }
    return command;
  }
}
