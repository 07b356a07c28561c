package io.fluxgate.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * An MQTT 5 client on a plain socket that sends exactly the bytes a test asks for and reads packets one by one, for
 * what real client libraries will not do: break the protocol, or count what the server sends before acknowledging.
 */
public final class RawMqtt5 implements AutoCloseable {

  /** One packet read: its first byte (type and flags) and the rest after the remaining length. */
  public record Packet(int header, byte[] body) {
    public int type() {
      return header >> 4;
    }
  }

  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;

  public RawMqtt5(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(10_000);
    out = socket.getOutputStream();
    in = socket.getInputStream();
  }

  /** CONNECT with clean start, keep-alive 60, user name and password, and {@code properties} (already encoded). */
  public Packet connect(String clientId, String user, String password, byte[] properties) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    string(body, "MQTT");
    body.write(5);
    body.write(0xC2);
    body.write(0);
    body.write(60);
    varInt(body, properties.length);
    body.writeBytes(properties);
    string(body, clientId);
    string(body, user);
    string(body, password);
    send(0x10, body.toByteArray());
    return read();
  }

  /** SUBSCRIBE to one filter at {@code qos}; answers the SUBACK. */
  public Packet subscribe(int packetId, String filter, int qos) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(packetId >> 8);
    body.write(packetId & 0xFF);
    body.write(0);
    string(body, filter);
    body.write(qos);
    send(0x82, body.toByteArray());
    return read();
  }

  /** PUBLISH at QoS 0 or 1 with {@code properties} (already encoded). */
  public void publish(String topic, int qos, int packetId, byte[] properties, byte[] payload) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    string(body, topic);
    if (qos > 0) {
      body.write(packetId >> 8);
      body.write(packetId & 0xFF);
    }
    varInt(body, properties.length);
    body.writeBytes(properties);
    body.writeBytes(payload);
    send(0x30 | (qos << 1), body.toByteArray());
  }

  public void puback(int packetId) throws IOException {
    send(0x40, new byte[] {(byte) (packetId >> 8), (byte) packetId});
  }

  /** PUBREL for the QoS 2 publish whose PUBREC was {@code pubrec}. */
  public void pubrel(Packet pubrec) throws IOException {
    send(0x62, new byte[] {pubrec.body()[0], pubrec.body()[1]});
  }

  public void ping() throws IOException {
    send(0xC0, new byte[0]);
  }

  /** The packet id of a QoS 1/2 PUBLISH read from the server. */
  public static int packetIdOf(Packet publish) {
    int topicLength = ((publish.body()[0] & 0xFF) << 8) | (publish.body()[1] & 0xFF);
    return ((publish.body()[2 + topicLength] & 0xFF) << 8) | (publish.body()[3 + topicLength] & 0xFF);
  }

  /** The next packet, or null when the server closed the connection. */
  public Packet read() throws IOException {
    int header = in.read();
    if (header < 0) {
      return null;
    }
    int length = 0;
    int shift = 0;
    int digit;
    do {
      digit = in.read();
      length |= (digit & 0x7F) << shift;
      shift += 7;
    } while ((digit & 0x80) != 0);
    return new Packet(header, in.readNBytes(length));
  }

  /** A one-byte property followed by a two-byte value (Topic Alias, Receive Maximum, ...). */
  public static byte[] twoByteProperty(int id, int value) {
    return new byte[] {(byte) id, (byte) (value >> 8), (byte) value};
  }

  private void send(int header, byte[] body) throws IOException {
    ByteArrayOutputStream packet = new ByteArrayOutputStream();
    packet.write(header);
    varInt(packet, body.length);
    packet.writeBytes(body);
    out.write(packet.toByteArray());
    out.flush();
  }

  private static void varInt(ByteArrayOutputStream out, int value) {
    do {
      int digit = value % 128;
      value /= 128;
      out.write(value > 0 ? digit | 0x80 : digit);
    } while (value > 0);
  }

  private static void string(ByteArrayOutputStream out, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    out.write(bytes.length >> 8);
    out.write(bytes.length & 0xFF);
    out.writeBytes(bytes);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
