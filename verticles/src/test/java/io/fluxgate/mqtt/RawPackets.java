package io.fluxgate.mqtt;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** MQTT packets written byte by byte, for tests whose device must do what no client library lets it (stop reading). */
final class RawPackets {

  private RawPackets() {}

  /** CONNECT with a clean session, a user name and a password; {@code version} 4 (3.1.1) or 5. */
  static byte[] connect(int version, String clientId, String user, String password, int keepAliveSeconds) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    string(body, "MQTT");
    body.write(version);
    body.write(0xC2);
    body.write(keepAliveSeconds >> 8);
    body.write(keepAliveSeconds & 0xFF);
    if (version == 5) {
      body.write(0);
    }
    string(body, clientId);
    string(body, user);
    string(body, password);
    return packet(0x10, body.toByteArray());
  }

  /** SUBSCRIBE (3.1.1) to one filter. */
  static byte[] subscribe(int packetId, String filter, int qos) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(packetId >> 8);
    body.write(packetId & 0xFF);
    string(body, filter);
    body.write(qos);
    return packet(0x82, body.toByteArray());
  }

  /** PUBLISH at QoS 0 (3.1.1). */
  static byte[] publish(String topic, byte[] payload) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    string(body, topic);
    body.writeBytes(payload);
    return packet(0x30, body.toByteArray());
  }

  private static byte[] packet(int firstByte, byte[] variable) {
    ByteArrayOutputStream packet = new ByteArrayOutputStream();
    packet.write(firstByte);
    int length = variable.length;
    do {
      int digit = length % 128;
      length /= 128;
      packet.write(length > 0 ? digit | 0x80 : digit);
    } while (length > 0);
    packet.writeBytes(variable);
    return packet.toByteArray();
  }

  private static void string(ByteArrayOutputStream out, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    out.write(bytes.length >> 8);
    out.write(bytes.length & 0xFF);
    out.writeBytes(bytes);
  }

  /** Reads one packet's fixed header and body from {@code in}; its first byte, or -1 at the end of the stream. */
  static int skipPacket(java.io.InputStream in) throws java.io.IOException {
    int first = in.read();
    if (first < 0) {
      return -1;
    }
    int length = 0;
    int shift = 0;
    int digit;
    do {
      digit = in.read();
      if (digit < 0) {
        return -1;
      }
      length |= (digit & 0x7F) << shift;
      shift += 7;
    } while ((digit & 0x80) != 0);
    in.readNBytes(length);
    return first;
  }
}
