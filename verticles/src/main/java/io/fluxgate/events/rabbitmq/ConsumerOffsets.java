package io.fluxgate.events.rabbitmq;

import io.fluxgate.sql.Database;
import io.vertx.core.Future;
import io.vertx.sqlclient.Tuple;

/** The offset each durable consumer reads next from each stream queue, kept in {@code stream_queue_offsets}. */
final class ConsumerOffsets {

  private final Database db;
  private final String select;
  private final String insert;
  private final String update;

  ConsumerOffsets(Database db) {
    this.db = db;
    this.select = db.sql("SELECT next_offset FROM stream_queue_offsets WHERE queue = ? AND consumer = ?");
    this.insert = db.sql("INSERT INTO stream_queue_offsets (queue, consumer, next_offset) SELECT ?, ?, CAST(? AS BIGINT)"
        + " WHERE NOT EXISTS (SELECT 1 FROM stream_queue_offsets WHERE queue = ? AND consumer = ?)");
    this.update = db.sql("UPDATE stream_queue_offsets SET next_offset = ? WHERE queue = ? AND consumer = ?");
  }

  /** The stored offset, or null for a consumer never seen on this queue. */
  Future<Long> find(String queue, String consumer) {
    return db.inTransaction(conn -> conn.preparedQuery(select).execute(Tuple.of(queue, consumer)))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getLong(0));
  }

  /** Records where a new consumer starts, unless another instance recorded it first; answers the stored offset. */
  Future<Long> create(String queue, String consumer, long next) {
    return db.inTransaction(conn -> conn.preparedQuery(insert).execute(Tuple.of(queue, consumer, next, queue, consumer)))
        .compose(v -> find(queue, consumer));
  }

  Future<Void> save(String queue, String consumer, long next) {
    // Through a transaction as every statement here: the JDBC client leaves connections in manual-commit mode.
    return db.inTransaction(conn -> conn.preparedQuery(update).execute(Tuple.of(next, queue, consumer))).mapEmpty();
  }
}
