package io.fluxgate.codecs;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.EncodeException;
import io.vertx.core.json.jackson.JacksonCodec;
import java.io.IOException;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One domain event: the envelope of the event contract plus the operation's own fields, in one JSON shape.
 *
 * <p>The stream is where the event belongs (for example {@code fluxgate.things}); it travels beside the body,
 * as the bus address or the store's subject, key or column, never inside it. Instances are treated as
 * immutable: {@code fields} must not be changed after construction.
 */
public record DomainEvent(
    String stream,
    String operation,
    long occurredAt,
    String eventId,
    String instance,
    long revision,
    JsonObject fields) {

  /** The revision of events that do not change an entity. */
  public static final long NO_REVISION = 0L;

  public static final String OPERATION = "operation";
  public static final String OCCURRED_AT = "occurred_at";
  public static final String EVENT_ID = "event_id";
  public static final String INSTANCE = "instance";
  public static final String REVISION = "revision";

  private static final JsonFactory JSON = new JsonFactory();
  // The envelope's names quoted once, not escaped again for every event.
  private static final SerializedString OPERATION_NAME = new SerializedString(OPERATION);
  private static final SerializedString OCCURRED_AT_NAME = new SerializedString(OCCURRED_AT);
  private static final SerializedString EVENT_ID_NAME = new SerializedString(EVENT_ID);
  private static final SerializedString INSTANCE_NAME = new SerializedString(INSTANCE);
  private static final SerializedString REVISION_NAME = new SerializedString(REVISION);
  /** One scratch buffer per thread: encoding then copies out only the finished bytes. */
  private static final ThreadLocal<ByteArrayBuilder> SCRATCH = ThreadLocal.withInitial(() -> new ByteArrayBuilder(1024));

  public DomainEvent {
    Objects.requireNonNull(stream, "stream");
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(instance, "instance");
    fields = fields == null ? new JsonObject() : fields;
  }

  /** A new event that happened now, with a fresh time-ordered id; empty fields are left out. */
  public static DomainEvent occurred(
      String stream, String operation, String instance, long revision, JsonObject fields) {
    return new DomainEvent(
        stream, operation, nowNanos(), EventIds.next(), instance, revision, withoutEmpty(fields));
  }

  /** The event as the contract's JSON object: envelope first, then the operation's fields. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject(new java.util.LinkedHashMap<>(fields.size() + 5));
    json.put(OPERATION, operation).put(OCCURRED_AT, occurredAt).put(EVENT_ID, eventId).put(INSTANCE, instance);
    if (revision != NO_REVISION) {
      json.put(REVISION, revision);
    }
    for (Map.Entry<String, Object> field : fields) {
      json.put(field.getKey(), field.getValue());
    }
    return json;
  }

  /** The contract's JSON object as UTF-8 bytes, the body every store keeps. */
  public Buffer toBuffer() {
    return Buffer.buffer(toBytes());
  }

  /**
   * The contract's JSON object as UTF-8 bytes, written straight from the fields (the same bytes as
   * {@code toJson().encode()}, without building the intermediate object: this runs once per appended event).
   */
  public byte[] toBytes() {
    ByteArrayBuilder out = SCRATCH.get();
    out.reset();
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeFieldName(OPERATION_NAME);
      json.writeString(operation);
      json.writeFieldName(OCCURRED_AT_NAME);
      json.writeNumber(occurredAt);
      json.writeFieldName(EVENT_ID_NAME);
      json.writeString(eventId);
      json.writeFieldName(INSTANCE_NAME);
      json.writeString(instance);
      if (revision != NO_REVISION) {
        json.writeFieldName(REVISION_NAME);
        json.writeNumber(revision);
      }
      for (Map.Entry<String, Object> field : fields) {
        json.writeFieldName(field.getKey());
        JacksonCodec.encodeJson(field.getValue(), json);
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new EncodeException("cannot encode event " + eventId + ": " + e.getMessage());
    }
    return out.toByteArray();
  }

  /**
   * Reads an event body of {@code stream}; tolerant: every key that is not part of the envelope is kept as a
   * field, and a missing revision reads as {@link #NO_REVISION}.
   */
  public static DomainEvent fromJson(String stream, JsonObject json) {
    String operation = json.getString(OPERATION);
    String eventId = json.getString(EVENT_ID);
    if (operation == null || eventId == null) {
      throw new IllegalArgumentException("not a domain event: operation and event_id are required");
    }
    Number occurred = json.getNumber(OCCURRED_AT);
    Number revision = json.getNumber(REVISION);
    JsonObject fields = new JsonObject(new java.util.LinkedHashMap<>(json.size()));
    for (Map.Entry<String, Object> entry : json) {
      switch (entry.getKey()) {
        case OPERATION, OCCURRED_AT, EVENT_ID, INSTANCE, REVISION -> { }
        default -> fields.put(entry.getKey(), entry.getValue());
      }
    }
    return new DomainEvent(
        stream,
        operation,
        occurred == null ? 0L : occurred.longValue(),
        eventId,
        json.getString(INSTANCE, ""),
        revision == null ? NO_REVISION : revision.longValue(),
        fields);
  }

  /** Reads an event body of {@code stream} from its UTF-8 JSON bytes. */
  public static DomainEvent fromBuffer(String stream, Buffer body) {
    return fromJson(stream, new JsonObject(body));
  }

  /** Unix time in nanoseconds, as {@code occurred_at} wants it. */
  public static long nowNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  private static JsonObject withoutEmpty(JsonObject fields) {
    if (fields == null) {
      return new JsonObject();
    }
    fields.getMap().values().removeIf(v -> v == null || (v instanceof String s && s.isEmpty()));
    return fields;
  }
}
