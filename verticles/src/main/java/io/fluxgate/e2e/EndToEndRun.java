package io.fluxgate.e2e;

import static io.fluxgate.e2e.PlatformClient.Service.BOOTSTRAP;
import static io.fluxgate.e2e.PlatformClient.Service.THINGS;
import static io.fluxgate.e2e.PlatformClient.Service.USERS;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One tour of a running deployment through its public interfaces only: users, groups, policies, things,
 * channels, bootstrap configs, device bootstrap, connections, MQTT and HTTP messages, and the clean-up, so that
 * every operation of the event catalogue happens at least once.
 */
public final class EndToEndRun {

  /** Where the deployment listens. */
  public record Target(String host, int usersPort, int thingsPort, int bootstrapPort, int httpPort, int mqttPort) {}

  /** What to do: how many entities and messages, as whom, and how fast. */
  public record Options(Target target, String identity, String secret, String prefix, int entities,
      int messagesPerPair, boolean keep, double rate, Duration duration, byte[] bootstrapEncryptKey) {}

  /** What a run did: the time of each step (summed over rounds) and the timings of each call type. */
  public record Summary(int rounds, long elapsedMillis, Map<String, Long> stepMillis, CallTimings calls,
      List<String> notes) {}

  private static final List<String> STEPS = List.of("sign in", "users", "groups and policies", "things",
      "channels", "bootstrap configs", "device bootstrap", "connections", "messages", "disconnections",
      "clean-up");

  private final Options options;
  private final PrintWriter out;
  private final boolean terminal;
  private final CallTimings timings = new CallTimings();
  private final Pacer pacer;
  private final PlatformClient rest;
  private final Map<String, Long> stepMillis = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();
  private final SecureRandom random = new SecureRandom();

  // What the current round created, for the later steps and the clean-up.
  private String prefix;
  private String token;
  private String me;
  private final List<JsonObject> users = new ArrayList<>();
  private final List<String> groups = new ArrayList<>();
  private final List<MessageExchange.Device> things = new ArrayList<>();
  private final List<String> channels = new ArrayList<>();
  private final Map<String, String> externalKeys = new LinkedHashMap<>();
  private final List<String> configs = new ArrayList<>();
  private final List<String> extraThings = new ArrayList<>();

  public EndToEndRun(Options options, PrintWriter out, boolean terminal) {
    this.options = options;
    this.out = out;
    this.terminal = terminal;
    this.pacer = new Pacer(options.rate());
    this.rest = new PlatformClient(options.target(), timings, pacer);
  }

  /** Runs one round, or rounds until the duration has passed; throws {@link CallFailed} at the first failure. */
  public Summary run() {
    long start = System.nanoTime();
    int rounds = 0;
    do {
      rounds++;
      prefix = options.duration() == null ? options.prefix() : options.prefix() + "-r" + rounds;
      round();
    } while (options.duration() != null && System.nanoTime() - start < options.duration().toNanos());
    return new Summary(rounds, (System.nanoTime() - start) / 1_000_000, stepMillis, timings, notes);
  }

  private void round() {
    Progress progress = new Progress(out, terminal, timings, STEPS.size());
    Map<String, Runnable> steps = new LinkedHashMap<>();
    steps.put("sign in", this::signIn);
    steps.put("users", this::users);
    steps.put("groups and policies", this::groups);
    steps.put("things", this::things);
    steps.put("channels", this::channels);
    steps.put("bootstrap configs", this::bootstrapConfigs);
    steps.put("device bootstrap", this::deviceBootstrap);
    steps.put("connections", this::connections);
    steps.put("messages", this::messages);
    steps.put("disconnections", this::disconnections);
    steps.put("clean-up", this::cleanUp);
    try {
      for (Map.Entry<String, Runnable> step : steps.entrySet()) {
        progress.starting(step.getKey());
        long begin = System.nanoTime();
        step.getValue().run();
        long millis = (System.nanoTime() - begin) / 1_000_000;
        stepMillis.merge(step.getKey(), millis, Long::sum);
        progress.finished(step.getKey(), millis);
      }
    } catch (CallFailed failure) {
      progress.failed();
      if (token != null && !options.keep()) {
        cleanUpQuietly();
      }
      throw failure;
    } finally {
      forgetRound();
    }
  }

