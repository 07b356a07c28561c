package io.fluxgate.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ChannelTopicTest {

  @Test
  void parsesPublishedTopics() {
    assertThat(ChannelTopic.ofPublish("channels/c1/messages")).isEqualTo(new ChannelTopic("c1", ""));
    assertThat(ChannelTopic.ofPublish("channels/c1/messages/room/1")).isEqualTo(new ChannelTopic("c1", "room/1"));
  }

  @Test
  void rejectsTopicsOutsideChannelsAndWildcardsInPublishes() {
    assertThat(ChannelTopic.ofPublish("channels/c1")).isNull();
    assertThat(ChannelTopic.ofPublish("channels//messages")).isNull();
    assertThat(ChannelTopic.ofPublish("channels/c1/messages/")).isNull();
    assertThat(ChannelTopic.ofPublish("channels/c1/messagesx")).isNull();
    assertThat(ChannelTopic.ofPublish("things/c1/messages")).isNull();
    assertThat(ChannelTopic.ofPublish("channels/c1/messages/a/+")).isNull();
    assertThat(ChannelTopic.ofPublish("channels/+/messages")).isNull();
    assertThat(ChannelTopic.ofPublish("channels/c1/messages/a//b")).isNull();
  }

  @Test
  void rejectsAChannelIdLongerThanAnyChannelHas() {
    String longest = "c".repeat(ChannelTopic.MAX_CHANNEL_ID);
    assertThat(ChannelTopic.ofPublish("channels/" + longest + "/messages")).isNotNull();
    assertThat(ChannelTopic.ofPublish("channels/" + longest + "c/messages")).isNull();
    assertThat(ChannelTopic.ofFilter("channels/" + "c".repeat(100_000) + "/messages/#")).isNull();
  }

  @Test
  void acceptsWildcardsOnlyInTheSubtopicOfAFilter() {
    assertThat(ChannelTopic.ofFilter("channels/c1/messages/#")).isEqualTo(new ChannelTopic("c1", "#"));
    assertThat(ChannelTopic.ofFilter("channels/c1/messages/+/temp")).isEqualTo(new ChannelTopic("c1", "+/temp"));
    assertThat(ChannelTopic.ofFilter("channels/+/messages")).isNull();
    assertThat(ChannelTopic.ofFilter("channels/#")).isNull();
    assertThat(ChannelTopic.ofFilter("channels/c1/messages/a#")).isNull();
    assertThat(ChannelTopic.ofFilter("channels/c1/messages/#/a")).isNull();
    assertThat(ChannelTopic.ofFilter("channels/c1/messages/a+/b")).isNull();
  }

  @Test
  void matchesSubtopicsByMqttWildcardRules() {
    assertThat(filter("#").matches("")).isTrue();
    assertThat(filter("#").matches("a/b")).isTrue();
    assertThat(filter("a/#").matches("a")).isTrue();
    assertThat(filter("a/#").matches("a/b/c")).isTrue();
    assertThat(filter("a/#").matches("ab")).isFalse();
    assertThat(filter("+").matches("a")).isTrue();
    assertThat(filter("+").matches("a/b")).isFalse();
    assertThat(filter("+/temp").matches("r1/temp")).isTrue();
    assertThat(filter("+/temp").matches("r1/hum")).isFalse();
    assertThat(filter("a/+/c").matches("a/b/c")).isTrue();
    assertThat(filter("a/+/c").matches("a/b/d")).isFalse();
    assertThat(filter("").matches("")).isTrue();
    assertThat(filter("").matches("a")).isFalse();
    assertThat(filter("a").matches("a")).isTrue();
    assertThat(filter("a").matches("")).isFalse();
  }

  @Test
  void aSharedGroupNameIsBoundedLikeAChannelId() {
    String longest = "g".repeat(ChannelTopic.MAX_GROUP);
    assertThat(ChannelTopic.ofShared("$share/" + longest + "/channels/c/messages")).isNotNull();
    assertThat(ChannelTopic.ofShared("$share/" + longest + "g/channels/c/messages")).isNull();
  }

  private static ChannelTopic filter(String subtopic) {
    return ChannelTopic.ofFilter(subtopic.isEmpty() ? "channels/c/messages" : "channels/c/messages/" + subtopic);
  }
}
