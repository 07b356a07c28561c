package io.fluxgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.testing.PlatformNode;
import io.fluxgate.testing.TestStores;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalogue of {@code docs/events.md} against the code: {@code fluxgate e2e} runs against a node on each
 * store, the events are read back with the store's own client, and the documented operations and fields must be
 * exactly what was emitted. With {@code -Dcatalogue.write=true} it rewrites the captured examples in the docs
 * ({@code scripts/event-catalogue.sh}); otherwise the committed examples must have the shape captured today.
 */
@Timeout(600)
class EventCatalogueTest {

  static final Path DOCS = Path.of("..", "docs", "events.md").toAbsolutePath().normalize();
  static final String START = "<!-- examples:start (written by scripts/event-catalogue.sh) -->";
  static final String END = "<!-- examples:end -->";
  static final Set<String> ENVELOPE = Set.of("operation", "occurred_at", "event_id", "instance", "revision");

  /** The stores the catalogue shows, in the order of the docs. */
  enum CatalogueStore {
    NATS("NATS JetStream"), REDIS("Redis Streams"), RABBITMQ("RabbitMQ"), SQL("SQL log (embedded H2, PostgreSQL)");

    final String title;

    CatalogueStore(String title) {
      this.title = title;
    }
  }

  @RegisterExtension
  static final GreenMailExtension SMTP = new GreenMailExtension(
      new ServerSetup(TestStores.freePort(), "127.0.0.1", ServerSetup.PROTOCOL_SMTP));

  @TempDir
  Path dataDir;

  @Test
  void docsListExactlyWhatEveryStoreHoldsAfterAnEndToEndRun() throws Exception {
    DocumentedCatalogue documented = DocumentedCatalogue.read(DOCS);
    assertThat(documented.operations()).as("operations documented in " + DOCS).hasSizeGreaterThan(50);
    Map<CatalogueStore, List<CapturedEvent>> captured = new LinkedHashMap<>();
    for (CatalogueStore store : CatalogueStore.values()) {
      captured.put(store, runOn(store, documented));
    }

    List<String> problems = new ArrayList<>();
    captured.forEach((store, events) -> problems.addAll(disagreements(store, documented, events)));
    String examples = examples(documented, captured);
    String docs = Files.readString(DOCS);
    if (Boolean.getBoolean("catalogue.write")) {
      Files.writeString(DOCS, replaceExamples(docs, examples));
    } else {
      Map<String, String> committed = shapes(docs);
      Map<String, String> today = shapes(START + "\n" + examples + END);
      for (String operation : new TreeSet<>(today.keySet())) {
        if (!today.get(operation).equals(committed.get(operation))) {
          problems.add("the committed example of " + operation + " has " + committed.get(operation) + ", today "
              + today.get(operation) + ": run scripts/event-catalogue.sh");
        }
      }
      committed.keySet().stream().filter(op -> !today.containsKey(op))
          .forEach(op -> problems.add("docs show an example of " + op + " that no store held today"));
    }
    assertThat(problems).as("docs/events.md against the code").isEmpty();
  }

  /** Starts a node on {@code store}, tours it with the e2e run, and reads the store back. */
  private List<CapturedEvent> runOn(CatalogueStore store, DocumentedCatalogue documented) throws Exception {
    Map<String, String> overrides = new HashMap<>();
    overrides.put("FG_SMTP_HOST", "127.0.0.1");
    overrides.put("FG_SMTP_PORT", String.valueOf(SMTP.getSmtp().getPort()));
    overrides.put("FG_SMTP_STARTTLS", "disabled");
    overrides.put("FG_USERS_RESET_URL", "https://console.example.com/password/reset");
    EventStoreConfig es = switch (store) {
      case NATS -> TestStores.events("nats", TestStores.NATS_URL);
      case REDIS -> TestStores.events("redis", TestStores.REDIS_URL);
      case RABBITMQ -> TestStores.events("rabbitmq", TestStores.RABBITMQ_URL);
      case SQL -> TestStores.events("sql", "");
    };
    overrides.put("FG_ES_TYPE", es.type());
    if (!es.url().isEmpty()) {
      overrides.put("FG_ES_URL", es.url());
    }
    overrides.put("FG_ES_PREFIX", es.prefix());
    Map<String, String> env = PlatformNode.env("catalogue-" + store.name().toLowerCase(), dataDir.resolve(store.name()),
        "all", overrides);
    try (PlatformNode node = PlatformNode.start(env, false)) {
      var target = new EndToEndRun.Target("127.0.0.1", node.port("users"), node.port("things"),
          node.port("bootstrap"), node.port("http"), node.port("mqtt"));
      StringWriter progress = new StringWriter();
      new EndToEndRun(new EndToEndRun.Options(target, PlatformNode.ADMIN, PlatformNode.ADMIN_SECRET, "e2e", 2, 3,
          false, 0, null, java.util.Base64.getDecoder().decode(Files.readString(dataDir.resolve(store.name())
              .resolve("bootstrap-encrypt.key")).trim())), new PrintWriter(progress), false).run();
      resetTheAdministratorsSecret(node);
      return awaitEveryOperation(store, es, env.get("FG_DB_URL"), documented).stream()
          .map(e -> new CapturedEvent(e.store(), e.operation(), e.body(), e.nativeFields(),
              e.rendering().replace(es.prefix(), "fluxgate")))
          .toList();
    } finally {
      switch (store) {
        case NATS -> TestStores.purgeNats(es);
        case REDIS -> TestStores.purgeRedis(es);
        case RABBITMQ -> TestStores.purgeRabbit(es);
        default -> { }
      }
    }
  }

