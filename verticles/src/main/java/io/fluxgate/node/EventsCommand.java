package io.fluxgate.node;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.config.ConfigException;
import io.fluxgate.config.ConfigTree;
import io.fluxgate.events.EventStore;
import io.fluxgate.events.EventStore.StartFrom;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.events.EventStores;
import io.fluxgate.sql.Database;
import io.fluxgate.sql.DatabaseConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code fluxgate events …}: tools on the event log. */
@Command(name = "events", mixinStandardHelpOptions = true, description = "Work with the event log.",
    subcommands = {EventsCommand.Tail.class, EventsReplay.class, EventsOutbox.class})
final class EventsCommand implements Runnable {

  @ParentCommand
  Fluxgate parent;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Where the event tools find the log: the same configuration (file and {@code FG_*} variables) as serve. */
  record LogSettings(DatabaseConfig db, EventStoreConfig es) {

    static LogSettings load(Fluxgate fluxgate, Path config) {
      ConfigTree tree = ConfigTree.load(config, fluxgate.env);
      return new LogSettings(DatabaseConfig.from(tree, NodeConfig.from(tree).dataDir()), EventStoreConfig.from(tree));
    }
  }

  /** Waits for {@code future} on the command's own thread (never an event loop). */
  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get();
  }

  /** {@code fluxgate events tail}: prints a stream of the configured store as JSON lines. */
  @Command(name = "tail", mixinStandardHelpOptions = true,
      description = "Print the events of one stream of the configured store as JSON lines, live.")
  static final class Tail implements Callable<Integer> {

    @ParentCommand
    EventsCommand events;

    @Option(names = "--config", paramLabel = "FILE", description = "Configuration file, as for serve.")
    Path config;

    @Option(names = "--stream", required = true, paramLabel = "STREAM",
        description = "A stream without its prefix (users, things, things.dlq, ...) or with it (fluxgate.things).")
    String stream;

    @Option(names = "--from", defaultValue = "now", paramLabel = "WHERE",
        description = "beginning (replay what the store retains) or now (default).")
    String from;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N",
        description = "Exit after N events (default 0: run until interrupted).")
    long limit;

    @Override
    public Integer call() throws Exception {
      Fluxgate fluxgate = events.parent;
      LogSettings settings = LogSettings.load(fluxgate, config);
      DatabaseConfig dbConfig = settings.db();
      EventStoreConfig esConfig = settings.es();
      StartFrom start = switch (from.toLowerCase(Locale.ROOT)) {
        case "beginning" -> StartFrom.BEGINNING;
        case "now" -> StartFrom.NOW;
        default -> throw new ConfigException("invalid option --from = '" + from + "': expected beginning or now");
      };
      String fullStream = stream.startsWith(esConfig.prefix() + ".") ? stream : esConfig.prefix() + "." + stream;
      PrintWriter out = fluxgate.spec.commandLine().getOut();

      Vertx vertx = Vertx.vertx();
      CountDownLatch done = new CountDownLatch(1);
      AtomicLong printed = new AtomicLong();
      try {
        Future<Database> db = EventStores.usesStateDatabase(esConfig)
            ? Database.open(vertx, dbConfig) : Future.succeededFuture(null);
        EventStore store = db.compose(d -> EventStores.open(vertx, esConfig, d))
            .toCompletionStage().toCompletableFuture().get();
        store.tail(fullStream, start, (DomainEvent event) -> {
          long n = printed.incrementAndGet();
          if (limit > 0 && n > limit) {
            return;
          }
          out.println(event.toJson().encode());
          out.flush();
          if (n == limit) {
            done.countDown();
          }
        }).toCompletionStage().toCompletableFuture().get();
        Runtime.getRuntime().addShutdownHook(new Thread(done::countDown));
        done.await();
        store.close().toCompletionStage().toCompletableFuture().get();
      } finally {
        vertx.close().toCompletionStage().toCompletableFuture().get();
      }
      return 0;
    }
  }
}
