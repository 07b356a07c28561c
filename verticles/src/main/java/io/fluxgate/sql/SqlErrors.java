package io.fluxgate.sql;

import io.vertx.pgclient.PgException;
import java.sql.SQLException;

/** Recognises database errors the same way on PostgreSQL and on H2. */
public final class SqlErrors {

  private static final String UNIQUE_VIOLATION = "23505";

  private SqlErrors() {}

  /** Whether {@code error} (or a cause of it) is a unique-constraint violation. */
  public static boolean isUniqueViolation(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof PgException pg && UNIQUE_VIOLATION.equals(pg.getSqlState())) {
        return true;
      }
      if (t instanceof SQLException sql && UNIQUE_VIOLATION.equals(sql.getSQLState())) {
        return true;
      }
    }
    return false;
  }
}
