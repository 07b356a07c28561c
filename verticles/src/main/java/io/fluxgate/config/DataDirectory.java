package io.fluxgate.config;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** The node's data directory and the secrets in it: readable by the node's own user only, from the start. */
public final class DataDirectory {

  private DataDirectory() {}

  /** Creates {@code dir} (and its parents) if missing, the directory itself as {@code rwx------}. */
  public static void create(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    if (dir.toAbsolutePath().getParent() != null) {
      Files.createDirectories(dir.toAbsolutePath().getParent());
    }
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system: its own protection applies.
      Files.createDirectories(dir);
    } catch (FileAlreadyExistsException e) {
      // Another node or command created it meanwhile.
    }
  }

  /** Writes a new file holding {@code secret}, created {@code rw-------} before a byte is written. */
  public static void writeSecret(Path file, String secret) throws IOException {
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    }
    Files.writeString(file, secret);
  }
}
