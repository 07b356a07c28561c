package io.fluxgate.testing;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A server process of the test's own on a free loopback port with a directory of its own, which the test may stop
 * and start again (the machine's shared servers are never touched).
 */
public abstract class PrivateServer implements AutoCloseable {

  protected final int port;
  protected final Path dir;
  private Process process;

  PrivateServer(String name) throws IOException {
    this.port = TestStores.freePort();
    this.dir = Files.createTempDirectory("fluxgate-" + name);
  }

  /**
   * Makes a self-signed certificate for 127.0.0.1 and localhost with openssl: {@link #caFile()} is both the
   * server's certificate and the CA a client trusts, {@link #keyFile()} its key.
   */
  void makeCertificate() throws IOException {
    Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout", keyFile().toString(), "-out", caFile().toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("openssl.log").toFile()).start();
    try {
      if (openssl.waitFor() != 0) {
        throw new IOException("openssl could not make a certificate: " + Files.readString(dir.resolve("openssl.log")));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /** The server's certificate, its own CA: what a store's TLS CA setting names. */
  public Path caFile() {
    return dir.resolve("cert.pem");
  }

  Path keyFile() {
    return dir.resolve("key.pem");
  }

  /** The URL a store's {@code es.url} takes to reach this server. */
  public abstract String url();

  /** Starts the server (again, after {@link #stop}) and waits until its port answers. */
  public PrivateServer start() throws IOException {
    launch();
    return this;
  }

  /** The command that starts the server on {@link #port} with {@link #dir}. */
  abstract List<String> command();

  /** Starts the process and waits until its port answers. */
  void launch() throws IOException {
    List<String> command = command();
    process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("server.log").toFile())
        .start();
    Await.until(getClass().getSimpleName() + " on port " + port, startTimeout(), this::answers);
  }

  /** How long the server may take to answer on its port. */
  Duration startTimeout() {
    return Duration.ofSeconds(15);
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
