package io.fluxgate.node;

import io.fluxgate.api.BuildInfo;
import io.fluxgate.config.ConfigException;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

/** The {@code fluxgate} command: {@code serve}, {@code events …}, {@code e2e}, and their help. */
@Command(
    name = "fluxgate",
    mixinStandardHelpOptions = true,
    versionProvider = Fluxgate.Version.class,
    description = "IoT messaging and device management with a durable event log.",
    subcommands = {ServeCommand.class, EventsCommand.class, E2eCommand.class, HelpCommand.class})
public final class Fluxgate implements Runnable {

  /** Exit status of a configuration error. */
  public static final int CONFIG_ERROR = 2;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  final Map<String, String> env;

  Fluxgate(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
    System.setProperty("hazelcast.logging.type", "slf4j");
    System.exit(run(args, System.getenv(), new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs one command line and returns its exit status; {@code serve} returns only once the node has stopped. */
  public static int run(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new Fluxgate(env));
    cli.setOut(out).setErr(err);
    cli.setExecutionExceptionHandler((thrown, line, parsed) -> {
      // A command that waited on a future gets the reason wrapped.
      Exception e = thrown;
      while ((e instanceof java.util.concurrent.ExecutionException
          || e instanceof java.util.concurrent.CompletionException) && e.getCause() instanceof Exception cause) {
        e = cause;
      }
      if (e instanceof ConfigException) {
        line.getErr().println("fluxgate: " + e.getMessage());
        return CONFIG_ERROR;
      }
      String message = e.getMessage() == null ? e.toString() : e.getMessage();
      line.getErr().println("fluxgate: cannot " + line.getCommandName() + ": " + message);
      return 1;
    });
    return cli.execute(args);
  }

  /** The version line of {@code --version}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      BuildInfo build = BuildInfo.current();
      return new String[] {"fluxgate " + build.version() + " (" + build.commit() + ", built " + build.buildTime() + ")"};
    }
  }
}
