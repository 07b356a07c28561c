package io.fluxgate.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.DomainEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules of the bootstrap-stream fold, in memory: configs and channel copies, each in its own revision order. */
class BootstrapFoldTest {

  private static DomainEvent event(String operation, long revision, JsonObject fields) {
    return DomainEvent.occurred("fluxgate.bootstrap", operation, "node-a", revision, fields);
  }

  private static JsonObject config(String thingId) {
    return new JsonObject().put("thing_id", thingId);
  }

  private static JsonObject pair(String thingId, String channelId) {
    return config(thingId).put("channel_id", channelId);
  }

  private static DomainEvent created(String thingId, String... channels) {
    return event("config.create", 1, config(thingId).put("external_id", "ext-" + thingId).put("state", 0)
        .put("owner", "u").put("name", "pump").put("content", "{}").put("channels", new JsonArray(List.of(channels))));
  }

  @Test
  void foldsAConfigsLifeFromItsEvents() {
    BootstrapFold fold = new BootstrapFold();
    fold.apply(created("t", "c1", "c2"));
    fold.apply(event("config.update", 2, config("t").put("name", "pump 2").put("content", "v2")));
    fold.apply(event("cert.update", 3, config("t").put("client_cert", "CERT").put("ca_cert", "CA")));
    fold.apply(event("thing.update_connections", 4, config("t").put("channels", new JsonArray().add("c2").add("c3"))));
    fold.apply(event("thing.change_state", 5, config("t").put("state", 1)));
    fold.apply(event("thing.connect_handler", 6, pair("t", "c4")));
    fold.apply(event("thing.disconnect_handler", 7, pair("t", "c2")));

    assertThat(fold.config("t")).isEqualTo(new ConfigWithoutSecrets("t", "ext-t", "u", "pump 2", "v2", 1,
        List.of("c3", "c4"), "CERT", "CA", 7));

    fold.apply(event("config.remove_handler", 8, config("t")));
    assertThat(fold.config("t")).isNull();
    assertThat(fold.configCount()).isZero();
  }

  @Test
  void aStaleDuplicateOrAnOlderEventChangesNothing() {
    BootstrapFold fold = new BootstrapFold();
    fold.apply(created("t", "c1"));
    DomainEvent joined = event("thing.connect_handler", 2, pair("t", "c2"));
    DomainEvent left = event("thing.disconnect_handler", 3, pair("t", "c2"));
    fold.apply(joined);
    fold.apply(left);
    assertThat(fold.apply(joined)).as("the connect, delivered again after the disconnect").isNull();
    assertThat(fold.apply(created("t"))).isNull();
    assertThat(fold.config("t").channelIds()).containsExactly("c1");
    assertThat(fold.config("t").revision()).isEqualTo(3);
  }

  @Test
  void aRemovedConfigStaysRemovedWhenItsOlderEventsArriveLate() {
    BootstrapFold fold = new BootstrapFold();
    fold.apply(event("config.remove", 3, config("t")));
    fold.apply(created("t", "c1"));
    fold.apply(event("config.update", 2, config("t").put("name", "late")));
    assertThat(fold.config("t")).isNull();
  }

  @Test
  void channelCopiesFollowTheChannelsRevisionAndARemovedChannelLeavesEveryConfigInAnyOrder() {
    List<DomainEvent> log = List.of(
        created("a", "c1", "c2"),
        created("b", "c2"),
        event("channel.update_handler", 1, new JsonObject().put("channel_id", "c2").put("name", "first")),
        event("channel.update_handler", 3, new JsonObject().put("channel_id", "c2").put("name", "third")
            .put("metadata", new JsonObject().put("zone", 4))),
        event("channel.update_handler", 2, new JsonObject().put("channel_id", "c2").put("name", "second")),
        event("channel.update_handler", 1, new JsonObject().put("channel_id", "c1").put("name", "one")),
        event("channel.remove_handler", 4, new JsonObject().put("channel_id", "c1")),
        event("thing.update_connections", 2, config("b").put("channels", new JsonArray().add("c2").add("c1"))));
    for (List<DomainEvent> order : List.of(log, reversed(log))) {
      BootstrapFold fold = new BootstrapFold();
      order.forEach(fold::apply);
      assertThat(fold.channels().get("c2")).isEqualTo(new ConfigChannel("c2", "third",
          new JsonObject().put("zone", 4)));
      assertThat(fold.channels().revision("c2")).isEqualTo(3);
      assertThat(fold.channels().get("c1")).as("removed").isNull();
      assertThat(fold.config("a").channelIds()).containsExactly("c2");
      assertThat(fold.config("b").channelIds()).as("an older config event naming the removed channel")
          .containsExactly("c2");
      assertThat(fold.config("a").revision()).as("a channel's removal is not a change of the config").isEqualTo(1);
    }
  }

  @Test
  void eventsThatChangeNothingAndSecretsAreNotFolded() {
    BootstrapFold fold = new BootstrapFold();
    assertThat(fold.apply(event("config.view", DomainEvent.NO_REVISION, config("t")))).isNull();
    assertThat(fold.apply(event("thing.bootstrap", DomainEvent.NO_REVISION, new JsonObject()
        .put("external_id", "e").put("success", true)))).isNull();
    assertThat(fold.apply(event("thing.connect_handler", DomainEvent.NO_REVISION, pair("t", "c"))))
        .as("a reaction recorded before reactions carried revisions").isNull();
    assertThat(fold.configCount()).isZero();
    fold.apply(created("t"));
    fold.apply(event("cert.update", 2, config("t").put("client_cert", "CERT").put("client_key", "KEY")));
    assertThat(fold.config("t").toJson().encode()).doesNotContain("KEY").contains("CERT");
  }

  private static List<DomainEvent> reversed(List<DomainEvent> log) {
    List<DomainEvent> copy = new ArrayList<>(log);
    Collections.reverse(copy);
    return copy;
  }
}
