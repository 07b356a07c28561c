package io.fluxgate.users;

import io.fluxgate.api.MetadataFilter;
import io.fluxgate.sql.Database;
import io.fluxgate.sql.Page;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/** SQL of the groups table. */
public final class GroupRepository {

  private static final String COLUMNS = "id, name, description, owner_id, parent_id, metadata, status, path, level,"
      + " created_at, updated_at, updated_by, revision";

  private final Database db;
  private final String insert;
  private final String byId;
  private final String update;

  public GroupRepository(Database db) {
    this.db = db;
    this.insert = db.sql("INSERT INTO user_groups (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    this.byId = db.sql("SELECT " + COLUMNS + " FROM user_groups WHERE id = ?");
    this.update = db.sql("UPDATE user_groups SET name = ?, description = ?, metadata = ?, status = ?,"
        + " updated_at = ?, updated_by = ?, revision = ? WHERE id = ? AND revision = ?");
  }

  public Future<Void> insert(SqlConnection conn, Group g) {
    return conn.preparedQuery(insert).execute(Tuple.from(new Object[] {g.id(), g.name(), g.description(),
        g.ownerId(), g.parentId(), g.metadata().encode(), g.status(), g.path(), g.level(), g.createdAt(),
        g.updatedAt(), g.updatedBy(), g.revision()})).mapEmpty();
  }

  public Future<Void> update(SqlConnection conn, Group g) {
    return conn.preparedQuery(update).execute(Tuple.from(new Object[] {g.name(), g.description(),
            g.metadata().encode(), g.status(), g.updatedAt(), g.updatedBy(), g.revision(), g.id(), g.revision() - 1}))
        .compose(rows -> rows.rowCount() == 1 ? Future.succeededFuture()
            : Future.failedFuture(new io.fluxgate.sql.ConcurrentChange("group " + g.id())));
  }

  public Future<Group> findById(String id) {
    return db.inTransaction(conn -> conn.preparedQuery(byId).execute(Tuple.of(id)))
        .map(rows -> rows.size() == 0 ? null : group(rows.iterator().next()));
  }

  /**
   * Which groups a list asks for; empty strings mean "any", {@code maxLevel} 0 any depth, and {@code member} a user
   * holding a policy on each.
   */
  public record GroupFilter(String ownerId, String parentId, String name, String status, String pathPrefix,
      int maxLevel, List<String> ids, MetadataFilter metadata, String member) {}

  public Future<Page<Group>> list(GroupFilter filter, int offset, int limit) {
    StringBuilder where = new StringBuilder(" WHERE 1 = 1");
    List<Object> args = new ArrayList<>();
    if (!filter.ownerId().isEmpty()) {
      where.append(" AND owner_id = ?");
      args.add(filter.ownerId());
    }
    if (!filter.parentId().isEmpty()) {
      where.append(" AND parent_id = ?");
      args.add(filter.parentId());
    }
    if (!filter.name().isEmpty()) {
      where.append(" AND LOWER(name) LIKE ? ESCAPE '!'");
      args.add("%" + Database.likeLiteral(filter.name().toLowerCase(java.util.Locale.ROOT)) + "%");
    }
    if (!filter.status().equals("all")) {
      where.append(" AND status = ?");
      args.add(filter.status());
    }
    if (!filter.pathPrefix().isEmpty()) {
      where.append(" AND path LIKE ?");
      args.add(filter.pathPrefix() + ".%");
    }
    if (filter.maxLevel() > 0) {
      where.append(" AND level <= ?");
      args.add(filter.maxLevel());
    }
    if (!filter.member().isEmpty()) {
      where.append(" AND id IN (SELECT object FROM user_policies WHERE subject = ?)");
      args.add(filter.member());
    }
    if (filter.ids() != null) {
      if (filter.ids().isEmpty()) {
        return Future.succeededFuture(new Page<>(List.of(), 0));
      }
      where.append(" AND id IN (").append(String.join(", ", java.util.Collections.nCopies(filter.ids().size(), "?")))
          .append(")");
      args.addAll(filter.ids());
    }
    for (String pattern : filter.metadata().candidatePatterns()) {
      where.append(" AND metadata LIKE ? ESCAPE '!'");
      args.add(pattern);
    }
    return db.page(COLUMNS, "FROM user_groups" + where, "level, created_at, id", args, offset, limit,
        GroupRepository::group,
        filter.metadata().isEmpty() ? null : group -> filter.metadata().matches(group.metadata()));
  }

  /** Every row, for comparing the database with state rebuilt from the events. */
  public Future<List<Group>> all() {
    return db.inTransaction(conn -> conn.query("SELECT " + COLUMNS + " FROM user_groups").execute()).map(rows -> {
      List<Group> all = new ArrayList<>(rows.size());
      rows.forEach(row -> all.add(group(row)));
      return all;
    });
  }

  private static Group group(Row row) {
    return new Group(row.getString("id"), row.getString("name"), row.getString("description"),
        row.getString("owner_id"), row.getString("parent_id"), new JsonObject(row.getString("metadata")),
        row.getString("status"), row.getString("path"), row.getInteger("level"), row.getString("created_at"),
        row.getString("updated_at"), row.getString("updated_by"), row.getLong("revision"));
  }
}