  /** The one operation a tour through public interfaces cannot reach: a reset needs the mailed token. */
  private void resetTheAdministratorsSecret(PlatformNode node) throws Exception {
    int before = SMTP.getReceivedMessages().length;
    post(node, "/password/reset-request", new JsonObject().put("email", PlatformNode.ADMIN));
    assertThat(SMTP.waitForIncomingEmail(10_000, before + 1)).as("reset mail").isTrue();
    String body = GreenMailUtil.getBody(SMTP.getReceivedMessages()[before]);
    Matcher link = Pattern.compile("token=(\\S+)").matcher(body);
    assertThat(link.find()).as(body).isTrue();
    var reset = io.fluxgate.testing.Await.result(node.http.put(node.port("users"), "127.0.0.1", "/password/reset")
        .sendJsonObject(new JsonObject().put("token", link.group(1)).put("password", PlatformNode.ADMIN_SECRET)
            .put("confirm_password", PlatformNode.ADMIN_SECRET)));
    assertThat(reset.statusCode()).as(reset.bodyAsString()).isEqualTo(201);
  }

  private static void post(PlatformNode node, String path, JsonObject body) {
    var response = io.fluxgate.testing.Await.result(node.http.post(node.port("users"), "127.0.0.1", path)
        .sendJsonObject(body));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
  }

  /** Reads the store until it holds every documented operation (events land after their answers), or 30 s. */
  private static List<CapturedEvent> awaitEveryOperation(CatalogueStore store, EventStoreConfig es, String dbUrl,
      DocumentedCatalogue documented) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      List<CapturedEvent> events = capture(store, es, dbUrl);
      Set<String> seen = events.stream().map(CapturedEvent::operation).collect(Collectors.toSet());
      if (seen.containsAll(documented.operations().keySet()) || System.nanoTime() > deadline) {
        return events;
      }
      Thread.sleep(200);
    }
  }

  private static List<CapturedEvent> capture(CatalogueStore store, EventStoreConfig es, String dbUrl)
      throws Exception {
    return switch (store) {
      case NATS -> StoreCaptures.nats(es);
      case REDIS -> StoreCaptures.redis(es);
      case RABBITMQ -> StoreCaptures.rabbit(es);
      case SQL -> {
        try (var db = DriverManager.getConnection(dbUrl + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE", "sa", "")) {
          yield StoreCaptures.sql(db, es);
        }
      }
    };
  }

  /** What the docs and the events of one store disagree on. */
  static List<String> disagreements(CatalogueStore store, DocumentedCatalogue documented, List<CapturedEvent> events) {
    List<String> problems = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (CapturedEvent event : events) {
      seen.add(event.operation());
      DocumentedCatalogue.Entry entry = documented.operations().get(event.operation());
      if (entry == null) {
        problems.add(store + ": " + event.operation() + " is emitted but not documented");
        continue;
      }
      for (String field : event.body().fieldNames()) {
        if (!ENVELOPE.contains(field) && !entry.lists(field)) {
          problems.add(store + ": " + event.operation() + " carries " + field + ", which the docs do not list");
        }
      }
      for (String field : entry.required()) {
        if (!event.body().containsKey(field)) {
          problems.add(store + ": " + event.operation() + " lacks the required " + field + ": " + event.body());
        }
      }
    }
    documented.operations().keySet().stream().filter(op -> !seen.contains(op))
        .forEach(op -> problems.add(store + ": " + op + " is documented but was not emitted by the e2e run"));
    return problems.stream().distinct().toList();
  }

  /** The examples section: per operation, its fields as captured and the first event of it in every store. */
  static String examples(DocumentedCatalogue documented, Map<CatalogueStore, List<CapturedEvent>> captured) {
    StringBuilder out = new StringBuilder();
    String stream = null;
    for (Map.Entry<String, DocumentedCatalogue.Entry> operation : documented.operations().entrySet()) {
      if (!operation.getValue().stream().equals(stream)) {
        stream = operation.getValue().stream();
        out.append("\n### ").append(stream).append(" stream: examples\n");
      }
      Set<String> fields = new TreeSet<>();
      captured.values().forEach(events -> events.stream().filter(e -> e.operation().equals(operation.getKey()))
          .forEach(e -> fields.addAll(e.body().fieldNames())));
      out.append("\n#### `").append(operation.getKey()).append("`\n\n");
      out.append("fields seen: `").append(String.join(", ", fields)).append("`\n\n");
      out.append("<details><summary>as stored</summary>\n\n");
      captured.forEach((store, events) -> events.stream().filter(e -> e.operation().equals(operation.getKey()))
          .findFirst().ifPresent(e -> out.append(store.title).append(":\n\n```\n")
              .append(e.rendering().stripTrailing()).append("\n```\n\n")));
      out.append("</details>\n");
    }
    return out.toString();
  }

  private static final Pattern SHAPE = Pattern.compile("^#### `([a-z_.]+)`\\s*\\n\\s*\\nfields seen: `([^`]*)`",
      Pattern.MULTILINE);

  /** Operation to its "fields seen" line, from an examples section. */
  static Map<String, String> shapes(String text) {
    int start = text.indexOf(START);
    int end = text.indexOf(END);
    Map<String, String> shapes = new LinkedHashMap<>();
    if (start < 0 || end < start) {
      return shapes;
    }
    Matcher m = SHAPE.matcher(text.substring(start, end));
    while (m.find()) {
      shapes.put(m.group(1), m.group(2));
    }
    return shapes;
  }

  static String replaceExamples(String docs, String examples) {
    int start = docs.indexOf(START);
    int end = docs.indexOf(END);
    if (start < 0 || end < start) {
      throw new IllegalStateException("docs/events.md has no examples markers: add " + START + " and " + END);
    }
    return docs.substring(0, start) + START + "\n" + examples + END + docs.substring(end + END.length());
  }
}
