package io.fluxgate.things;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.sql.Database;
import io.fluxgate.testing.Await;
import io.fluxgate.testing.TestStores;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The access index kept by events on a node that did not make the changes, over a real (embedded) database: events of
 * one thing that reach the node out of revision order (two nodes changed it at once) still leave the index as the
 * database says.
 */
class AccessIndexSyncTest {

  private static final String KEY = "the-key-of-t";

  private Vertx vertx;
  private Context context;
  private Database db;
  private ThingKeys keys;
  private AccessIndex index;
  private AccessIndexSync sync;
  private ThingRepository things;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    db = Await.result(Database.open(vertx, TestStores.h2()));
    keys = new ThingKeys(new byte[32]);
    index = new AccessIndex(keys);
    things = new ThingRepository(db);
    sync = new AccessIndexSync(index, things, new ChannelRepository(db), new ConnectionRepository(db), "node-b");
  }

  @AfterEach
  void stop() {
    Await.result(db.close());
    Await.result(vertx.close());
  }

  @Test
  void aStatusChangeArrivingAfterTheNextChangeOfItsThingStillDisablesIt() {
    Thing created = thing("enabled", 1);
    Await.result(db.inTransaction(conn -> things.insert(conn,
        List.of(new ThingRepository.Stored(created, keys.hash(KEY), keys.seal(KEY))))));
    Await.result(onContext(sync::load));
    assertThat(index.authenticate("t", KEY)).isTrue();

    // Node A disabled the thing (revision 2), then someone tagged it (revision 3); the database holds both.
    Await.result(db.inTransaction(conn -> things.update(conn, thing("disabled", 2))
        .compose(v -> things.update(conn, thing("disabled", 3)))));
    // This node sees the tags first, the status change after it.
    Await.result(onContext(() -> {
      sync.apply(event("thing.update_tags", 3, new JsonObject().put("id", "t").put("tags", new JsonArray().add("x"))));
      sync.apply(event("thing.change_status", 2, new JsonObject().put("id", "t").put("status", "disabled")));
      return Future.succeededFuture();
    }));

    Await.until("the index to say the thing is disabled", Duration.ofSeconds(10),
        () -> !Await.result(onContext(() -> Future.succeededFuture(index.authenticate("t", KEY)))));
    AtomicBoolean enabledInFold = new AtomicBoolean(true);
    Await.result(onContext(() -> {
      enabledInFold.set(sync.fold().things().get("t").isEnabled());
      return Future.succeededFuture();
    }));
    assertThat(enabledInFold).as("the fold holds the database's status too, for the changes after it").isFalse();
  }

  @Test
  void aChannelRenamedBeforeItsDisableArrivesEndsDisabled() {
    ChannelRepository channels = new ChannelRepository(db);
    Await.result(db.inTransaction(conn -> channels.insert(conn, List.of(channel("enabled", 1)))));
    Await.result(onContext(sync::load));

    // Disabled (revision 2), then renamed (revision 3); this node sees the rename first.
    Await.result(db.inTransaction(conn -> channels.update(conn, channel("disabled", 2))
        .compose(v -> channels.update(conn, channel("disabled", 3)))));
    Await.result(onContext(() -> {
      sync.apply(event("channel.update", 3, new JsonObject().put("id", "c").put("name", "renamed")));
      sync.apply(event("channel.change_status", 2, new JsonObject().put("id", "c").put("status", "disabled")));
      return Future.succeededFuture();
    }));

    Await.until("the fold to say the channel is disabled", Duration.ofSeconds(10),
        () -> !Await.result(onContext(() -> Future.succeededFuture(sync.fold().channels().get("c").isEnabled()))));
    assertThat(Await.result(onContext(() -> Future.succeededFuture(sync.fold().channels().revision("c")))))
        .isEqualTo(3);
  }

  private static Channel channel(String status, long revision) {
    return new Channel("c", "telemetry", "", "owner", "", new JsonObject(), status, "c", 1, "2026-12-01T00:00:00Z",
        "2026-12-01T00:00:00Z", "owner", revision);
  }

  private static Thing thing(String status, long revision) {
    return new Thing("t", "pump", "", new JsonArray(), "owner", new JsonObject(), status, "2026-12-01T00:00:00Z",
        "2026-12-01T00:00:00Z", "owner", revision);
  }

  private static DomainEvent event(String operation, long revision, JsonObject fields) {
    return DomainEvent.occurred("fluxgate.things", operation, "node-a", revision,
        fields.put("updated_at", "2026-12-01T00:00:01Z").put("updated_by", "owner"));
  }

  private <T> Future<T> onContext(Supplier<Future<T>> work) {
    return Future.<T>future(promise -> context.runOnContext(v -> work.get().onComplete(promise)));
  }
}
