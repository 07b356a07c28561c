package io.fluxgate.testing;

import java.io.IOException;
import java.util.List;

/** A nats-server of the test's own with JetStream and its own store directory. */
public final class PrivateNatsServer extends PrivateServer {

  private final List<String> credentials;

  public PrivateNatsServer() throws IOException {
    this(List.of());
  }

  private PrivateNatsServer(List<String> credentials) throws IOException {
    super("nats");
    this.credentials = credentials;
  }

  /** A server that admits only {@code user} with {@code password}. */
  public static PrivateNatsServer withUser(String user, String password) throws IOException {
    return new PrivateNatsServer(List.of("--user", user, "--pass", password));
  }

  @Override
  public String url() {
    return "nats://127.0.0.1:" + port;
  }

  @Override
  public PrivateNatsServer start() throws IOException {
    launch();
    return this;
  }

  @Override
  List<String> command() {
    List<String> command = new java.util.ArrayList<>(List.of("nats-server", "-a", "127.0.0.1", "-p",
        String.valueOf(port), "-js", "-sd", dir.toString()));
    command.addAll(credentials);
    return command;
  }
}
