package io.fluxgate.things;

import io.fluxgate.sql.ConcurrentChange;
import io.fluxgate.sql.Database;
import io.fluxgate.sql.Page;
import io.fluxgate.sql.PairRevisions;
import io.fluxgate.sql.Where;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** SQL of the connections table: which thing may use which channel, and how. */
public final class ConnectionRepository {

  private static final String COLUMNS =
      "thing_id, channel_id, actions, owner, created_at, updated_at, updated_by, revision";

  private final Database db;
  private final String insert;
  private final String byPair;
  private final String update;
  private final String delete;
  private final String byThing;
  private final String byChannel;
  private final String deleteByThing;
  private final String deleteByChannel;
  private final PairRevisions revisions;

  public ConnectionRepository(Database db) {
    this.db = db;
    this.revisions = new PairRevisions(db, PairRevisions.CONNECTION);
    this.insert = db.sql("INSERT INTO connections (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    this.byPair = db.sql("SELECT " + COLUMNS + " FROM connections WHERE thing_id = ? AND channel_id = ?");
    this.update = db.sql("UPDATE connections SET actions = ?, updated_at = ?, updated_by = ?, revision = ?"
        + " WHERE thing_id = ? AND channel_id = ? AND revision = ?");
    this.delete = db.sql("DELETE FROM connections WHERE thing_id = ? AND channel_id = ?");
    this.byThing = db.sql("SELECT " + COLUMNS + " FROM connections WHERE thing_id = ?");
    this.byChannel = db.sql("SELECT " + COLUMNS + " FROM connections WHERE channel_id = ?");
    this.deleteByThing = db.sql("DELETE FROM connections WHERE thing_id = ?");
    this.deleteByChannel = db.sql("DELETE FROM connections WHERE channel_id = ?");
  }

  public Future<Void> insert(SqlConnection conn, List<Connection> connections) {
    List<Tuple> rows = new ArrayList<>(connections.size());
    for (Connection c : connections) {
      rows.add(Tuple.from(new Object[] {c.thingId(), c.channelId(), new JsonArray(c.actions()).encode(), c.owner(),
          c.createdAt(), c.updatedAt(), c.updatedBy(), c.revision()}));
    }
    return conn.preparedQuery(insert).executeBatch(rows).mapEmpty();
  }

  public Future<Void> update(SqlConnection conn, Connection c) {
    return conn.preparedQuery(update).execute(Tuple.from(new Object[] {new JsonArray(c.actions()).encode(),
            c.updatedAt(), c.updatedBy(), c.revision(), c.thingId(), c.channelId(), c.revision() - 1}))
        .compose(rows -> rows.rowCount() == 1 ? Future.succeededFuture()
            : Future.failedFuture(new ConcurrentChange("connection " + c.thingId() + "/" + c.channelId())));
  }

  /** The last revisions of {@code thingId}'s removed connections, by channel: a reconnect continues from there. */
  public Future<Map<String, Long>> removedRevisions(SqlConnection conn, String thingId) {
    return revisions.ofSubject(conn, thingId);
  }

  /** Removes one connection, keeping the revision of its removal (one after its own) for a later reconnect. */
  public Future<Void> delete(SqlConnection conn, Connection c) {
    return conn.preparedQuery(delete).execute(Tuple.of(c.thingId(), c.channelId()))
        .compose(rows -> rows.rowCount() == 1
            ? revisions.retire(conn, c.thingId(), c.channelId(), c.revision() + 1)
            : Future.failedFuture(new ConcurrentChange("connection " + c.thingId() + "/" + c.channelId())));
  }

  /** The connection of a pair, read on {@code conn} (inside a transaction), or null. */
  public Future<Connection> find(SqlConnection conn, String thingId, String channelId) {
    return conn.preparedQuery(byPair).execute(Tuple.of(thingId, channelId))
        .map(rows -> rows.size() == 0 ? null : connection(rows.iterator().next()));
  }

  public Future<Connection> find(String thingId, String channelId) {
    return db.inTransaction(conn -> find(conn, thingId, channelId));
  }

  /** Removes every connection of a thing and answers what they were. */
  public Future<List<Connection>> deleteOfThing(SqlConnection conn, String thingId) {
    return removeAll(conn, byThing, deleteByThing, thingId)
        .compose(removed -> revisions.forgetSubject(conn, thingId).map(removed));
  }

  /** Removes every connection of a channel and answers what they were. */
  public Future<List<Connection>> deleteOfChannel(SqlConnection conn, String channelId) {
    return removeAll(conn, byChannel, deleteByChannel, channelId)
        .compose(removed -> revisions.forgetObject(conn, channelId).map(removed));
  }

  private static Future<List<Connection>> removeAll(SqlConnection conn, String select, String delete, String id) {
    return conn.preparedQuery(select).execute(Tuple.of(id)).compose(rows -> {
      List<Connection> removed = new ArrayList<>();
      rows.forEach(row -> removed.add(connection(row)));
      return conn.preparedQuery(delete).execute(Tuple.of(id)).map(removed);
    });
  }

  /** Which connections a policy list asks for; empty strings mean "any". */
  public record ConnectionFilter(String owner, String thingId, String channelId, String action) {}

  public Future<Page<Connection>> list(ConnectionFilter filter, int offset, int limit) {
    Where where = new Where().equal("owner", filter.owner()).equal("thing_id", filter.thingId())
        .equal("channel_id", filter.channelId())
        .holdsAll("actions", filter.action().isEmpty() ? List.of() : List.of(filter.action()));
    return db.page(COLUMNS, "FROM connections" + where.sql(), "created_at, thing_id, channel_id", where.args(),
        offset, limit,
        ConnectionRepository::connection, null);
  }

  /** Every connection, for the access index. */
  public Future<List<Connection>> all() {
    return db.inTransaction(conn -> conn.query("SELECT " + COLUMNS + " FROM connections").execute()).map(rows -> {
      List<Connection> all = new ArrayList<>(rows.size());
      rows.forEach(row -> all.add(connection(row)));
      return all;
    });
  }

  private static Connection connection(Row row) {
    List<String> actions = new ArrayList<>();
    new JsonArray(row.getString("actions")).forEach(a -> actions.add((String) a));
    return new Connection(row.getString("thing_id"), row.getString("channel_id"), List.copyOf(actions),
        row.getString("owner"), row.getString("created_at"), row.getString("updated_at"), row.getString("updated_by"),
        row.getLong("revision"));
  }
}
