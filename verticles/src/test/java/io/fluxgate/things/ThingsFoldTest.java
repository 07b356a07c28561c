package io.fluxgate.things;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.DomainEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The rules of the things-stream fold, in memory: revision order per entity, stale and reordered events harmless. */
class ThingsFoldTest {

  private static DomainEvent event(String operation, long revision, JsonObject fields) {
    return DomainEvent.occurred("fluxgate.things", operation, "node-a", revision, fields);
  }

  private static JsonObject thing(String id) {
    return new JsonObject().put("id", id);
  }

  private static JsonObject pair(String thing, String channel) {
    return new JsonObject().put("thing_id", thing).put("channel_id", channel);
  }

  @Test
  void foldsAThingsLifeFromItsEvents() {
    ThingsFold fold = new ThingsFold();
    fold.apply(event("thing.create", 1, thing("t").put("name", "pump").put("owner", "u").put("status", "enabled")
        .put("tags", new JsonArray().add("a")).put("created_at", "2026-01-01T00:00:00Z")));
    fold.apply(event("thing.update", 2, thing("t").put("metadata", new JsonObject().put("m", 1))
        .put("updated_at", "t2").put("updated_by", "u")));
    fold.apply(event("thing.change_status", 3, thing("t").put("status", "disabled").put("updated_at", "t3")
        .put("updated_by", "u")));
    fold.apply(event("thing.update_secret", 4, thing("t").put("updated_at", "t4").put("updated_by", "u")));

    Thing t = fold.things().get("t");
    assertThat(t.name()).as("an update without a name clears it, as the API does").isEmpty();
    assertThat(t.metadata().getInteger("m")).isEqualTo(1);
    assertThat(t.status()).isEqualTo("disabled");
    assertThat(t.tags()).containsExactly("a");
    assertThat(t.updatedAt()).isEqualTo("t4");
    assertThat(t.revision()).isEqualTo(4);

    fold.apply(event("thing.remove", 5, thing("t")));
    assertThat(fold.things().get("t")).isNull();
    assertThat(fold.things().size()).isZero();
  }

  @Test
  void aReplayAppliesAnUpdateStoredBeforeItsCreateAfterIt() {
    // What an outage can leave in the log: the update stored first, its create after it.
    ThingsFold replay = new ThingsFold(true);
    replay.apply(event("thing.update", 2, thing("t").put("name", "renamed").put("updated_at", "t2")
        .put("updated_by", "u")));
    replay.apply(event("thing.create", 1, thing("t").put("name", "pump").put("owner", "u").put("status", "enabled")
        .put("created_at", "t1")));
    replay.apply(event("channel.update", 3, new JsonObject().put("id", "c").put("name", "no create ever")));
    assertThat(replay.flush()).as("the channel's update, whose earlier revisions never came").isEqualTo(1);

    Thing t = replay.things().get("t");
    assertThat(t.name()).isEqualTo("renamed");
    assertThat(t.owner()).isEqualTo("u");
    assertThat(t.status()).isEqualTo("enabled");
    assertThat(t.createdAt()).isEqualTo("t1");
    assertThat(t.revision()).isEqualTo(2);
    assertThat(replay.channels().get("c").name()).isEqualTo("no create ever");
  }

  @Test
  void aStaleDuplicateOrAnOlderEventChangesNothing() {
    ThingsFold fold = new ThingsFold();
    DomainEvent create = event("thing.create", 1, thing("t").put("status", "enabled"));
    DomainEvent disable = event("thing.change_status", 2, thing("t").put("status", "disabled"));
    DomainEvent enable = event("thing.change_status", 3, thing("t").put("status", "enabled"));
    fold.apply(create);
    fold.apply(enable);
    assertThat(fold.apply(disable)).as("revision 2 after 3 is stale").isNull();
    assertThat(fold.apply(enable)).as("a duplicate").isNull();
    assertThat(fold.apply(create)).isNull();
    assertThat(fold.things().get("t").status()).isEqualTo("enabled");
    assertThat(fold.things().get("t").revision()).isEqualTo(3);
  }

  @Test
  void aRemovedThingStaysRemovedWhenItsOlderEventsArriveLate() {
    ThingsFold fold = new ThingsFold();
    fold.apply(event("thing.remove", 2, thing("t")));
    fold.apply(event("thing.create", 1, thing("t").put("status", "enabled")));
    assertThat(fold.things().get("t")).isNull();
  }

  @Test
  void aConnectionFollowsConnectUpdateDisconnectAndAReconnectByRevision() {
    ThingsFold fold = new ThingsFold();
    fold.apply(event("thing.connect", 1, pair("t", "c").put("actions", new JsonArray().add("m_read").add("m_write"))));
    fold.apply(event("thing.update_connection", 2, pair("t", "c").put("actions", new JsonArray().add("m_read"))));
    assertThat(fold.connections().get("t/c").actions()).containsExactly("m_read");
    fold.apply(event("thing.disconnect", 3, pair("t", "c")));
    assertThat(fold.connections().get("t/c")).isNull();
    assertThat(fold.apply(event("thing.connect", 1, pair("t", "c").put("actions", new JsonArray().add("m_read")))))
        .as("the first connect, delivered again, does not bring the pair back").isNull();
    fold.apply(event("thing.connect", 4, pair("t", "c").put("actions", new JsonArray().add("m_write"))));
    assertThat(fold.connections().get("t/c").actions()).containsExactly("m_write");
    assertThat(fold.connections().get("t/c").revision()).isEqualTo(4);
  }

  @Test
  void aChildChannelGetsItsPathAndLevelFromItsParent() {
    ThingsFold fold = new ThingsFold();
    fold.apply(event("channel.create", 1, new JsonObject().put("id", "p").put("name", "plant").put("status", "enabled")));
    fold.apply(event("channel.create", 1, new JsonObject().put("id", "c").put("name", "line").put("parent", "p")
        .put("status", "enabled")));
    fold.apply(event("channel.update", 2, new JsonObject().put("id", "c").put("name", "line 2")
        .put("description", "d")));
    Channel child = fold.channels().get("c");
    assertThat(child.path()).isEqualTo("p.c");
    assertThat(child.level()).isEqualTo(2);
    assertThat(child.name()).isEqualTo("line 2");
    assertThat(child.description()).isEqualTo("d");
  }

  @Test
  void readEventsChangeNothing() {
    ThingsFold fold = new ThingsFold();
    assertThat(fold.apply(event("thing.view", DomainEvent.NO_REVISION, thing("t")))).isNull();
    assertThat(fold.things().size()).isZero();
  }
}
