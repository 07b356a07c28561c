package io.fluxgate.testing;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A blocking RESP2 client of a few lines for tests: it answers from any thread without an event loop, so a probe
 * inside a bus consumer does not depend on the Vert.x it checks. Replies: String, Long, List or null.
 */
public final class RedisProbe implements AutoCloseable {

  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;

  public RedisProbe(String url) throws IOException {
    URI uri = URI.create(url);
    socket = new Socket(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort());
    out = socket.getOutputStream();
    in = new BufferedInputStream(socket.getInputStream());
    String userInfo = uri.getUserInfo();
    if (userInfo != null && userInfo.contains(":")) {
      call("AUTH", userInfo.substring(userInfo.indexOf(':') + 1));
    }
    String path = uri.getPath();
    if (path != null && path.length() > 1) {
      call("SELECT", path.substring(1));
    }
  }

  /** Sends one command and returns its reply; an error reply throws. */
  public synchronized Object call(String... args) throws IOException {
    StringBuilder command = new StringBuilder("*").append(args.length).append("\r\n");
    for (String arg : args) {
      byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
      command.append('$').append(bytes.length).append("\r\n").append(arg).append("\r\n");
    }
    out.write(command.toString().getBytes(StandardCharsets.UTF_8));
    out.flush();
    return reply();
  }

  private Object reply() throws IOException {
    int type = in.read();
    String line = line();
    switch (type) {
      case '+':
        return line;
      case '-':
        throw new IOException(line);
      case ':':
        return Long.parseLong(line);
      case '$': {
        int length = Integer.parseInt(line);
        if (length < 0) {
          return null;
        }
        byte[] bytes = in.readNBytes(length + 2);
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
      }
      case '*': {
        int count = Integer.parseInt(line);
        if (count < 0) {
          return null;
        }
        List<Object> items = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          items.add(reply());
        }
        return items;
      }
      default:
        throw new IOException("unexpected RESP type " + (char) type);
    }
  }

  private String line() throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != '\r') {
      if (c < 0) {
        throw new IOException("connection closed");
      }
      line.append((char) c);
    }
    in.read();
    return line.toString();
  }

  /** Deletes every key that starts with {@code <prefix>.}, found with SCAN (never KEYS on a shared server). */
  @SuppressWarnings("unchecked")
  public void deleteKeys(String prefix) throws IOException {
    String cursor = "0";
    do {
      List<Object> page = (List<Object>) call("SCAN", cursor, "MATCH", prefix + ".*", "COUNT", "1000");
      cursor = (String) page.get(0);
      for (Object key : (List<Object>) page.get(1)) {
        call("DEL", (String) key);
      }
    } while (!cursor.equals("0"));
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
