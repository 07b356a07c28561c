package io.fluxgate.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fluxgate.testing.NodeProcess;
import io.fluxgate.testing.TestStores;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded database of a running node is for the node's own user: loopback, a password, private files. */
class EmbeddedDatabaseExposureTest {

  @TempDir
  Path dir;

  @Test
  void theEmbeddedDatabaseAnswersOnLoopbackOnlyWithTheGeneratedPasswordAndItsFilesArePrivate() throws Exception {
    Path dataDir = dir.resolve("data");
    try (NodeProcess node = NodeProcess.serve(NodeProcess.env(dataDir, Map.of()))) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir))).isEqualTo("rwx------");
      for (String secret : new String[] {"h2.password", "users-token.key", "things.key"}) {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir.resolve(secret))))
            .as(secret).isEqualTo("rw-------");
      }

      Properties lock = new Properties();
      try (var in = Files.newInputStream(dataDir.resolve("fluxgate.lock.db"))) {
        lock.load(in);
      }
      int port = Integer.parseInt(lock.getProperty("server").replaceAll(".*:", ""));
      // As the event tools of another process connect: through the running node's AUTO_SERVER port.
      String url = "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("fluxgate") + ";AUTO_SERVER=TRUE";
      assertThatThrownBy(() -> DriverManager.getConnection(url, "sa", "")).as("the empty password of old")
          .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getErrorCode()).isEqualTo(28000));
      try (var conn = DriverManager.getConnection(url, "sa", TestStores.embeddedPassword(dataDir))) {
        assertThat(conn.isValid(5)).isTrue();
      }

      InetAddress outside = nonLoopbackAddress();
      if (outside != null) {
        try (Socket socket = new Socket()) {
          assertThatThrownBy(() -> socket.connect(new InetSocketAddress(outside, port), 2_000))
              .as("the database port on " + outside).isInstanceOf(java.io.IOException.class);
        }
      }
    }
  }

  private static InetAddress nonLoopbackAddress() throws Exception {
    for (NetworkInterface nic : java.util.Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (nic.isUp() && !nic.isLoopback()) {
        for (InetAddress address : java.util.Collections.list(nic.getInetAddresses())) {
          if (address instanceof java.net.Inet4Address) {
            return address;
          }
        }
      }
    }
    return null;
  }
}
