package io.fluxgate.node;

import io.fluxgate.e2e.CallFailed;
import io.fluxgate.e2e.CallTimings;
import io.fluxgate.e2e.EndToEndRun;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code fluxgate e2e}: drives a running deployment through its public interfaces and reports what it did. */
@Command(name = "e2e", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Drive a running deployment through its public interfaces (REST, MQTT, HTTP adapter):",
        "create, view, list, update, disable and enable users, groups, things and channels, connect them, create",
        "bootstrap configs and bootstrap devices, publish over MQTT 3.1.1 and 5 (QoS 0, 1, 2) and HTTP, check",
        "every message arrived, disconnect, and remove what it created. Exits 1 naming the first failing call."})
final class E2eCommand implements Callable<Integer> {

  @ParentCommand
  Fluxgate parent;

  @Option(names = "-n", defaultValue = "3", description = "Users, groups, things and channels (default: ${DEFAULT-VALUE}).")
  int entities;

  @Option(names = "-N", defaultValue = "3", description = "MQTT messages per connected thing and channel (default: ${DEFAULT-VALUE}).")
  int messages;

  @Option(names = "--host", defaultValue = "localhost", description = "Host of every interface (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--users-port", defaultValue = "9002", description = "Users API (default: ${DEFAULT-VALUE}).")
  int usersPort;

  @Option(names = "--things-port", defaultValue = "9000", description = "Things API (default: ${DEFAULT-VALUE}).")
  int thingsPort;

  @Option(names = "--bootstrap-port", defaultValue = "9013", description = "Bootstrap API (default: ${DEFAULT-VALUE}).")
  int bootstrapPort;

  @Option(names = "--http-port", defaultValue = "8008", description = "HTTP message adapter (default: ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(names = "--mqtt-port", defaultValue = "1883", description = "MQTT over TCP (default: ${DEFAULT-VALUE}).")
  int mqttPort;

  @Option(names = "--identity", description = "Identity of the account to sign in with (default: FG_USERS_ADMIN_IDENTITY).")
  String identity;

  @Option(names = "--secret", description = "Its secret (default: FG_E2E_SECRET, else FG_USERS_ADMIN_SECRET).")
  String secret;

  @Option(names = "--prefix", description = "Prefix of the names it gives (default: e2e-<time>).")
  String prefix;

  @Option(names = "--bootstrap-encrypt-key", description = "The devices' AES-256 key of the secure bootstrap, base64 "
      + "(default: FG_BOOTSTRAP_ENCRYPT_KEY; without it the secure bootstrap is skipped).")
  String bootstrapEncryptKey;

  @Option(names = "--keep", description = "Leave what it created in place.")
  boolean keep;

  @Option(names = "--rate", defaultValue = "0", description = "At most this many calls and publishes per second (default: unlimited).")
  double rate;

  @Option(names = "--duration", description = "Repeat rounds for this long (e.g. 10m, 1h, 90s): a steady load for soak runs.")
  String duration;

  @Override
  public Integer call() {
    PrintWriter out = parent.spec.commandLine().getOut();
    PrintWriter err = parent.spec.commandLine().getErr();
    Map<String, String> env = parent.env;
    String account = identity != null ? identity : env.get("FG_USERS_ADMIN_IDENTITY");
    String password = secret != null ? secret : env.getOrDefault("FG_E2E_SECRET", env.get("FG_USERS_ADMIN_SECRET"));
    if (account == null || password == null) {
      err.println("fluxgate e2e: give the account to sign in with: --identity and --secret (or FG_USERS_ADMIN_IDENTITY"
          + " and FG_USERS_ADMIN_SECRET)");
      return Fluxgate.CONFIG_ERROR;
    }
    if (entities < 1 || messages < 0) {
      err.println("fluxgate e2e: -n must be at least 1 and -N at least 0");
      return Fluxgate.CONFIG_ERROR;
    }
    Duration soak;
    try {
      soak = duration == null ? null : parseDuration(duration);
    } catch (IllegalArgumentException e) {
      err.println("fluxgate e2e: --duration " + duration + ": " + e.getMessage());
      return Fluxgate.CONFIG_ERROR;
    }
    String deviceKey = bootstrapEncryptKey != null ? bootstrapEncryptKey : env.get("FG_BOOTSTRAP_ENCRYPT_KEY");
    byte[] encryptKey = null;
    if (deviceKey != null) {
      try {
        encryptKey = java.util.Base64.getDecoder().decode(deviceKey.trim());
      } catch (IllegalArgumentException e) {
        encryptKey = new byte[0];
      }
      if (encryptKey.length != 32) {
        err.println("fluxgate e2e: --bootstrap-encrypt-key must be 32 bytes in base64");
        return Fluxgate.CONFIG_ERROR;
      }
    }
    var target = new EndToEndRun.Target(host, usersPort, thingsPort, bootstrapPort, httpPort, mqttPort);
    var options = new EndToEndRun.Options(target, account, password,
        prefix != null ? prefix : "e2e-" + Long.toString(System.currentTimeMillis(), 36), entities, messages, keep, rate,
        soak, encryptKey);
    try {
      print(out, new EndToEndRun(options, out, System.console() != null).run());
      return 0;
    } catch (CallFailed failure) {
      err.println("fluxgate e2e: failed: " + failure.getMessage());
      return 1;
    }
  }

  private static void print(PrintWriter out, EndToEndRun.Summary summary) {
    CallTimings calls = summary.calls();
    out.printf("e2e: %d round%s, %d calls in %.1f s%n", summary.rounds(), summary.rounds() == 1 ? "" : "s",
        calls.total(), summary.elapsedMillis() / 1000.0);
    out.printf("%n%-24s %10s%n", "step", "time (ms)");
    summary.stepMillis().forEach((step, millis) -> out.printf("%-24s %10d%n", step, millis));
    out.printf("%n%-26s %7s %9s %9s%n", "call", "count", "p50 (ms)", "p99 (ms)");
    for (CallTimings.Line line : calls.lines()) {
      out.printf("%-26s %7d %9.1f %9.1f%n", line.call(), line.count(), line.p50Millis(), line.p99Millis());
    }
    for (String note : summary.notes()) {
      out.println("note: " + note);
    }
    out.flush();
  }

  static Duration parseDuration(String text) {
    var m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h)").matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a number and a unit: ms, s, m or h");
    }
    long amount = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(amount);
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      default -> Duration.ofHours(amount);
    };
  }
}
