package io.fluxgate.testing;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A nats-server process of the test's own, with JetStream on a free port and its own store directory, which the
 * test may stop and start again (the machine's shared server is never touched).
 */
public final class PrivateNatsServer implements AutoCloseable {

  private final int port;
  private final Path storeDir;
  private Process process;

  public PrivateNatsServer() throws IOException {
    this.port = TestStores.freePort();
    this.storeDir = Files.createTempDirectory("fluxgate-nats");
  }

  public String url() {
    return "nats://127.0.0.1:" + port;
  }

  public PrivateNatsServer start() throws IOException {
    process = new ProcessBuilder("nats-server", "-a", "127.0.0.1", "-p", String.valueOf(port), "-js",
        "-sd", storeDir.toString())
        .redirectErrorStream(true)
        .redirectOutput(storeDir.resolve("server.log").toFile())
        .start();
    Await.until("nats-server on port " + port, Duration.ofSeconds(15), this::answers);
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
    try (var files = Files.walk(storeDir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }
}
