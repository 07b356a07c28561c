package io.fluxgate.events;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.sql.Database;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The outbox table: events written in their command's transaction and kept until the store has them. */
public final class Outbox {

  private final Database db;
  private final String insert;
  private final String delete;
  private final String selectDue;
  private final String count;

  public Outbox(Database db) {
    this.db = db;
    this.insert = db.sql("INSERT INTO event_outbox (event_id, stream, body, created_at) VALUES (?, ?, ?, ?)");
    this.delete = db.sql("DELETE FROM event_outbox WHERE event_id = ?");
    this.selectDue = db.sql("SELECT event_id, stream, body FROM event_outbox WHERE created_at < ? ORDER BY seq LIMIT ?");
    this.count = "SELECT COUNT(*) AS n FROM event_outbox";
  }

  /** Writes {@code events} on {@code conn}, inside the caller's transaction. */
  public Future<Void> record(SqlConnection conn, List<DomainEvent> events) {
    if (events.isEmpty()) {
      return Future.succeededFuture();
    }
    long now = DomainEvent.nowNanos();
    List<Tuple> rows = new ArrayList<>(events.size());
    for (DomainEvent e : events) {
      rows.add(Tuple.of(e.eventId(), e.stream(), new String(e.toBytes(), StandardCharsets.UTF_8), now));
    }
    return conn.preparedQuery(insert).executeBatch(rows).mapEmpty();
  }

  /** Removes the rows of events the store has acknowledged. */
  public Future<Void> clear(List<String> eventIds) {
    List<Tuple> rows = new ArrayList<>(eventIds.size());
    eventIds.forEach(id -> rows.add(Tuple.of(id)));
    return db.inTransaction(conn -> conn.preparedQuery(delete).executeBatch(rows)).mapEmpty();
  }

  /** The oldest events written before {@code createdBeforeNanos}, oldest first. */
  public Future<List<DomainEvent>> due(long createdBeforeNanos, int limit) {
    return db.inTransaction(conn -> conn.preparedQuery(selectDue).execute(Tuple.of(createdBeforeNanos, limit)))
        .map(rows -> {
          List<DomainEvent> events = new ArrayList<>(rows.size());
          for (Row row : rows) {
            events.add(DomainEvent.fromJson(row.getString("stream"), new JsonObject(row.getString("body"))));
          }
          return events;
        });
  }

  /** How many events wait for the store. */
  public Future<Long> size() {
    return db.inTransaction(conn -> conn.query(count).execute()).map(rows -> rows.iterator().next().getLong("n"));
  }
}
