package io.fluxgate.node;

import static io.fluxgate.node.EventsCommand.await;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.events.Outbox;
import io.fluxgate.sql.Database;
import io.fluxgate.sql.DatabaseConfig;
import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code fluxgate events outbox}: what waits in the outbox, the dead-letter table, and re-queueing from it. */
@Command(name = "outbox", mixinStandardHelpOptions = true,
    description = {"Show how many committed events wait for the event store and list the dead-letter table:"
        + " events the store kept refusing (es.max_attempts times while it accepted others).",
        "With --requeue, put dead events back into the outbox; a running node relays them within a second."})
final class EventsOutbox implements Callable<Integer> {

  @ParentCommand
  EventsCommand events;

  @Option(names = "--config", paramLabel = "FILE", description = "Configuration file, as for serve.")
  Path config;

  @Option(names = "--requeue", paramLabel = "EVENT_ID",
      description = "Re-queue one dead event by its event_id, or 'all' of them.")
  String requeue;

  @Option(names = "--limit", defaultValue = "100", paramLabel = "N", description = "List at most N dead events.")
  int limit;

  @Override
  public Integer call() throws Exception {
    Fluxgate fluxgate = events.parent;
    EventsCommand.LogSettings settings = EventsCommand.LogSettings.load(fluxgate, config);
    DatabaseConfig dbConfig = settings.db();
    EventStoreConfig esConfig = settings.es();
    PrintWriter out = fluxgate.spec.commandLine().getOut();
    Vertx vertx = Vertx.vertx();
    try {
      Database db = await(Database.open(vertx, dbConfig));
      try {
        Outbox outbox = new Outbox(db, esConfig.maxEventBytes());
        if (requeue != null) {
          int moved = await(outbox.requeue(requeue.equals("all") ? null : requeue));
          out.println("re-queued " + moved + " dead event" + (moved == 1 ? "" : "s") + " into the outbox");
          return moved == 0 && !requeue.equals("all") ? 1 : 0;
        }
        Outbox.Stats stats = await(outbox.stats());
        out.println("outbox: " + stats.rows() + " events wait for the store"
            + (stats.rows() == 0 ? "" : ", the oldest for " + ageSeconds(stats.oldestCreatedAt()) + " s"));
        out.println("dead-letter table: " + stats.deadRows() + " events");
        for (Outbox.DeadRow row : await(outbox.dead(limit))) {
          out.println("  " + row.eventId() + "  " + row.stream() + "  " + row.operation() + "  attempts "
              + row.attempts() + "  dead since " + Instant.ofEpochSecond(0, row.deadAt()) + "  last error: "
              + row.lastError());
        }
        return 0;
      } finally {
        await(db.close());
      }
    } finally {
      await(vertx.close());
    }
  }

  private static long ageSeconds(long createdAtNanos) {
    return (DomainEvent.nowNanos() - createdAtNanos) / 1_000_000_000L;
  }

}