  private void signIn() {
    JsonObject pair = rest.call("user.issue_token", USERS, "POST", "/users/tokens/issue", null,
        new JsonObject().put("identity", options.identity()).put("secret", options.secret()), 200).json();
    JsonObject refreshed = rest.call("user.refresh_token", USERS, "POST", "/users/tokens/refresh",
        bearer(pair.getString("refresh_token")), null, 200).json();
    token = refreshed.getString("access_token");
    me = rest.call("user.view_profile", USERS, "GET", "/users/profile", bearer(token), null, 200).json()
        .getString("id");
  }

  private void users() {
    for (int i = 0; i < options.entities(); i++) {
      String secret = secret();
      JsonObject created = rest.call("user.create", USERS, "POST", "/users", bearer(token), new JsonObject()
          .put("name", prefix + "-user-" + i).put("tags", new JsonArray().add("e2e"))
          .put("metadata", new JsonObject().put("e2e", prefix))
          .put("credentials", new JsonObject().put("identity", prefix + "-user-" + i + "@e2e.example")
              .put("secret", secret)), 201).json();
      String id = created.getString("id");
      String path = "/users/" + id;
      rest.call("user.view", USERS, "GET", path, bearer(token), null, 200);
      rest.call("user.update", USERS, "PATCH", path, bearer(token), new JsonObject()
          .put("name", prefix + "-user-" + i + "-renamed").put("metadata", new JsonObject().put("e2e", prefix)
              .put("updated", true)), 200);
      rest.call("user.update_tags", USERS, "PATCH", path + "/tags", bearer(token),
          new JsonObject().put("tags", new JsonArray().add("e2e").add("updated")), 200);
      String identity = prefix + "-user-" + i + "-moved@e2e.example";
      rest.call("user.update_identity", USERS, "PATCH", path + "/identity", bearer(token),
          new JsonObject().put("identity", identity), 200);
      rest.call("user.update_owner", USERS, "PATCH", path + "/owner", bearer(token),
          new JsonObject().put("owner", me), 200);
      rest.call("user.change_status", USERS, "POST", path + "/disable", bearer(token), null, 200);
      rest.call("user.change_status", USERS, "POST", path + "/enable", bearer(token), null, 200);
      users.add(new JsonObject().put("id", id).put("identity", identity).put("secret", secret));
    }
    rest.call("user.list", USERS, "GET", "/users?limit=100&name=" + encode(prefix), bearer(token), null, 200);

    JsonObject first = users.get(0);
    String theirs = rest.call("user.issue_token", USERS, "POST", "/users/tokens/issue", null, new JsonObject()
        .put("identity", first.getString("identity")).put("secret", first.getString("secret")), 200).json()
        .getString("access_token");
    String changed = secret();
    rest.call("user.update_secret", USERS, "PATCH", "/users/secret", bearer(theirs), new JsonObject()
        .put("old_secret", first.getString("secret")).put("new_secret", changed), 200);
    first.put("secret", changed);
    // The change ended that user's tokens; a new sign-in, then a sign-out that ends it again.
    String again = rest.call("user.issue_token", USERS, "POST", "/users/tokens/issue", null, new JsonObject()
        .put("identity", first.getString("identity")).put("secret", changed), 200).json().getString("refresh_token");
    rest.call("user.revoke_token", USERS, "POST", "/users/tokens/revoke", bearer(again), null, 204);
    int reset = rest.call("user.generate_reset_token", USERS, "POST", "/password/reset-request", null,
        new JsonObject().put("email", first.getString("identity")), 201, 503, 429).status();
    if (reset == 503) {
      note("password reset is off on this deployment (FG_USERS_RESET_URL): no user.generate_reset_token");
    } else if (reset == 429) {
      note("password resets from this address are rate-limited (users.rate_reset): no user.generate_reset_token");
    }
  }

