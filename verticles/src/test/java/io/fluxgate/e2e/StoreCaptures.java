package io.fluxgate.e2e;

import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.events.nats.NatsSettings;
import io.fluxgate.events.redis.RedisSettings;
import io.fluxgate.testing.RedisProbe;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.MessageInfo;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.util.ArrayList;
import java.util.List;

/** Reads every event of a test's prefix back from a store with that store's own client, as an integrator would. */
final class StoreCaptures {

  /** The logical streams, in catalogue order. */
  static final List<String> STREAMS = List.of("users", "things", "bootstrap", "mqtt");

  private StoreCaptures() {}

  /** Every message of {@code events.<prefix>.*} in the JetStream stream, by sequence. */
  static List<CapturedEvent> nats(EventStoreConfig config) throws Exception {
    NatsSettings settings = (NatsSettings) config.store();
    List<CapturedEvent> events = new ArrayList<>();
    try (var nats = Nats.connect(settings.url())) {
      JetStreamManagement jsm = nats.jetStreamManagement();
      for (String stream : STREAMS) {
        String subject = "events." + config.prefix() + "." + stream;
        long seq = 1;
        while (true) {
          MessageInfo message;
          try {
            message = jsm.getNextMessage(settings.stream(), seq, subject);
          } catch (JetStreamApiException noMore) {
            break;
          }
          seq = message.getSeq() + 1;
          JsonObject body = new JsonObject(new String(message.getData(), StandardCharsets.UTF_8));
          StringBuilder text = new StringBuilder("subject: ").append(message.getSubject()).append('\n');
          List<String> fields = new ArrayList<>(List.of("subject"));
          if (message.getHeaders() != null) {
            for (String header : message.getHeaders().keySet()) {
              text.append(header).append(": ").append(message.getHeaders().getFirst(header)).append('\n');
              fields.add(header);
            }
          }
          text.append('\n').append(message.getData().length == 0 ? "" : body.encode());
          events.add(new CapturedEvent("nats", body.getString("operation"), body, fields, text.toString()));
        }
      }
    }
    return events;
  }

  /** Every entry of the {@code <prefix>.<stream>} stream keys, as {@code XRANGE} returns them. */
  static List<CapturedEvent> redis(EventStoreConfig config) throws Exception {
    RedisSettings settings = (RedisSettings) config.store();
    List<CapturedEvent> events = new ArrayList<>();
    try (RedisProbe redis = new RedisProbe(settings.url())) {
      for (String stream : STREAMS) {
        String key = config.prefix() + "." + stream;
        Object range = redis.call("XRANGE", key, "-", "+");
        for (Object item : (List<?>) range) {
          List<?> entry = (List<?>) item;
          List<?> pairs = (List<?>) entry.get(1);
          StringBuilder text = new StringBuilder("XRANGE ").append(key).append(" → ").append(entry.get(0)).append('\n');
          List<String> fields = new ArrayList<>();
          JsonObject body = new JsonObject();
          JsonArray jsonFields = new JsonArray();
          for (int i = 0; i + 1 < pairs.size(); i += 2) {
            String field = String.valueOf(pairs.get(i));
            String value = String.valueOf(pairs.get(i + 1));
            fields.add(field);
            text.append(String.format("  %-14s %s%n", field, value));
            if (field.equals("_json")) {
              jsonFields = new JsonArray(value);
            } else {
              body.put(field, value);
            }
          }
          for (Object field : jsonFields) {
            body.put((String) field, io.vertx.core.json.Json.decodeValue(body.getString((String) field)));
          }
          events.add(new CapturedEvent("redis", body.getString("operation"), body, fields, text.toString()));
        }
      }
    }
    return events;
  }

  /**
   * Every message of the stream queues {@code events.<prefix>.<stream>}, read from the first offset with amqp-client
   * as an integrator's stream consumer would, skipping the store's end markers; a read ends after a quiet second.
   */
  static List<CapturedEvent> rabbit(EventStoreConfig config) throws Exception {
    io.fluxgate.events.rabbitmq.RabbitSettings settings = (io.fluxgate.events.rabbitmq.RabbitSettings) config.store();
    var factory = new com.rabbitmq.client.ConnectionFactory();
    factory.setUri(settings.url());
    List<CapturedEvent> events = new ArrayList<>();
    try (var connection = factory.newConnection("fluxgate-catalogue")) {
      for (String stream : STREAMS) {
        String queue = "events." + config.prefix() + "." + stream;
        var channel = connection.createChannel();
        channel.basicQos(100);
        var received = new java.util.concurrent.LinkedBlockingQueue<CapturedEvent>();
        String tag = channel.basicConsume(queue, false, java.util.Map.of("x-stream-offset", "first"),
            new com.rabbitmq.client.DefaultConsumer(channel) {
              @Override
              public void handleDelivery(String consumerTag, com.rabbitmq.client.Envelope envelope,
                  com.rabbitmq.client.AMQP.BasicProperties properties, byte[] data) throws java.io.IOException {
                channel.basicAck(envelope.getDeliveryTag(), false);
                if (data.length == 0 || "fluxgate.marker".equals(properties.getType())) {
                  return;
                }
                JsonObject body = new JsonObject(new String(data, StandardCharsets.UTF_8));
                StringBuilder text = new StringBuilder("exchange: ").append(envelope.getExchange())
                    .append("\nrouting key: ").append(envelope.getRoutingKey())
                    .append("\nqueue: ").append(queue).append(" (x-queue-type stream)\n");
                List<String> fields = new ArrayList<>(List.of("exchange", "routing key"));
                property(text, fields, "message_id", properties.getMessageId());
                property(text, fields, "content_type", properties.getContentType());
                property(text, fields, "delivery_mode", properties.getDeliveryMode());
                property(text, fields, "timestamp", properties.getTimestamp() == null ? null
                    : properties.getTimestamp().toInstant());
                property(text, fields, "app_id", properties.getAppId());
                text.append('\n').append(body.encode());
                received.add(new CapturedEvent("rabbitmq", body.getString("operation"), body, fields,
                    text.toString()));
              }
            });
        CapturedEvent next;
        while ((next = received.poll(1, java.util.concurrent.TimeUnit.SECONDS)) != null) {
          events.add(next);
        }
        channel.basicCancel(tag);
        channel.close();
      }
    }
    return events;
  }

  private static void property(StringBuilder text, List<String> fields, String name, Object value) {
    if (value != null) {
      text.append(name).append(": ").append(value).append('\n');
      fields.add(name);
    }
  }

  /** Every row of the {@code events} table of the test's streams, by sequence. */
  static List<CapturedEvent> sql(Connection db, EventStoreConfig config) throws Exception {
    List<CapturedEvent> events = new ArrayList<>();
    for (String stream : STREAMS) {
      try (var query = db.prepareStatement("SELECT * FROM events WHERE stream = ? ORDER BY seq")) {
        query.setString(1, config.prefix() + "." + stream);
        try (ResultSet rows = query.executeQuery()) {
          ResultSetMetaData columns = rows.getMetaData();
          while (rows.next()) {
            StringBuilder text = new StringBuilder("SELECT * FROM events → one row\n");
            List<String> fields = new ArrayList<>();
            for (int c = 1; c <= columns.getColumnCount(); c++) {
              String column = columns.getColumnLabel(c).toLowerCase();
              fields.add(column);
              text.append(String.format("  %-12s %s%n", column, rows.getString(c)));
            }
            JsonObject body = new JsonObject(rows.getString("body"));
            events.add(new CapturedEvent("sql", body.getString("operation"), body, fields, text.toString()));
          }
        }
      }
    }
    return events;
  }
}
