package io.fluxgate.things;

import io.fluxgate.api.MetadataFilter;
import io.fluxgate.sql.ConcurrentChange;
import io.fluxgate.sql.Database;
import io.fluxgate.sql.Page;
import io.fluxgate.sql.Where;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/** SQL of the things table. The key goes in sealed and hashed and comes out sealed. */
public final class ThingRepository {

  private static final String COLUMNS =
      "id, name, identity, tags, owner, metadata, status, created_at, updated_at, updated_by, revision";

  private final Database db;
  private final String insert;
  private final String byId;
  private final String update;
  private final String updateKey;
  private final String delete;
  private final String index;

  public ThingRepository(Database db) {
    this.db = db;
    this.insert = db.sql("INSERT INTO things (" + COLUMNS + ", key_hash, key_cipher)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    this.byId = db.sql("SELECT " + COLUMNS + ", key_hash, key_cipher FROM things WHERE id = ?");
    this.update = db.sql("UPDATE things SET name = ?, tags = ?, owner = ?, metadata = ?, status = ?, updated_at = ?,"
        + " updated_by = ?, revision = ? WHERE id = ? AND revision = ?");
    this.updateKey = db.sql("UPDATE things SET key_hash = ?, key_cipher = ?, updated_at = ?, updated_by = ?,"
        + " revision = ? WHERE id = ? AND revision = ?");
    this.delete = db.sql("DELETE FROM things WHERE id = ?");
    this.index = "SELECT id, key_hash, status, revision FROM things";
  }

  /** A thing with its key as stored: the keyed hash and the sealed key. */
  public record Stored(Thing thing, String keyHash, String keyCipher) {}

  /** Inserts things with their stored keys in one batch. */
  public Future<Void> insert(SqlConnection conn, List<Stored> things) {
    List<Tuple> rows = new ArrayList<>(things.size());
    for (Stored s : things) {
      Thing t = s.thing();
      rows.add(Tuple.from(new Object[] {t.id(), t.name(), t.identity().isEmpty() ? null : t.identity(),
          t.tags().encode(), t.owner(), t.metadata().encode(), t.status(), t.createdAt(), t.updatedAt(), t.updatedBy(),
          t.revision(), s.keyHash(), s.keyCipher()}));
    }
    return conn.preparedQuery(insert).executeBatch(rows).mapEmpty();
  }

  /** Writes {@code t} over the stored revision before it; fails when someone else changed it meanwhile. */
  public Future<Void> update(SqlConnection conn, Thing t) {
    return conn.preparedQuery(update).execute(Tuple.from(new Object[] {t.name(), t.tags().encode(), t.owner(),
            t.metadata().encode(), t.status(), t.updatedAt(), t.updatedBy(), t.revision(), t.id(), t.revision() - 1}))
        .compose(rows -> changedOne(rows.rowCount(), t.id()));
  }

  /** Stores a new key (hash and seal) with the change's revision. */
  public Future<Void> updateKey(SqlConnection conn, Thing t, String keyHash, String keyCipher) {
    return conn.preparedQuery(updateKey).execute(Tuple.of(keyHash, keyCipher, t.updatedAt(), t.updatedBy(),
            t.revision(), t.id(), t.revision() - 1))
        .compose(rows -> changedOne(rows.rowCount(), t.id()));
  }

  private static Future<Void> changedOne(int rowCount, String id) {
    return rowCount == 1 ? Future.succeededFuture() : Future.failedFuture(new ConcurrentChange("thing " + id));
  }

  public Future<Void> delete(SqlConnection conn, String id) {
    return conn.preparedQuery(delete).execute(Tuple.of(id)).mapEmpty();
  }

  public Future<Stored> findById(String id) {
    return db.inTransaction(conn -> conn.preparedQuery(byId).execute(Tuple.of(id)))
        .map(rows -> rows.size() == 0 ? null : stored(rows.iterator().next()));
  }

  /** Which things a list asks for; empty strings and lists mean "any". */
  public record ThingFilter(String owner, String name, String status, List<String> tags, MetadataFilter metadata) {}

  public Future<Page<Thing>> list(ThingFilter filter, int offset, int limit) {
    Where where = new Where().equal("owner", filter.owner()).contains("name", filter.name())
        .status(filter.status()).holdsAll("tags", filter.tags())
        .likeAll("metadata", filter.metadata().candidatePatterns());
    return db.page(COLUMNS, "FROM things" + where.sql(), "created_at, id", where.args(), offset, limit,
        ThingRepository::thing,
        filter.metadata().isEmpty() ? null : thing -> filter.metadata().matches(thing.metadata()));
  }

  /** The things connected to {@code channelId} ({@code connected}) or, of those {@code owner} owns, the others. */
  public Future<Page<Thing>> listByChannel(String channelId, boolean connected, String owner, int offset, int limit) {
    String select = "t.id, t.name, t.identity, t.tags, t.owner, t.metadata, t.status, t.created_at, t.updated_at,"
        + " t.updated_by, t.revision";
    String linked = "SELECT c.thing_id FROM connections c WHERE c.channel_id = ?";
    List<Object> args = new ArrayList<>(List.of(channelId));
    String from = connected ? "FROM things t WHERE t.id IN (" + linked + ")"
        : "FROM things t WHERE t.id NOT IN (" + linked + ")";
    if (!owner.isEmpty()) {
      from += " AND t.owner = ?";
      args.add(owner);
    }
    return db.page(select, from, "t.created_at, t.id", args, offset, limit, ThingRepository::thing, null);
  }

  /** Every thing's id, key hash, status and revision, for the access index. */
  public Future<List<Row>> indexRows() {
    return db.inTransaction(conn -> conn.query(index).execute()).map(rows -> {
      List<Row> all = new ArrayList<>(rows.size());
      rows.forEach(all::add);
      return all;
    });
  }

  private static Stored stored(Row row) {
    return new Stored(thing(row), row.getString("key_hash"), row.getString("key_cipher"));
  }

  /** Every row, for comparing the database with state rebuilt from the events. */
  public Future<List<Thing>> all() {
    return db.inTransaction(conn -> conn.query("SELECT " + COLUMNS + " FROM things").execute()).map(rows -> {
      List<Thing> all = new ArrayList<>(rows.size());
      rows.forEach(row -> all.add(thing(row)));
      return all;
    });
  }

  private static Thing thing(Row row) {
    String identity = row.getString("identity");
    return new Thing(
        row.getString("id"),
        row.getString("name"),
        identity == null ? "" : identity,
        new JsonArray(row.getString("tags")),
        row.getString("owner"),
        new JsonObject(row.getString("metadata")),
        row.getString("status"),
        row.getString("created_at"),
        row.getString("updated_at"),
        row.getString("updated_by"),
        row.getLong("revision"));
  }
}