  private void groups() {
    for (int i = 0; i < options.entities(); i++) {
      JsonObject group = new JsonObject().put("name", prefix + "-group-" + i).put("description", "e2e group")
          .put("metadata", new JsonObject().put("e2e", prefix));
      if (i > 0) {
        group.put("parent_id", groups.get(0));
      }
      String id = rest.call("group.create", USERS, "POST", "/groups", bearer(token), group, 201).json()
          .getString("id");
      String path = "/groups/" + id;
      rest.call("group.view", USERS, "GET", path, bearer(token), null, 200);
      rest.call("group.update", USERS, "PUT", path, bearer(token), new JsonObject()
          .put("name", prefix + "-group-" + i + "-renamed").put("description", "updated by e2e")
          .put("metadata", new JsonObject().put("e2e", prefix).put("updated", true)), 200);
      rest.call("group.change_status", USERS, "POST", path + "/disable", bearer(token), null, 200);
      rest.call("group.change_status", USERS, "POST", path + "/enable", bearer(token), null, 200);
      groups.add(id);
    }
    rest.call("group.list", USERS, "GET", "/groups?limit=100", bearer(token), null, 200);
    rest.call("group.list", USERS, "GET", "/groups/" + groups.get(0) + "/children", bearer(token), null, 200);
    rest.call("group.list", USERS, "GET", "/groups/" + groups.get(groups.size() - 1) + "/parents", bearer(token),
        null, 200);

    String member = users.get(0).getString("id");
    JsonObject grant = new JsonObject().put("subject", member).put("object", groups.get(0))
        .put("actions", new JsonArray().add("g_list"));
    rest.call("policies.add", USERS, "POST", "/policies", bearer(token), grant, 201);
    rest.call("policies.list", USERS, "GET", "/policies?limit=100", bearer(token), null, 200);
    rest.call("policies.update", USERS, "PUT", "/policies", bearer(token),
        grant.copy().put("actions", new JsonArray().add("g_list").add("g_update")), 200);
    rest.call("user.list_by_group", USERS, "GET", "/groups/" + groups.get(0) + "/members", bearer(token), null, 200);
    rest.call("group.list_by_user", USERS, "GET", "/users/" + member + "/memberships", bearer(token), null, 200);
    rest.call("policies.delete", USERS, "DELETE", "/policies/" + member + "/" + groups.get(0), bearer(token), null,
        204);
  }

  private void things() {
    JsonArray requests = new JsonArray();
    for (int i = 0; i < options.entities(); i++) {
      requests.add(new JsonObject().put("name", prefix + "-thing-" + i).put("tags", new JsonArray().add("e2e"))
          .put("metadata", new JsonObject().put("e2e", prefix)));
    }
    JsonArray created = rest.call("thing.create", THINGS, "POST", "/things/bulk", bearer(token), requests, 201)
        .json().getJsonArray("things");
    for (int i = 0; i < created.size(); i++) {
      String id = created.getJsonObject(i).getString("id");
      String path = "/things/" + id;
      rest.call("thing.view", THINGS, "GET", path, bearer(token), null, 200);
      rest.call("thing.update", THINGS, "PATCH", path, bearer(token), new JsonObject()
          .put("name", prefix + "-thing-" + i + "-renamed").put("metadata", new JsonObject().put("e2e", prefix)
              .put("updated", true)), 200);
      rest.call("thing.update_tags", THINGS, "PATCH", path + "/tags", bearer(token),
          new JsonObject().put("tags", new JsonArray().add("e2e").add("updated")), 200);
      String key = secret();
      rest.call("thing.update_secret", THINGS, "PATCH", path + "/secret", bearer(token),
          new JsonObject().put("secret", key), 200);
      rest.call("thing.update_owner", THINGS, "PATCH", path + "/owner", bearer(token),
          new JsonObject().put("owner", me), 200);
      rest.call("thing.change_status", THINGS, "POST", path + "/disable", bearer(token), null, 200);
      rest.call("thing.change_status", THINGS, "POST", path + "/enable", bearer(token), null, 200);
      things.add(new MessageExchange.Device(id, key));
    }
    rest.call("thing.list", THINGS, "GET", "/things?limit=100&name=" + encode(prefix), bearer(token), null, 200);
    rest.call("thing.identify", THINGS, "POST", "/identify", null,
        new JsonObject().put("secret", things.get(0).key()), 200);
  }

