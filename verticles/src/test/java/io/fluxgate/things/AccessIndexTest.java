package io.fluxgate.things;

import static org.assertj.core.api.Assertions.assertThat;

import io.fluxgate.codecs.ThingAccess;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The access index keeps the newest revision of each entry, whatever order changes and events arrive in. */
class AccessIndexTest {

  private final ThingKeys keys = new ThingKeys(new byte[32]);
  private final AccessIndex index = new AccessIndex(keys);

  private boolean publishes(String thing, String channel) {
    return index.authorize(new ThingAccess(thing, channel, ThingAccess.Action.PUBLISH));
  }

  @Test
  void anOlderEventArrivingAfterANewerLocalChangeChangesNothing() {
    index.putThing("t", keys.hash("key-0001"), true, 5);
    index.putThing("t", null, false, 6);
    index.putThing("t", null, true, 5);
    assertThat(index.authenticate("t", "key-0001")).as("the disable of revision 6 stands").isFalse();

    index.putChannel("c", true, 1);
    index.putThing("t", null, true, 7);
    index.connect("t", "c", List.of(Connection.WRITE), 1);
    index.disconnect("t", "c", 2);
    index.connect("t", "c", List.of(Connection.WRITE), 1);
    assertThat(publishes("t", "c")).as("the disconnect of revision 2 stands").isFalse();
    index.connect("t", "c", List.of(Connection.WRITE), 3);
    assertThat(publishes("t", "c")).as("a reconnect has a newer revision").isTrue();
  }

  @Test
  void aRemovedThingOrChannelDoesNotComeBackWithALateEvent() {
    index.putThing("t", keys.hash("key-0001"), true, 1);
    index.putChannel("c", true, 1);
    index.connect("t", "c", List.of(Connection.WRITE), 1);
    index.removeChannel("c", 2);
    index.putChannel("c", true, 1);
    assertThat(publishes("t", "c")).isFalse();

    index.removeThing("t", 2);
    index.putThing("t", keys.hash("key-0001"), true, 1);
    assertThat(index.authenticate("t", "key-0001")).isFalse();
    assertThat(index.identify("key-0001")).isNull();
    assertThat(index.size()).isZero();
  }
}
