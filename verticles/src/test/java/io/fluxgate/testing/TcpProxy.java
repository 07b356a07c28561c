package io.fluxgate.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A loopback TCP proxy to one server that a test can cut: every connection through it is reset at once and no new
 * one is taken, as the server sees it when the client's machine dies.
 */
public final class TcpProxy implements AutoCloseable {

  private final ServerSocket listener;
  private final String targetHost;
  private final int targetPort;
  private final Queue<Socket> sockets = new ConcurrentLinkedQueue<>();
  private volatile boolean cut;

  public TcpProxy(String targetHost, int targetPort) throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "tcp-proxy-" + listener.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return listener.getLocalPort();
  }

  /** {@code url} with its {@code host:port} replaced by this proxy's address. */
  public String url(String url) {
    java.net.URI uri = java.net.URI.create(url);
    return url.replace(uri.getHost() + ":" + uri.getPort(), "127.0.0.1:" + port());
  }

  /** A proxy to the server {@code url} names. */
  public static TcpProxy to(String url) throws IOException {
    java.net.URI uri = java.net.URI.create(url);
    return new TcpProxy(uri.getHost(), uri.getPort());
  }

  private void accept() {
    while (!cut) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket(targetHost, targetPort);
        sockets.add(client);
        sockets.add(server);
        pump(client, server);
        pump(server, client);
      } catch (IOException e) {
        // Cut, or the server refused: the client sees its connection fail either way.
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread pump = new Thread(() -> {
      byte[] buffer = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
        }
      } catch (IOException e) {
        // One side went away; the other is closed below.
      } finally {
        closeQuietly(to);
        closeQuietly(from);
      }
    }, "tcp-proxy-pump");
    pump.setDaemon(true);
    pump.start();
  }

  /** Resets every connection through the proxy and refuses new ones. */
  public void cut() {
    cut = true;
    closeQuietly(listener);
    for (Socket socket : sockets) {
      try {
        // Linger 0: a reset, not an orderly close, as when the client's machine dies.
        socket.setSoLinger(true, 0);
      } catch (IOException e) {
        // Already closed.
      }
      closeQuietly(socket);
    }
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      // Already closed.
    }
  }

  @Override
  public void close() {
    cut();
  }
}