  private void channels() {
    JsonArray requests = new JsonArray();
    for (int i = 0; i < options.entities(); i++) {
      requests.add(new JsonObject().put("name", prefix + "-channel-" + i).put("description", "e2e channel")
          .put("metadata", new JsonObject().put("e2e", prefix)));
    }
    JsonArray created = rest.call("channel.create", THINGS, "POST", "/channels/bulk", bearer(token), requests, 201)
        .json().getJsonArray("channels");
    for (int i = 0; i < created.size(); i++) {
      String id = created.getJsonObject(i).getString("id");
      String path = "/channels/" + id;
      rest.call("channel.view", THINGS, "GET", path, bearer(token), null, 200);
      rest.call("channel.update", THINGS, "PUT", path, bearer(token), new JsonObject()
          .put("name", prefix + "-channel-" + i + "-renamed").put("description", "updated by e2e")
          .put("metadata", new JsonObject().put("e2e", prefix).put("updated", true)), 200);
      rest.call("channel.change_status", THINGS, "POST", path + "/disable", bearer(token), null, 200);
      rest.call("channel.change_status", THINGS, "POST", path + "/enable", bearer(token), null, 200);
      channels.add(id);
    }
    rest.call("channel.list", THINGS, "GET", "/channels?limit=100&name=" + encode(prefix), bearer(token), null, 200);
  }

  private void bootstrapConfigs() {
    for (int i = 0; i < things.size(); i++) {
      String thing = things.get(i).id();
      String externalId = prefix + "-external-" + i;
      String externalKey = secret();
      rest.call("config.create", BOOTSTRAP, "POST", "/things/configs", bearer(token), new JsonObject()
          .put("external_id", externalId).put("external_key", externalKey).put("thing_id", thing)
          .put("name", prefix + "-config-" + i).put("channels", new JsonArray().add(channels.get(0)))
          .put("content", new JsonObject().put("interval_s", 10).encode()), 201);
      configs.add(thing);
      externalKeys.put(externalId, externalKey);
      String path = "/things/configs/" + thing;
      rest.call("config.view", BOOTSTRAP, "GET", path, bearer(token), null, 200);
      rest.call("config.update", BOOTSTRAP, "PUT", path, bearer(token), new JsonObject()
          .put("name", prefix + "-config-" + i + "-renamed")
          .put("content", new JsonObject().put("interval_s", 5).encode()), 200);
      rest.call("cert.update", BOOTSTRAP, "PATCH", "/things/configs/certs/" + thing, bearer(token), new JsonObject()
          .put("client_cert", SAMPLE_CERT).put("client_key", privateKeyPem()).put("ca_cert", SAMPLE_CERT), 200);
      // Configs keep only the first channel: the later connects of the others reach bootstrap as reactions.
      rest.call("thing.update_connections", BOOTSTRAP, "PUT", "/things/configs/connections/" + thing,
          bearer(token), new JsonObject().put("channels", new JsonArray().add(channels.get(0))), 200);
    }
    // A config naming no thing makes the bootstrap service create one through the things service.
    String externalId = prefix + "-external-new";
    PlatformClient.Answer created = rest.call("config.create", BOOTSTRAP, "POST", "/things/configs", bearer(token),
        new JsonObject().put("external_id", externalId).put("external_key", secret())
            .put("name", prefix + "-config-new"), 201);
    String thing = created.json().getString("thing_id");
    if (thing == null && created.location() != null) {
      thing = created.location().substring(created.location().lastIndexOf('/') + 1);
    }
    if (thing == null) {
      throw new CallFailed("config.create: the answer names no thing (no thing_id, no Location): " + created.body());
    }
    configs.add(thing);
    extraThings.add(thing);
    rest.call("config.list", BOOTSTRAP, "GET", "/things/configs?limit=100&name=" + encode(prefix), bearer(token),
        null, 200);
  }

