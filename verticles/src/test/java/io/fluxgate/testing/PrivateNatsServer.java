package io.fluxgate.testing;

import java.io.IOException;
import java.util.List;

/** A nats-server of the test's own with JetStream and its own store directory. */
public final class PrivateNatsServer extends PrivateServer {

  public PrivateNatsServer() throws IOException {
    super("nats");
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
    return List.of("nats-server", "-a", "127.0.0.1", "-p", String.valueOf(port), "-js", "-sd", dir.toString());
  }
}
