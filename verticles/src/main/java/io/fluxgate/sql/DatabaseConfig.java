package io.fluxgate.sql;

import io.fluxgate.config.ConfigException;
import io.fluxgate.config.ConfigTree;
import io.fluxgate.config.StoredKey;
import io.fluxgate.config.UrlCredentials;
import java.nio.file.Path;

/**
 * Where state lives: {@code url} empty means the embedded H2 file under the data directory, {@code postgresql://…}
 * means PostgreSQL, and {@code jdbc:h2:…} any other H2 database (tests use in-memory ones).
 */
public record DatabaseConfig(String url, Path dataDir, String schema, int poolSize) {

  public DatabaseConfig {
    if (!url.isEmpty() && !isPostgres(url) && !url.startsWith("jdbc:h2:")) {
      throw new ConfigException("invalid configuration db.url (FG_DB_URL) = '" + UrlCredentials.hide(url)
          + "': expected empty (embedded H2), postgresql://user:pass@host:5432/db or jdbc:h2:…");
    }
    if (!schema.isEmpty() && !schema.matches("[a-z_][a-z0-9_]{0,62}")) {
      throw new ConfigException("invalid configuration db.schema (FG_DB_SCHEMA) = '" + schema
          + "': expected a lower-case SQL identifier");
    }
  }

  public static DatabaseConfig from(ConfigTree tree, Path dataDir) {
    var db = tree.section("db");
    return new DatabaseConfig(
        db.string("url", ""), dataDir, db.string("schema", ""), db.integer("pool_size", 8, 1, 512));
  }

  public boolean isPostgres() {
    return isPostgres(url);
  }

  private static boolean isPostgres(String url) {
    return url.startsWith("postgresql://") || url.startsWith("postgres://");
  }

  /** The JDBC URL of an H2 database; the embedded one runs in PostgreSQL mode so one SQL dialect serves both. */
  String h2JdbcUrl() {
    String base = url.isEmpty()
        // WRITE_DELAY=0: a commit reaches the file before it is answered (H2 keeps 500 ms in memory by default).
        ? "jdbc:h2:file:" + dataDir.toAbsolutePath().normalize().resolve("fluxgate") + ";AUTO_SERVER=TRUE;WRITE_DELAY=0"
        : url;
    return base + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH";
  }

  /** Whether this is the embedded H2 file under the data directory (no {@code db.url}). */
  public boolean isEmbedded() {
    return url.isEmpty();
  }

  /**
   * The H2 password: for the embedded file a generated one kept in {@code <data dir>/h2.password} (0600), since its
   * AUTO_SERVER port answers other processes; for any other H2 URL the URL's own affair (empty).
   */
  String h2Password() {
    return isEmbedded() ? StoredKey.readOrCreate(dataDir, H2_PASSWORD_FILE) : "";
  }

  /** Where the embedded H2's generated password is kept. */
  public static final String H2_PASSWORD_FILE = "h2.password";

  /** The URL with any password blanked, for messages and logs. */
  public String describe() {
    return url.isEmpty() ? "embedded H2 " + h2JdbcUrl() : UrlCredentials.hide(url);
  }

}