  private void deviceBootstrap() {
    for (Map.Entry<String, String> device : externalKeys.entrySet()) {
      JsonObject config = rest.call("thing.bootstrap", BOOTSTRAP, "GET", "/things/bootstrap/"
          + encode(device.getKey()), "Thing " + device.getValue(), null, 200).json();
      if (config.getString("thing_id") == null || config.getString("thing_key") == null) {
        throw new CallFailed("thing.bootstrap: the configuration has no thing_id or thing_key: "
            + PlatformClient.abbreviated(config.encode()));
      }
    }
    Map.Entry<String, String> first = externalKeys.entrySet().iterator().next();
    if (options.bootstrapEncryptKey() == null) {
      note("secure bootstrap skipped: give the devices' key with --bootstrap-encrypt-key");
    } else {
      SecureBootstrap secure = new SecureBootstrap(options.bootstrapEncryptKey());
      PlatformClient.Answer sealed = rest.call("thing.bootstrap", BOOTSTRAP, "GET", "/things/bootstrap/secure/"
          + encode(first.getKey()), "Thing " + secure.credential(first.getValue()), null, 200);
      JsonObject config = secure.open(sealed.bytes());
      if (!things.get(0).id().equals(config.getString("thing_id"))) {
        throw new CallFailed("thing.bootstrap: the secure answer is not the first thing's configuration: "
            + PlatformClient.abbreviated(config.encode()));
      }
    }
    rest.call("thing.bootstrap", BOOTSTRAP, "GET", "/things/bootstrap/" + encode(first.getKey()),
        "Thing " + secret(), null, 401, 403, 404);
    // State 1 connects the thing to its config's channels through the things service, 0 disconnects it; the first
    // config stays active, so later disconnects of its thing reach bootstrap as reactions.
    String thing = configs.get(0);
    for (int state : new int[] {1, 0, 1}) {
      rest.call("thing.change_state", BOOTSTRAP, "PUT", "/things/state/" + thing, bearer(token),
          new JsonObject().put("state", state), 204);
    }
  }

  private void connections() {
    List<String> thingIds = things.stream().map(MessageExchange.Device::id).toList();
    String thing = thingIds.get(0);
    String channel = channels.get(0);
    // The first pair is connected already (its config is active): every other pair is connected here.
    connect(List.of(thing), channels.subList(1, channels.size()));
    connect(thingIds.subList(1, thingIds.size()), channels);
    rest.call("thing.disconnect", THINGS, "DELETE", "/policies/" + thing + "/" + channel, bearer(token), null, 204);
    JsonObject policy = new JsonObject().put("subject", thing).put("object", channel)
        .put("actions", new JsonArray().add("m_read"));
    rest.call("thing.connect", THINGS, "POST", "/policies", bearer(token), policy, 201);
    rest.call("thing.update_connection", THINGS, "PUT", "/policies", bearer(token),
        policy.copy().put("actions", new JsonArray().add("m_read").add("m_write")), 200);
    rest.call("channel.list_by_thing", THINGS, "GET", "/things/" + thing + "/channels", bearer(token), null, 200);
    rest.call("thing.list_by_channel", THINGS, "GET", "/channels/" + channel + "/things", bearer(token), null, 200);
    rest.call("channel.access", THINGS, "POST", "/channels/" + channel + "/access", "Thing " + things.get(0).key(),
        new JsonObject().put("action", "m_write"), 200);
    // A channel that configs hold, renamed: bootstrap renames it in those configs.
    rest.call("channel.update", THINGS, "PUT", "/channels/" + channel, bearer(token), new JsonObject()
        .put("name", prefix + "-channel-0-connected").put("description", "connected by e2e")
        .put("metadata", new JsonObject().put("e2e", prefix).put("connected", true)), 200);
  }

  private void connect(List<String> thingIds, List<String> channelIds) {
    if (thingIds.isEmpty() || channelIds.isEmpty()) {
      return;
    }
    rest.call("thing.connect", THINGS, "POST", "/connect", bearer(token), new JsonObject()
        .put("subjects", new JsonArray(thingIds)).put("objects", new JsonArray(channelIds))
        .put("actions", new JsonArray().add("m_read").add("m_write")), 201);
  }

  private void messages() {
    try (MessageExchange exchange = new MessageExchange(options.target(), timings, pacer, prefix)) {
      exchange.connect(things, channels);
      exchange.publish(channels, options.messagesPerPair(), rest);
      exchange.awaitDelivery();
    }
  }

  private void disconnections() {
    rest.call("thing.disconnect", THINGS, "POST", "/disconnect", bearer(token), new JsonObject()
        .put("subjects", new JsonArray(things.stream().map(MessageExchange.Device::id).toList()))
        .put("objects", new JsonArray(channels)), 204);
  }

