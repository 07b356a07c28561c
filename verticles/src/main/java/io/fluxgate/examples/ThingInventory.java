package io.fluxgate.examples;

import io.fluxgate.codecs.DomainEvent;
import io.fluxgate.config.ConfigTree;
import io.fluxgate.events.EventStore;
import io.fluxgate.events.EventStoreConfig;
import io.fluxgate.events.EventStores;
import io.fluxgate.events.fold.Entities;
import io.fluxgate.events.fold.EntityChange;
import io.fluxgate.node.NodeConfig;
import io.fluxgate.sql.Database;
import io.fluxgate.sql.DatabaseConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Example: a durable consumer of the things stream that keeps its own inventory of things (name and status) with
 * the shared fold ({@link Entities}: revision order, stale duplicates ignored), saves it to a JSON file after
 * each change, and after a restart resumes from its cursor in the store without missing or double-counting.
 *
 * <pre>java -cp fluxgate.jar io.fluxgate.examples.ThingInventory inventory.json</pre>
 * (the event store and database come from the same configuration as {@code fluxgate serve}).
 */
public final class ThingInventory {

  /** The consumer name: the store keeps this consumer's cursor under it. */
  public static final String CONSUMER = "thing-inventory";

  /** What the inventory knows of a thing. */
  public record Item(String name, String status) {}

  /** A things-stream event about one thing, as the fold reads it. */
  record Change(String key, long revision, boolean removes, JsonObject fields) implements EntityChange {}

  private final Entities<Item, Change> things = new Entities<>(ThingInventory::evolve);
  private final Map<String, Long> removed = new TreeMap<>();
  private final Vertx vertx;
  private final Path file;
  private final Consumer<String> out;

  /** An inventory saved in {@code file}, read back from it if it exists. */
  public ThingInventory(Vertx vertx, Path file, Consumer<String> out) throws IOException {
    this.vertx = vertx;
    this.file = file;
    this.out = out;
    if (Files.exists(file)) {
      JsonObject saved = new JsonObject(Files.readString(file));
      saved.getJsonObject("things", new JsonObject()).forEach(e -> {
        JsonObject thing = (JsonObject) e.getValue();
        things.seed(e.getKey(), thing.getLong("revision"), new Item(thing.getString("name"), thing.getString("status")));
      });
      saved.getJsonObject("removed", new JsonObject()).forEach(e -> {
        removed.put(e.getKey(), ((Number) e.getValue()).longValue());
        things.seed(e.getKey(), ((Number) e.getValue()).longValue(), null);
      });
    }
  }

  /** Subscribes to {@code stream} (e.g. {@code fluxgate.things}) as {@link #CONSUMER}, from the beginning. */
  public Future<EventStore.Subscription> start(EventStore store, String stream) {
    return store.subscribe(stream, CONSUMER, EventStore.StartFrom.BEGINNING, this::handle);
  }

  /** The things the inventory holds now, by id. */
  public Map<String, Item> current() {
    return new TreeMap<>(things.current());
  }

  private Future<Void> handle(DomainEvent event) {
    // Only changes of things carry a revision; reads (thing.view) and other aggregates are not the inventory's.
    if (!event.operation().startsWith("thing.") || event.revision() == DomainEvent.NO_REVISION
        || event.fields().getString("id") == null) {
      return Future.succeededFuture();
    }
    String id = event.fields().getString("id");
    boolean removes = event.operation().equals("thing.remove");
    if (!things.apply(new Change(id, event.revision(), removes, event.fields()))) {
      return Future.succeededFuture();
    }
    if (removes) {
      removed.put(id, event.revision());
      out.accept("removed " + id + "; " + things.size() + " things");
    } else {
      Item item = things.get(id);
      out.accept(id + " " + item.name() + " " + item.status() + " (revision " + event.revision() + "); "
          + things.size() + " things");
    }
    // The cursor moves only once the file holds the change: a crash in between replays the event, which is stale.
    return save();
  }

  private static Item evolve(Item before, Change change) {
    Item item = before == null ? new Item("", "") : before;
    return new Item(change.fields().getString("name", item.name()), change.fields().getString("status", item.status()));
  }

  private Future<Void> save() {
    JsonObject saved = new JsonObject();
    JsonObject live = new JsonObject();
    things.current().forEach((id, item) -> live.put(id, new JsonObject().put("name", item.name())
        .put("status", item.status()).put("revision", things.revision(id))));
    saved.put("things", live).put("removed", new JsonObject(new TreeMap<>(removed)));
    String text = saved.encodePrettily();
    return vertx.executeBlocking(() -> {
      Path next = file.resolveSibling(file.getFileName() + ".next");
      Files.writeString(next, text);
      Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return null;
    });
  }

  /** Runs the inventory against the configured store until stopped. */
  public static void main(String[] args) throws Exception {
    Path file = Path.of(args.length > 0 ? args[0] : "inventory.json");
    ConfigTree tree = ConfigTree.load(ConfigTree.DEFAULT_FILE, System.getenv());
    EventStoreConfig config = EventStoreConfig.from(tree);
    Vertx vertx = Vertx.vertx();
    Database db = EventStores.usesStateDatabase(config)
        ? Database.open(vertx, DatabaseConfig.from(tree, NodeConfig.from(tree).dataDir())).await()
        : null;
    EventStore store = EventStores.open(vertx, config, db).await();
    ThingInventory inventory = new ThingInventory(vertx, file, System.out::println);
    vertx.runOnContext(v -> inventory.start(store, config.prefix() + ".things"));
    System.err.println("inventory of " + config.prefix() + ".things in " + file + "; Ctrl-C stops");
  }
}
