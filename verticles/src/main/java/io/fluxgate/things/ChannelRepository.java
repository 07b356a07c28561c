package io.fluxgate.things;

import io.fluxgate.api.MetadataFilter;
import io.fluxgate.sql.ConcurrentChange;
import io.fluxgate.sql.Database;
import io.fluxgate.sql.Page;
import io.fluxgate.sql.Where;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/** SQL of the channels table. */
public final class ChannelRepository {

  private static final String COLUMNS = "id, name, description, owner, parent_id, metadata, status, path, level,"
      + " created_at, updated_at, updated_by, revision";

  private final Database db;
  private final String insert;
  private final String byId;
  private final String update;
  private final String delete;
  private final String children;
  private final String index;

  public ChannelRepository(Database db) {
    this.db = db;
    this.insert = db.sql("INSERT INTO channels (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    this.byId = db.sql("SELECT " + COLUMNS + " FROM channels WHERE id = ?");
    this.update = db.sql("UPDATE channels SET name = ?, description = ?, metadata = ?, status = ?, updated_at = ?,"
        + " updated_by = ?, revision = ? WHERE id = ? AND revision = ?");
    this.delete = db.sql("DELETE FROM channels WHERE id = ?");
    this.children = db.sql("SELECT COUNT(*) AS n FROM channels WHERE parent_id = ?");
    this.index = "SELECT id, status, revision FROM channels";
  }

  public Future<Void> insert(SqlConnection conn, List<Channel> channels) {
    List<Tuple> rows = new ArrayList<>(channels.size());
    for (Channel c : channels) {
      rows.add(Tuple.from(new Object[] {c.id(), c.name(), c.description(), c.owner(), c.parentId(),
          c.metadata().encode(), c.status(), c.path(), c.level(), c.createdAt(), c.updatedAt(), c.updatedBy(),
          c.revision()}));
    }
    return conn.preparedQuery(insert).executeBatch(rows).mapEmpty();
  }

  public Future<Void> update(SqlConnection conn, Channel c) {
    return conn.preparedQuery(update).execute(Tuple.from(new Object[] {c.name(), c.description(),
            c.metadata().encode(), c.status(), c.updatedAt(), c.updatedBy(), c.revision(), c.id(), c.revision() - 1}))
        .compose(rows -> rows.rowCount() == 1 ? Future.succeededFuture()
            : Future.failedFuture(new ConcurrentChange("channel " + c.id())));
  }

  public Future<Void> delete(SqlConnection conn, String id) {
    return conn.preparedQuery(delete).execute(Tuple.of(id)).mapEmpty();
  }

  /** How many channels have {@code id} as their parent. */
  public Future<Long> childCount(SqlConnection conn, String id) {
    return conn.preparedQuery(children).execute(Tuple.of(id)).map(rows -> rows.iterator().next().getLong("n"));
  }

  public Future<Channel> findById(String id) {
    return db.inTransaction(conn -> conn.preparedQuery(byId).execute(Tuple.of(id)))
        .map(rows -> rows.size() == 0 ? null : channel(rows.iterator().next()));
  }

  /** Which channels a list asks for; empty strings mean "any". */
  public record ChannelFilter(String owner, String name, String status, MetadataFilter metadata) {}

  public Future<Page<Channel>> list(ChannelFilter filter, int offset, int limit) {
    Where where = new Where().equal("owner", filter.owner()).contains("name", filter.name())
        .status(filter.status()).likeAll("metadata", filter.metadata().candidatePatterns());
    return db.page(COLUMNS, "FROM channels" + where.sql(), "created_at, id", where.args(), offset, limit,
        ChannelRepository::channel,
        filter.metadata().isEmpty() ? null : channel -> filter.metadata().matches(channel.metadata()));
  }

  /** The channels {@code thingId} is connected to. */
  public Future<Page<Channel>> listByThing(String thingId, int offset, int limit) {
    String select = "ch.id, ch.name, ch.description, ch.owner, ch.parent_id, ch.metadata, ch.status, ch.path,"
        + " ch.level, ch.created_at, ch.updated_at, ch.updated_by, ch.revision";
    return db.page(select, "FROM channels ch JOIN connections c ON c.channel_id = ch.id WHERE c.thing_id = ?",
        "ch.created_at, ch.id", List.of(thingId), offset, limit, ChannelRepository::channel, null);
  }

  /** Every channel's id and status, for the access index. */
  public Future<List<Row>> indexRows() {
    return db.inTransaction(conn -> conn.query(index).execute()).map(rows -> {
      List<Row> all = new ArrayList<>(rows.size());
      rows.forEach(all::add);
      return all;
    });
  }

  /** Every row, for comparing the database with state rebuilt from the events. */
  public Future<List<Channel>> all() {
    return db.inTransaction(conn -> conn.query("SELECT " + COLUMNS + " FROM channels").execute()).map(rows -> {
      List<Channel> all = new ArrayList<>(rows.size());
      rows.forEach(row -> all.add(channel(row)));
      return all;
    });
  }

  private static Channel channel(Row row) {
    return new Channel(
        row.getString("id"),
        row.getString("name"),
        row.getString("description"),
        row.getString("owner"),
        row.getString("parent_id"),
        new JsonObject(row.getString("metadata")),
        row.getString("status"),
        row.getString("path"),
        row.getInteger("level"),
        row.getString("created_at"),
        row.getString("updated_at"),
        row.getString("updated_by"),
        row.getLong("revision"));
  }
}
