package io.fluxgate.bootstrap;

import io.fluxgate.config.SecretBox;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SQL of bootstrap configs, their channels, and the revisions the things-stream consumer applied. Secrets go in
 * sealed (and the external key hashed) and come out opened.
 */
public final class BootstrapRepository {

  private static final String COLUMNS = "thing_id, owner, name, external_id, external_key_hash, external_key_cipher,"
      + " thing_key_cipher, content, client_cert, client_key_cipher, ca_cert, state, created_at, revision";

  private final Database db;
  private final SecretBox secrets;
  private final String insert;
  private final String byId;
  private final String byExternalId;
  private final String externalIdTaken;
  private final String update;
  private final String delete;
  private final String deleteChannels;
  private final String channelsOf;
  private final String insertChannel;
  private final String deleteChannel;
  private final String deleteChannelEverywhere;
  private final String configsWithChannel;
  private final String nextPosition;
  private final String channelRevision;
  private final String insertChannelInfo;
  private final String updateChannelInfo;
  private final String deleteChannelInfo;
  private final String applied;
  private final String insertApplied;
  private final String updateApplied;
  private final String touch;
  private final String all;
  private final String allChannels;
  private final String allChannelCopies;

  public BootstrapRepository(Database db, SecretBox secrets) {
    this.db = db;
    this.secrets = secrets;
    this.insert = db.sql("INSERT INTO bootstrap_configs (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
        + " ?, ?)");
    this.byId = db.sql("SELECT " + COLUMNS + " FROM bootstrap_configs WHERE thing_id = ?");
    this.byExternalId = db.sql("SELECT " + COLUMNS + " FROM bootstrap_configs WHERE external_id = ?");
    this.externalIdTaken = db.sql("SELECT COUNT(*) AS n FROM bootstrap_configs WHERE external_id = ?");
    this.update = db.sql("UPDATE bootstrap_configs SET name = ?, content = ?, client_cert = ?, client_key_cipher = ?,"
        + " ca_cert = ?, state = ?, revision = ? WHERE thing_id = ? AND revision = ?");
    this.delete = db.sql("DELETE FROM bootstrap_configs WHERE thing_id = ?");
    this.deleteChannels = db.sql("DELETE FROM bootstrap_config_channels WHERE thing_id = ?");
    this.channelsOf = db.sql("SELECT c.channel_id, i.name, i.metadata FROM bootstrap_config_channels c"
        + " LEFT JOIN bootstrap_channels i ON i.id = c.channel_id WHERE c.thing_id = ? ORDER BY c.position");
    this.insertChannel = db.sql("INSERT INTO bootstrap_config_channels (thing_id, channel_id, position)"
        + " VALUES (?, ?, ?)");
    this.deleteChannel = db.sql("DELETE FROM bootstrap_config_channels WHERE thing_id = ? AND channel_id = ?");
    this.deleteChannelEverywhere = db.sql("DELETE FROM bootstrap_config_channels WHERE channel_id = ?");
    this.configsWithChannel = db.sql("SELECT COUNT(*) AS n FROM bootstrap_config_channels WHERE channel_id = ?");
    this.nextPosition = db.sql("SELECT COALESCE(MAX(position), 0) + 1 AS n FROM bootstrap_config_channels"
        + " WHERE thing_id = ?");
    this.channelRevision = db.sql("SELECT revision FROM bootstrap_channels WHERE id = ?");
    this.insertChannelInfo = db.sql("INSERT INTO bootstrap_channels (id, name, metadata, revision) VALUES (?, ?, ?, ?)");
    this.updateChannelInfo = db.sql("UPDATE bootstrap_channels SET name = ?, metadata = ?, revision = ? WHERE id = ?");
    this.deleteChannelInfo = db.sql("DELETE FROM bootstrap_channels WHERE id = ?");
    this.applied = db.sql("SELECT revision FROM bootstrap_applied WHERE entity = ?");
    this.insertApplied = db.sql("INSERT INTO bootstrap_applied (entity, revision) VALUES (?, ?)");
    this.updateApplied = db.sql("UPDATE bootstrap_applied SET revision = ? WHERE entity = ?");
    this.touch = db.sql("UPDATE bootstrap_configs SET revision = ? WHERE thing_id = ? AND revision = ?");
    this.all = db.sql("SELECT " + COLUMNS + " FROM bootstrap_configs");
    this.allChannels = db.sql("SELECT thing_id, channel_id FROM bootstrap_config_channels ORDER BY thing_id, position");
    this.allChannelCopies = db.sql("SELECT id, name, metadata, revision FROM bootstrap_channels");
  }

