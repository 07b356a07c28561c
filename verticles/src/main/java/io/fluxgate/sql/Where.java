package io.fluxgate.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The WHERE clause of a listing, built from optional filters; an empty filter value adds nothing. */
public final class Where {

  private final StringBuilder sql = new StringBuilder(" WHERE 1 = 1");
  private final List<Object> args = new ArrayList<>();

  public Where equal(String column, String value) {
    if (!value.isEmpty()) {
      sql.append(" AND ").append(column).append(" = ?");
      args.add(value);
    }
    return this;
  }

  /** {@code column} contains {@code text}, ignoring case, wildcards in {@code text} taken literally. */
  public Where contains(String column, String text) {
    if (!text.isEmpty()) {
      sql.append(" AND LOWER(").append(column).append(") LIKE ? ESCAPE '!'");
      args.add("%" + Database.likeLiteral(text.toLowerCase(Locale.ROOT)) + "%");
    }
    return this;
  }

  /** The status filter of the APIs: a status, or {@code all} for any. */
  public Where status(String status) {
    return status.equals("all") ? this : equal("status", status);
  }

  /** {@code column} holds a JSON array (stored compact) with every one of {@code values}. */
  public Where holdsAll(String column, List<String> values) {
    for (String value : values) {
      like(column, Database.containingJsonString(value, ""));
    }
    return this;
  }

  /** {@code column} matches every LIKE pattern (written with {@code ESCAPE '!'}). */
  public Where likeAll(String column, List<String> patterns) {
    patterns.forEach(pattern -> like(column, pattern));
    return this;
  }

  private void like(String column, String pattern) {
    sql.append(" AND ").append(column).append(" LIKE ? ESCAPE '!'");
    args.add(pattern);
  }

  /** Any other condition, with its arguments in order. */
  public Where and(String condition, Object... values) {
    sql.append(" AND ").append(condition);
    args.addAll(List.of(values));
    return this;
  }

  public String sql() {
    return sql.toString();
  }

  public List<Object> args() {
    return args;
  }
}
