package dev.kora.bench;

import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code kora bench SCENARIO [options]}: the load tool. Each scenario drives a real node over real
 * WebSocket connections on loopback (a node it starts itself, or one given by {@code --url}), warms up,
 * measures for a fixed duration with bounded counts, and prints a table or, with {@code --json}, one
 * JSON object. {@code kora bench jmh [JMH options]} runs the microbenchmarks. See docs/benchmarks.md.
 */
@Command(name = "kora bench", mixinStandardHelpOptions = true, version = "kora-bench 0.1.0",
    description = "Load tests and microbenchmarks for Kora (docs/benchmarks.md).",
    subcommands = {WriteScenario.class, FanoutScenario.class, ConnectionsScenario.class, IdleScenario.class,
        ReadScenario.class, ImportScenario.class, BaselineScenario.class, StartScenario.class,
        HostileScenario.class, ResumeScenario.class, ClusterScenario.class,
        SuiteCommand.class, JmhCommand.class, CommandLine.HelpCommand.class})
public final class KoraBench implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /**
   * Runs the tool and exits with its status.
   *
   * @param args the arguments
   */
  public static void main(String[] args) throws Exception {
    System.setProperty("vertx.disableDnsResolver", "true");
    System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tT %4$s %5$s%6$s%n");
    if (args.length > 0 && args[0].equals("jmh")) {
      // JMH parses its own options (-h lists them); hand them over untouched.
      JmhCommand.run(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    System.exit(execute(args));
  }

  /** Runs the tool without exiting: for tests. */
  static int execute(String... args) {
    return new CommandLine(new KoraBench())
        .setExecutionExceptionHandler((e, commandLine, parseResult) -> {
          commandLine.getErr().println("kora bench: " + e);
          if (System.getenv("KORA_DEBUG") != null) {
            e.printStackTrace(commandLine.getErr());
          }
          return 1;
        })
        .execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