  /** A repository for reads that open no secret (replay runs without the bootstrap server key). */
  public static BootstrapRepository withoutSecrets(Database db) {
    return new BootstrapRepository(db, null);
  }

  /** A config as found for a device: the config and the keyed hash of its external key. */
  public record DeviceLookup(DeviceConfig config, String externalKeyHash) {}

  /** Inserts a new config with its channels. */
  public Future<Void> insert(SqlConnection conn, DeviceConfig c) {
    return conn.preparedQuery(insert).execute(Tuple.from(new Object[] {c.thingId(), c.owner(), c.name(),
            c.externalId(), secrets.hash(c.externalKey()), secrets.seal(c.externalKey()), secrets.seal(c.thingKey()),
            c.content(), c.clientCert(), secrets.seal(c.clientKey()), c.caCert(), c.state(), c.createdAt(),
            c.revision()}))
        .compose(v -> insertChannels(conn, c.thingId(), c.channelIds(), 1));
  }

  private Future<Void> insertChannels(SqlConnection conn, String thingId, List<String> channelIds, int from) {
    if (channelIds.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Tuple> rows = new ArrayList<>();
    for (int i = 0; i < channelIds.size(); i++) {
      rows.add(Tuple.of(thingId, channelIds.get(i), from + i));
    }
    return conn.preparedQuery(insertChannel).executeBatch(rows).mapEmpty();
  }

  /** Writes {@code c} over the revision before it; fails with {@link ConcurrentChange} if that changed meanwhile. */
  public Future<Void> update(SqlConnection conn, DeviceConfig c) {
    return conn.preparedQuery(update).execute(Tuple.from(new Object[] {c.name(), c.content(), c.clientCert(),
            secrets.seal(c.clientKey()), c.caCert(), c.state(), c.revision(), c.thingId(), c.revision() - 1}))
        .compose(rows -> rows.rowCount() == 1 ? Future.succeededFuture()
            : Future.<Void>failedFuture(new ConcurrentChange("config " + c.thingId())));
  }

  /** Writes {@code c} and replaces its channel list with {@code c}'s. */
  public Future<Void> updateWithChannels(SqlConnection conn, DeviceConfig c) {
    return update(conn, c)
        .compose(v -> conn.preparedQuery(deleteChannels).execute(Tuple.of(c.thingId())))
        .compose(v -> insertChannels(conn, c.thingId(), c.channelIds(), 1));
  }

  /** Deletes a config and its channel list; answers whether there was one. */
  public Future<Boolean> delete(SqlConnection conn, String thingId) {
    return conn.preparedQuery(deleteChannels).execute(Tuple.of(thingId))
        .compose(v -> conn.preparedQuery(delete).execute(Tuple.of(thingId)))
        .map(rows -> rows.rowCount() > 0);
  }

  public Future<DeviceConfig> find(String thingId) {
    return db.inTransaction(conn -> find(conn, thingId));
  }

  /** The config of {@code thingId} with its channels, or null. */
  public Future<DeviceConfig> find(SqlConnection conn, String thingId) {
    return conn.preparedQuery(byId).execute(Tuple.of(thingId)).compose(rows -> rows.size() == 0
        ? Future.succeededFuture()
        : withChannels(conn, config(rows.iterator().next())));
  }

  /** The config of {@code externalId} with its channels and the hash of its external key, or null. */
  public Future<DeviceLookup> findForDevice(String externalId) {
    return db.inTransaction(conn -> conn.preparedQuery(byExternalId).execute(Tuple.of(externalId))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.succeededFuture();
          }
          Row row = rows.iterator().next();
          return withChannels(conn, config(row))
              .map(c -> new DeviceLookup(c, row.getString("external_key_hash")));
        }));
  }

  public Future<Boolean> externalIdTaken(String externalId) {
    return db.inTransaction(conn -> conn.preparedQuery(externalIdTaken).execute(Tuple.of(externalId)))
        .map(rows -> rows.iterator().next().getLong("n") > 0);
  }

  private Future<DeviceConfig> withChannels(SqlConnection conn, DeviceConfig config) {
    return conn.preparedQuery(channelsOf).execute(Tuple.of(config.thingId())).map(rows -> {
      List<ConfigChannel> channels = new ArrayList<>();
      rows.forEach(row -> {
        String name = row.getString("name");
        String metadata = row.getString("metadata");
        channels.add(new ConfigChannel(row.getString("channel_id"), name == null ? "" : name,
            metadata == null ? new JsonObject() : new JsonObject(metadata)));
      });
      return config.withChannels(channels);
    });
  }

  /** Which configs a listing asks for; empty strings and a negative state mean "any". */
  public record ConfigFilter(String owner, String name, String externalId, int state) {}

  /** A page of configs, without their channels. */
  public Future<Page<DeviceConfig>> list(ConfigFilter filter, int offset, int limit) {
    Where where = new Where().equal("owner", filter.owner()).contains("name", filter.name())
        .equal("external_id", filter.externalId());
    if (filter.state() >= 0) {
      where.and("state = ?", filter.state());
    }
    return db.page(COLUMNS, "FROM bootstrap_configs" + where.sql(), "created_at, thing_id", where.args(), offset,
        limit, this::config, null);
  }

  private DeviceConfig config(Row row) {
    return new DeviceConfig(row.getString("thing_id"), row.getString("owner"), row.getString("name"),
        row.getString("external_id"), secrets.open(row.getString("external_key_cipher")),
        secrets.open(row.getString("thing_key_cipher")), row.getString("content"), row.getString("client_cert"),
        secrets.open(row.getString("client_key_cipher")), row.getString("ca_cert"), row.getInteger("state"),
        List.of(), row.getString("created_at"), row.getLong("revision"));
  }

  // ---- kept current from the things stream ----

  /**
   * Keeps a channel's name and metadata at {@code revision}, unless a newer revision is held already; answers whether
   * the copy changed.
   */
  public Future<Boolean> putChannel(SqlConnection conn, String id, String name, JsonObject metadata, long revision) {
    return conn.preparedQuery(channelRevision).execute(Tuple.of(id)).compose(rows -> {
      if (rows.size() == 0) {
        return conn.preparedQuery(insertChannelInfo).execute(Tuple.of(id, name, metadata.encode(), revision))
            .map(true);
      }
      if (rows.iterator().next().getLong("revision") >= revision) {
        return Future.succeededFuture(false);
      }
      return conn.preparedQuery(updateChannelInfo).execute(Tuple.of(name, metadata.encode(), revision, id)).map(true);
    });
  }

  /** Drops the copy of a removed channel and takes it out of every config; answers whether either held it. */
  public Future<Boolean> removeChannel(SqlConnection conn, String channelId) {
    return conn.preparedQuery(deleteChannelInfo).execute(Tuple.of(channelId))
        .compose(copies -> conn.preparedQuery(deleteChannelEverywhere).execute(Tuple.of(channelId))
            .map(named -> copies.rowCount() + named.rowCount() > 0));
  }

  /**
   * Moves a config to {@code c}'s revision (a reaction changed its channel list); fails with {@link ConcurrentChange}
   * if the revision before it changed meanwhile.
   */
  public Future<Void> touch(SqlConnection conn, DeviceConfig c) {
    return conn.preparedQuery(touch).execute(Tuple.of(c.revision(), c.thingId(), c.revision() - 1))
        .compose(rows -> rows.rowCount() == 1 ? Future.succeededFuture()
            : Future.<Void>failedFuture(new ConcurrentChange("config " + c.thingId())));
  }

  /** Every config with its channel ids, without its secrets (none is opened), for replay to compare. */
  public Future<List<ConfigWithoutSecrets>> all() {
    return db.inTransaction(conn -> conn.preparedQuery(allChannels).execute().compose(channelRows -> {
      Map<String, List<String>> named = new HashMap<>();
      channelRows.forEach(row -> named.computeIfAbsent(row.getString("thing_id"), k -> new ArrayList<>())
          .add(row.getString("channel_id")));
      return conn.preparedQuery(all).execute().map(rows -> {
        List<ConfigWithoutSecrets> configs = new ArrayList<>();
        rows.forEach(row -> configs.add(new ConfigWithoutSecrets(row.getString("thing_id"),
            row.getString("external_id"), row.getString("owner"), row.getString("name"), row.getString("content"),
            row.getInteger("state"), named.getOrDefault(row.getString("thing_id"), List.of()),
            row.getString("client_cert"), row.getString("ca_cert"), row.getLong("revision"))));
        return configs;
      });
    }));
  }

  /** A channel's name and metadata as bootstrap keeps them, at the channel's revision. */
  public record ChannelCopy(ConfigChannel channel, long revision) {}

  /** Every channel copy bootstrap keeps, for replay to compare. */
  public Future<List<ChannelCopy>> channelCopies() {
    return db.inTransaction(conn -> conn.preparedQuery(allChannelCopies).execute()).map(rows -> {
      List<ChannelCopy> copies = new ArrayList<>();
      rows.forEach(row -> copies.add(new ChannelCopy(new ConfigChannel(row.getString("id"), row.getString("name"),
          new JsonObject(row.getString("metadata"))), row.getLong("revision"))));
      return copies;
    });
  }

  /** How many configs name {@code channelId}. */
  public Future<Long> configsWithChannel(SqlConnection conn, String channelId) {
    return conn.preparedQuery(configsWithChannel).execute(Tuple.of(channelId))
        .map(rows -> rows.iterator().next().getLong("n"));
  }

  /** Appends a channel to a config's list. */
  public Future<Void> addChannel(SqlConnection conn, String thingId, String channelId) {
    return conn.preparedQuery(nextPosition).execute(Tuple.of(thingId))
        .compose(rows -> insertChannels(conn, thingId, List.of(channelId), rows.iterator().next().getInteger("n")));
  }

  /** Takes a channel out of a config's list; answers whether it was in it. */
  public Future<Boolean> removeChannel(SqlConnection conn, String thingId, String channelId) {
    return conn.preparedQuery(deleteChannel).execute(Tuple.of(thingId, channelId)).map(rows -> rows.rowCount() > 0);
  }

  /** The last revision applied to a things-stream entity, 0 if none. */
  public Future<Long> applied(SqlConnection conn, String entity) {
    return conn.preparedQuery(applied).execute(Tuple.of(entity))
        .map(rows -> rows.size() == 0 ? 0L : rows.iterator().next().getLong("revision"));
  }

  /** Records {@code revision} as the last applied to {@code entity} (known to be newer than the one held). */
  public Future<Void> markApplied(SqlConnection conn, String entity, long revision, boolean known) {
    return (known ? conn.preparedQuery(updateApplied).execute(Tuple.of(revision, entity))
        : conn.preparedQuery(insertApplied).execute(Tuple.of(entity, revision))).mapEmpty();
  }
}
