package io.fluxgate.codecs;

/** The logical event streams and the configured prefix that names them, e.g. {@code fluxgate.things}. */
public record Streams(String prefix) {

  public static final String USERS = "users";
  public static final String THINGS = "things";
  public static final String BOOTSTRAP = "bootstrap";
  public static final String MQTT = "mqtt";

  /** Suffix of the stream where a durable consumer parks the events it could not handle. */
  public static final String DEAD_LETTER_SUFFIX = ".dlq";

  public String users() {
    return name(USERS);
  }

  public String things() {
    return name(THINGS);
  }

  public String bootstrap() {
    return name(BOOTSTRAP);
  }

  public String mqtt() {
    return name(MQTT);
  }

  /** The full name of a logical stream under this prefix. */
  public String name(String logical) {
    return prefix + "." + logical;
  }

  /** The dead-letter stream of {@code stream}. */
  public static String deadLetters(String stream) {
    return stream + DEAD_LETTER_SUFFIX;
  }
}
