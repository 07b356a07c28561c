package io.fluxgate.mqtt;

/**
 * A topic of the platform, {@code channels/<channelId>/messages[/<subtopic>]}: as published (no wildcards) or as a
 * subscription filter ({@code +} and {@code #} allowed in the subtopic only). Anything else is not a topic here.
 */
public record ChannelTopic(String channelId, String subtopic) {

  /** Channel ids are UUIDs (36 characters); a longer one names no channel and is refused before any lookup. */
  static final int MAX_CHANNEL_ID = 64;
  /** The longest shared-subscription group name taken. */
  static final int MAX_GROUP = 64;

  private static final String PREFIX = "channels/";
  private static final String MESSAGES = "/messages";

  /** The topic of a PUBLISH, or null when it is not a channel topic or holds a wildcard. */
  public static ChannelTopic ofPublish(String topic) {
    ChannelTopic parsed = parse(topic);
    if (parsed == null || parsed.subtopic.indexOf('+') >= 0 || parsed.subtopic.indexOf('#') >= 0) {
      return null;
    }
    return parsed;
  }

  /** The topic filter of a SUBSCRIBE, or null when it is not a valid filter on a channel. */
  public static ChannelTopic ofFilter(String filter) {
    ChannelTopic parsed = parse(filter);
    if (parsed == null) {
      // channels/<id>/messages/# also covers the bare channel topic; "channels/<id>/#" is not offered.
      return null;
    }
    String sub = parsed.subtopic;
    int hash = sub.indexOf('#');
    if (hash >= 0 && (hash != sub.length() - 1 || (hash > 0 && sub.charAt(hash - 1) != '/'))) {
      return null;
    }
    for (String level : sub.split("/", -1)) {
      if (level.length() > 1 && (level.indexOf('+') >= 0 || level.indexOf('#') >= 0)) {
        return null;
      }
    }
    return parsed;
  }

  /** A shared subscription's filter: its group and the channel filter the group shares. */
  public record Shared(String group, ChannelTopic filter) {}

  private static final String SHARE = "$share/";

  /**
   * The group and channel filter of {@code $share/<group>/channels/<id>/messages[/<subtopic>]}, or null when
   * {@code filter} is not a shared subscription of a valid channel filter (a group is not empty, at most
   * {@value #MAX_GROUP} characters, and holds no {@code /}, {@code +} or {@code #}).
   */
  public static Shared ofShared(String filter) {
    if (filter == null || !filter.startsWith(SHARE)) {
      return null;
    }
    int slash = filter.indexOf('/', SHARE.length());
    if (slash <= SHARE.length()) {
      return null;
    }
    String group = filter.substring(SHARE.length(), slash);
    // Every node keeps each group a device names: names are bounded (their number is not yet: see docs/mqtt.md).
    if (group.length() > MAX_GROUP || group.indexOf('+') >= 0 || group.indexOf('#') >= 0) {
      return null;
    }
    ChannelTopic channelFilter = ofFilter(filter.substring(slash + 1));
    return channelFilter == null ? null : new Shared(group, channelFilter);
  }

  private static ChannelTopic parse(String topic) {
    if (topic == null || !topic.startsWith(PREFIX)) {
      return null;
    }
    int slash = topic.indexOf('/', PREFIX.length());
    if (slash <= PREFIX.length() || slash - PREFIX.length() > MAX_CHANNEL_ID || !topic.startsWith(MESSAGES, slash)) {
      return null;
    }
    String channel = topic.substring(PREFIX.length(), slash);
    if (channel.indexOf('+') >= 0 || channel.indexOf('#') >= 0) {
      return null;
    }
    int rest = slash + MESSAGES.length();
    if (rest == topic.length()) {
      return new ChannelTopic(channel, "");
    }
    if (topic.charAt(rest) != '/' || rest + 1 == topic.length()) {
      return null;
    }
    String subtopic = topic.substring(rest + 1);
    return subtopic.contains("//") ? null : new ChannelTopic(channel, subtopic);
  }

  /** Whether this filter's subtopic matches a published {@code subtopic} (MQTT wildcard rules). */
  public boolean matches(String published) {
    String filter = subtopic;
    if (filter.equals("#")) {
      return true;
    }
    int f = 0;
    int p = 0;
    while (f < filter.length()) {
      char c = filter.charAt(f);
      if (c == '#') {
        return true;
      }
      if (c == '+') {
        if (p > published.length()) {
          return false;
        }
        int end = published.indexOf('/', p);
        p = end < 0 ? published.length() : end;
        f++;
        continue;
      }
      if (p >= published.length() || published.charAt(p) != c) {
        // "a/#" also matches "a" itself.
        return p == published.length() && filter.startsWith("/#", f);
      }
      f++;
      p++;
    }
    return p == published.length();
  }

  /** The topic string: {@code channels/<id>/messages[/<subtopic>]}. */
  public String topic() {
    return subtopic.isEmpty() ? PREFIX + channelId + MESSAGES : PREFIX + channelId + MESSAGES + "/" + subtopic;
  }
}
