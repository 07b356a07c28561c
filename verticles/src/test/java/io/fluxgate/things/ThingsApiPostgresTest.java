package io.fluxgate.things;

import io.fluxgate.testing.StoreBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The things API on the real PostgreSQL. */
class ThingsApiPostgresTest extends ThingsApiContract {

  @Override
  StoreBackend backend() {
    return StoreBackend.SQL_ON_POSTGRES;
  }

  @Override
  String databaseDump() {
    try {
      Process dump = new ProcessBuilder("pg_dump", "-h", "127.0.0.1", "-U", "postgres", "-n", fx.dbConfig.schema(),
          "test").redirectErrorStream(true).start();
      String text = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (dump.waitFor() != 0) {
        throw new IllegalStateException("pg_dump failed: " + text);
      }
      return text;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
