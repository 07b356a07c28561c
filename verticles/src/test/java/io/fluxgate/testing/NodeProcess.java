package io.fluxgate.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code fluxgate serve} as a child JVM of the test (the test's classpath), so a test can {@code kill -9} a real
 * node and start it again on the same data; its output is kept for the test to wait on.
 */
public final class NodeProcess implements AutoCloseable {

  private static final Pattern API = Pattern.compile("^\\s*(\\w+) API on http://[^:]+:(\\d+)$");

  private final Process process;
  private final Queue<String> lines = new ConcurrentLinkedQueue<>();
  private final Map<String, Integer> ports = new HashMap<>();

  private NodeProcess(Process process) {
    this.process = process;
    follow(process.getInputStream());
    follow(process.getErrorStream());
  }

  /** The environment of a child node: free ports, fast bcrypt, the test administrator, on top {@code overrides}. */
  public static Map<String, String> env(Path dataDir, Map<String, String> overrides) {
    Map<String, String> env = new HashMap<>(PlatformNode.env("crash", dataDir, "users,things", Map.of()));
    env.remove("FG_DB_URL");
    env.putAll(overrides);
    return env;
  }

  /** Starts {@code fluxgate serve} and waits until it says where it listens. */
  public static NodeProcess serve(Map<String, String> env) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
        "io.fluxgate.node.Fluxgate", "serve"));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(env);
    NodeProcess node = new NodeProcess(builder.start());
    node.awaitLine("the node started", Duration.ofSeconds(90), line -> line.contains(" started"));
    node.awaitLine("the things API listening", Duration.ofSeconds(30), line -> API.matcher(line).matches()
        && line.contains("things"));
    return node;
  }

  private void follow(java.io.InputStream stream) {
    Thread reader = new Thread(() -> {
      try (var in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          Matcher m = API.matcher(line);
          if (m.matches()) {
            ports.put(m.group(1), Integer.parseInt(m.group(2)));
          }
          lines.add(line);
        }
      } catch (IOException e) {
        // The process is gone; what it printed is kept.
      }
    }, "node-output");
    reader.setDaemon(true);
    reader.start();
  }

  public int port(String service) {
    Integer port = ports.get(service);
    if (port == null) {
      throw new AssertionError("no " + service + " port in the node's output:\n" + output());
    }
    return port;
  }

  /** Waits until the node printed a line that {@code test} accepts, failing with its output otherwise. */
  public String awaitLine(String what, Duration timeout, java.util.function.Predicate<String> test) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (String line : lines) {
        if (test.test(line)) {
          return line;
        }
      }
      if (!process.isAlive()) {
        throw new AssertionError("the node exited (" + process.exitValue() + ") before " + what + ":\n" + output());
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("timed out waiting for " + what + ":\n" + output());
  }

  public String output() {
    return String.join("\n", lines);
  }

  /** {@code kill -9}: no shutdown hook, no flush, nothing the JVM could still do. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** {@code kill} (SIGTERM): the node stops as an operator stops it, and the test waits for it to exit. */
  public void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
