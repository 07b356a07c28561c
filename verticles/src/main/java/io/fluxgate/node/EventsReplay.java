package io.fluxgate.node;

import static io.fluxgate.node.EventsCommand.await;

import io.fluxgate.bootstrap.BootstrapFold;
import io.fluxgate.bootstrap.BootstrapRepository;
import io.fluxgate.bootstrap.ConfigChannel;
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

  @Option(names = "--stream", defaultValue = "all", paramLabel = "STREAM", description = "users, things, bootstrap or all.")
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
    if (!List.of("users", "things", "bootstrap", "all").contains(which)) {
      throw new ConfigException("invalid option --stream = '" + stream
          + "': expected users, things, bootstrap or all");
    }
    boolean users = which.equals("users") || which.equals("all");
    boolean things = which.equals("things") || which.equals("all");
    boolean bootstrap = which.equals("bootstrap") || which.equals("all");
    Streams streams = new Streams(esConfig.prefix());
    PrintWriter out = fluxgate.spec.commandLine().getOut();
    Progress progress = new Progress(out, System.console() != null);

    Vertx vertx = Vertx.vertx();
    try {
      Database db = await(Database.open(vertx, dbConfig));
      EventStore store = await(EventStores.open(vertx, esConfig, db));
      try {
        UsersFold usersFold = new UsersFold(true);
        ThingsFold thingsFold = new ThingsFold(true);
        BootstrapFold bootstrapFold = new BootstrapFold(true);
        if (users) {
          long n = await(store.readToEnd(streams.users(), e -> {
            usersFold.apply(e);
            progress.tick();
          }));
          usersFold.flush();
          progress.done(streams.users(), n);
        }
        if (things) {
          long n = await(store.readToEnd(streams.things(), e -> {
            thingsFold.apply(e);
            progress.tick();
          }));
          thingsFold.flush();
          progress.done(streams.things(), n);
        }
        if (bootstrap) {
          long n = await(store.readToEnd(streams.bootstrap(), e -> {
            bootstrapFold.apply(e);
            progress.tick();
          }));
          bootstrapFold.flush();
          progress.done(streams.bootstrap(), n);
        }
        out.printf("rebuilt: %d users, %d groups, %d policies, %d things, %d channels, %d connections,"
            + " %d bootstrap configs, %d bootstrap channels%n",
            usersFold.users().size(), usersFold.groups().size(), usersFold.policies().size(),
            thingsFold.things().size(), thingsFold.channels().size(), thingsFold.connections().size(),
            bootstrapFold.configCount(), bootstrapFold.channels().size());
        if (!verify) {
          return 0;
        }
        List<String> differences = new ArrayList<>();
        if (users) {
          compare("user", usersFold.users().current(), await(new UserRepository(db).all()), u -> u.id(),
              u -> u.toApi().put("role", u.roleName()), differences);
          compare("group", usersFold.groups().current(), await(new GroupRepository(db).all()), g -> g.id(),
              g -> g.toApi(), differences);
          compare("policy", usersFold.policies().current(), await(new PolicyRepository(db).all()),
              p -> p.subject() + "/" + p.object(), p -> p.toApi(), differences);
        }
        if (things) {
          compare("thing", thingsFold.things().current(), await(new ThingRepository(db).all()), t -> t.id(),
              t -> t.toApi(""), differences);
          compare("channel", thingsFold.channels().current(), await(new ChannelRepository(db).all()), c -> c.id(),
              c -> c.toApi(), differences);
          compare("connection", thingsFold.connections().current(), await(new ConnectionRepository(db).all()),
              c -> c.thingId() + "/" + c.channelId(), c -> c.toApi(), differences);
        }
        if (bootstrap) {
          BootstrapRepository configs = BootstrapRepository.withoutSecrets(db);
          compare("bootstrap config", bootstrapFold.configs(), await(configs.all()), c -> c.thingId(),
              c -> c.toJson(), differences);
          Map<String, JsonObject> rebuiltCopies = new TreeMap<>();
          bootstrapFold.channels().current().forEach((id, c) -> rebuiltCopies.put(id,
              copy(c, bootstrapFold.channels().revision(id))));
          compare("bootstrap channel", rebuiltCopies, await(configs.channelCopies()).stream()
              .map(c -> copy(c.channel(), c.revision())).toList(), c -> c.getString("id"), c -> c, differences);
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

  private static JsonObject copy(ConfigChannel channel, long revision) {
    return new JsonObject().put("id", channel.id()).put("name", channel.name())
        .put("metadata", channel.metadata()).put("revision", revision);
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
