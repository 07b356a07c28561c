package io.fluxgate.node;

import static io.fluxgate.node.EventsCommand.await;

import io.fluxgate.codecs.Streams;
import io.fluxgate.config.ConfigException;
import io.fluxgate.events.EventStore;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.events.EventStores;
import io.fluxgate.sql.Database;
import io.fluxgate.sql.DatabaseConfig;
import io.fluxgate.things.ChannelRepository;
import io.fluxgate.things.ConnectionRepository;
import io.fluxgate.things.ThingRepository;
import io.fluxgate.things.ThingsFold;
import io.fluxgate.users.GroupRepository;
import io.fluxgate.users.PolicyRepository;
import io.fluxgate.users.UserRepository;
import io.fluxgate.users.UsersFold;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code fluxgate events replay}: rebuilds the non-secret state from the log and, with --verify, compares it. */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = "Rebuild the non-secret state from the event log; --verify compares it with the database.")
final class EventsReplay implements Callable<Integer> {

  @ParentCommand
  EventsCommand events;

  @Option(names = "--config", paramLabel = "FILE", description = "Configuration file, as for serve.")
  Path config;

  @Option(names = "--stream", defaultValue = "all", paramLabel = "STREAM", description = "users, things or all.")
  String stream;

  @Option(names = "--verify", description = "Compare the rebuilt state with the database; exit 1 on a difference.")
  boolean verify;

  @Override
  public Integer call() throws Exception {
    Fluxgate fluxgate = events.parent;
    EventsCommand.LogSettings settings = EventsCommand.LogSettings.load(fluxgate, config);
    DatabaseConfig dbConfig = settings.db();
    EventStoreConfig esConfig = settings.es();
    String which = stream.toLowerCase(Locale.ROOT);
    if (!List.of("users", "things", "all").contains(which)) {
      throw new ConfigException("invalid option --stream = '" + stream + "': expected users, things or all");
    }
    Streams streams = new Streams(esConfig.prefix());
    PrintWriter out = fluxgate.spec.commandLine().getOut();
    Progress progress = new Progress(out, System.console() != null);

    Vertx vertx = Vertx.vertx();
    try {
      Database db = await(Database.open(vertx, dbConfig));
      EventStore store = await(EventStores.open(vertx, esConfig, db));
      try {
        UsersFold users = new UsersFold();
        ThingsFold things = new ThingsFold();
        if (!which.equals("things")) {
          long n = await(store.readToEnd(streams.users(), e -> {
            users.apply(e);
            progress.tick();
          }));
          progress.done(streams.users(), n);
        }
        if (!which.equals("users")) {
          long n = await(store.readToEnd(streams.things(), e -> {
            things.apply(e);
            progress.tick();
          }));
          progress.done(streams.things(), n);
        }
        out.printf("rebuilt: %d users, %d groups, %d policies, %d things, %d channels, %d connections%n",
            users.users().size(), users.groups().size(), users.policies().size(), things.things().size(),
            things.channels().size(), things.connections().size());
        if (!verify) {
          return 0;
        }
        List<String> differences = new ArrayList<>();
        if (!which.equals("things")) {
          compare("user", users.users().current(), await(new UserRepository(db).all()), u -> u.id(),
              u -> u.toApi().put("role", u.roleName()), differences);
          compare("group", users.groups().current(), await(new GroupRepository(db).all()), g -> g.id(),
              g -> g.toApi(), differences);
          compare("policy", users.policies().current(), await(new PolicyRepository(db).all()),
              p -> p.subject() + "/" + p.object(), p -> p.toApi(), differences);
        }
        if (!which.equals("users")) {
          compare("thing", things.things().current(), await(new ThingRepository(db).all()), t -> t.id(),
              t -> t.toApi(""), differences);
          compare("channel", things.channels().current(), await(new ChannelRepository(db).all()), c -> c.id(),
              c -> c.toApi(), differences);
          compare("connection", things.connections().current(), await(new ConnectionRepository(db).all()),
              c -> c.thingId() + "/" + c.channelId(), c -> c.toApi(), differences);
        }
        differences.forEach(out::println);
        out.println(differences.isEmpty() ? "verified: the log and the database agree"
            : differences.size() + " difference(s) between the log and the database");
        out.flush();
        return differences.isEmpty() ? 0 : 1;
      } finally {
        await(store.close());
        await(db.close());
      }
    } finally {
      await(vertx.close());
    }
  }

  /** Adds a line per entity or field on which the rebuilt state and the database disagree. */
  private static <T> void compare(String entity, Map<String, T> rebuilt, List<T> stored, Function<T, String> key,
      Function<T, JsonObject> shown, List<String> differences) {
    Map<String, JsonObject> fromLog = new TreeMap<>();
    rebuilt.values().forEach(v -> fromLog.put(key.apply(v), shown.apply(v)));
    Map<String, JsonObject> fromDb = new TreeMap<>();
    stored.forEach(v -> fromDb.put(key.apply(v), shown.apply(v)));
    TreeSet<String> keys = new TreeSet<>(fromLog.keySet());
    keys.addAll(fromDb.keySet());
    for (String k : keys) {
      JsonObject log = fromLog.get(k);
      JsonObject db = fromDb.get(k);
      if (log == null) {
        differences.add(entity + " " + k + ": in the database, not in the log");
      } else if (db == null) {
        differences.add(entity + " " + k + ": in the log, not in the database");
      } else {
        TreeSet<String> fields = new TreeSet<>(log.fieldNames());
        fields.addAll(db.fieldNames());
        for (String field : fields) {
          Object a = log.getValue(field);
          Object b = db.getValue(field);
          if (a == null ? b != null : !a.equals(b)) {
            differences.add(entity + " " + k + " " + field + ": log " + show(a) + ", database " + show(b));
          }
        }
      }
    }
  }

  private static String show(Object value) {
    return value == null ? "(absent)" : value instanceof String text ? "'" + text + "'" : String.valueOf(value);
  }


  /** Events/s on a terminal, refreshed in place; nothing but the totals elsewhere. */
  private static final class Progress {
    private final PrintWriter out;
    private final boolean terminal;
    private final long started = System.nanoTime();
    private long count;
    private long shownAt;

    Progress(PrintWriter out, boolean terminal) {
      this.out = out;
      this.terminal = terminal;
    }

    void tick() {
      count++;
      long now = System.nanoTime();
      if (terminal && now - shownAt > 200_000_000L) {
        shownAt = now;
        out.printf("\r%,d events, %,.0f events/s", count, rate(now));
        out.flush();
      }
    }

    void done(String stream, long n) {
      if (terminal) {
        out.print("\r");
      }
      out.printf("%s: %d events (%,.0f events/s overall)%n", stream, n, rate(System.nanoTime()));
      out.flush();
    }

    private double rate(long now) {
      double seconds = Math.max(1e-9, (now - started) / 1e9);
      return count / seconds;
    }
  }
}
