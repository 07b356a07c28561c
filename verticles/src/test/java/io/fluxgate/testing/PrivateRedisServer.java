package io.fluxgate.testing;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A redis-server process of the test's own on a free port, without persistence, optionally with a password, which
 * the test may stop and start again (the machine's shared server is never touched).
 */
public final class PrivateRedisServer implements AutoCloseable {

  private final int port;
  private final String password;
  private final Path dir;
  private Process process;

  public PrivateRedisServer(String password) throws IOException {
    this.port = TestStores.freePort();
    this.password = password;
    this.dir = Files.createTempDirectory("fluxgate-redis");
  }

  /** The URL with the password, as {@code es.url} takes it. */
  public String url() {
    return "redis://" + (password == null ? "" : ":" + password + "@") + "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public PrivateRedisServer start() throws IOException {
    List<String> command = new ArrayList<>(List.of("redis-server", "--port", String.valueOf(port),
        "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString()));
    if (password != null) {
      command.addAll(List.of("--requirepass", password));
    }
    process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("server.log").toFile())
        .start();
    Await.until("redis-server on port " + port, Duration.ofSeconds(15), this::answers);
    return this;
  }

  public void stop() throws InterruptedException {
    if (process != null) {
      process.destroy();
      process.waitFor();
      process = null;
    }
  }

  private boolean answers() {
    try (Socket ignored = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() throws Exception {
    stop();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }
}
