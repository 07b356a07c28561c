package io.fluxgate.testing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** A redis-server of the test's own, without persistence, optionally with a password. */
public final class PrivateRedisServer extends PrivateServer {

  private final String password;
  private boolean appendOnly;
  private boolean tls;

  public PrivateRedisServer(String password) throws IOException {
    super("redis");
    this.password = password;
  }

  /**
   * Serves TLS only, with a self-signed certificate for 127.0.0.1 made here (openssl), which is also the CA file
   * a client trusts ({@link #caFile()}).
   */
  public PrivateRedisServer tls() throws IOException {
    makeCertificate();
    this.tls = true;
    return this;
  }

  /** Keeps the data in an append-only file, so a stopped and restarted server still has its streams. */
  public PrivateRedisServer persistent() {
    this.appendOnly = true;
    return this;
  }

  /** The URL with the password, as {@code es.url} takes it. */
  @Override
  public String url() {
    return (tls ? "rediss://" : "redis://") + (password == null ? "" : ":" + password + "@") + "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  @Override
  public PrivateRedisServer start() throws IOException {
    launch();
    return this;
  }

  @Override
  List<String> command() {
    List<String> command = new ArrayList<>(List.of("redis-server", "--port", tls ? "0" : String.valueOf(port),
        "--bind", "127.0.0.1", "--save", "", "--appendonly", appendOnly ? "yes" : "no", "--dir", dir.toString()));
    if (password != null) {
      command.addAll(List.of("--requirepass", password));
    }
    if (tls) {
      command.addAll(List.of("--tls-port", String.valueOf(port), "--tls-cert-file", caFile().toString(),
          "--tls-key-file", keyFile().toString(), "--tls-auth-clients", "no"));
    }
    return command;
  }
}