  private void cleanUp() {
    if (options.keep()) {
      note("--keep: left " + prefix + "-* in place");
      return;
    }
    // The config of the thing bootstrap created goes by its own call; the others go with their things, removed
    // after the channels, so bootstrap reacts to both (channels leave configs, a removed thing's config goes).
    for (String thing : List.copyOf(extraThings)) {
      rest.call("config.remove", BOOTSTRAP, "DELETE", "/things/configs/" + thing, bearer(token), null, 204);
      configs.remove(thing);
    }
    for (String channel : List.copyOf(channels)) {
      rest.call("channel.remove", THINGS, "DELETE", "/channels/" + channel, bearer(token), null, 204);
      channels.remove(channel);
    }
    for (String thing : allThings()) {
      rest.call("thing.remove", THINGS, "DELETE", "/things/" + thing, bearer(token), null, 204);
      things.removeIf(t -> t.id().equals(thing));
      extraThings.remove(thing);
      configs.remove(thing);
    }
    // Groups and users cannot be deleted through the API: they are disabled instead.
    for (String group : List.copyOf(groups)) {
      rest.call("group.change_status", USERS, "POST", "/groups/" + group + "/disable", bearer(token), null, 200);
      groups.remove(group);
    }
    for (JsonObject user : List.copyOf(users)) {
      rest.call("user.change_status", USERS, "POST", "/users/" + user.getString("id") + "/disable", bearer(token),
          null, 200);
      users.remove(user);
    }
  }

  /** After a failure: removes what it can and keeps the first failure as the run's answer. */
  private void cleanUpQuietly() {
    try {
      cleanUp();
    } catch (CallFailed alsoFailed) {
      note("clean-up after the failure stopped at: " + alsoFailed.getMessage());
    }
  }

  private List<String> allThings() {
    List<String> all = new ArrayList<>(things.stream().map(MessageExchange.Device::id).toList());
    all.addAll(extraThings);
    return all;
  }

  private void forgetRound() {
    users.clear();
    groups.clear();
    things.clear();
    channels.clear();
    externalKeys.clear();
    configs.clear();
    extraThings.clear();
  }

  private void note(String note) {
    if (!notes.contains(note)) {
      notes.add(note);
    }
  }

  private String secret() {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  private static String bearer(String token) {
    return "Bearer " + token;
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** A fresh device private key for each run (PKCS#8 PEM): a private key never lives in the repository. */
  private static String privateKeyPem() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(256);
      byte[] der = generator.generateKeyPair().getPrivate().getEncoded();
      return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
          .encodeToString(der) + "\n-----END PRIVATE KEY-----\n";
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("no EC key generator in this JVM", e);
    }
  }

  /** A public self-signed sample certificate (CN=fluxgate-e2e-device): certificates are not secrets. */
  private static final String SAMPLE_CERT =
      "-----BEGIN CERTIFICATE-----\n" +
      "MIIBlDCCATmgAwIBAgIUP/BQbPDx3I8zL0DZTvx716dOK3IwCgYIKoZIzj0EAwIw\n" +
      "HjEcMBoGA1UEAwwTZmx1eGdhdGUtZTJlLWRldmljZTAgFw0yNjExMzAxMTQ1NDBa\n" +
      "GA8yMTI2MTEwNjExNDU0MFowHjEcMBoGA1UEAwwTZmx1eGdhdGUtZTJlLWRldmlj\n" +
      "ZTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABFjuThizmIzzGAzp6ScXElT6Ie5L\n" +
      "fORBnDAgU4CgLcsdoVzukLq+899Y5S7IW0UElsTdAYY6Is4Ok5szKrilCK6jUzBR\n" +
      "MB0GA1UdDgQWBBTyUD0XUG7yY7Xpud/rSCSwt/4dAzAfBgNVHSMEGDAWgBTyUD0X\n" +
      "UG7yY7Xpud/rSCSwt/4dAzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kA\n" +
      "MEYCIQC7gYwfD6Agw7yW1anZVE9xt50PB/JRtJpJ7rEyZqKcKwIhAKTX6d5NGQV6\n" +
      "ocUicHfogDlJPgUnZ7qjsGrtZm4Hbirr\n" +
      "-----END CERTIFICATE-----\n";
}
