package dev.kora.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code kora} command line: {@code serve}, {@code import}, {@code export}, {@code query},
 * {@code merge}, {@code copy} and {@code rules}. Run {@code ./kora --help} or {@code ./kora help SUBCOMMAND}.
 */
@Command(name = "kora", mixinStandardHelpOptions = true, version = "kora 0.1.0",
    description = "Kora, a tree-structured realtime database.",
    subcommands = {ServeCommand.class, ImportCommand.class, ExportCommand.class,
        QueryCommand.class, MergeCommand.class, CopyCommand.class, RulesCommand.class,
        CommandLine.HelpCommand.class})
public final class KoraCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Drivers' chatty start-up logs (held strongly: java.util.logging keeps loggers weakly). */
  private static final java.util.logging.Logger QUIET_DRIVERS =
      java.util.logging.Logger.getLogger("com.datastax.oss.driver");
  /**
   * Vert.x's "Connection evicted" warning when a node refuses a WebSocket handshake (a 401): the
   * command's own one-line error says what happened.
   */
  private static final java.util.logging.Logger QUIET_EVICTION =
      java.util.logging.Logger.getLogger("io.vertx.core.http.impl.HttpClientConnectionInternal");

  /**
   * Runs the command line and exits with its status.
   *
   * @param args the arguments
   */
  public static void main(String[] args) {
    System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tT %4$s %5$s%6$s%n");
    QUIET_DRIVERS.setLevel(java.util.logging.Level.WARNING);
    System.setProperty("vertx.disableDnsResolver", "true");
    System.exit(commandLine().execute(args));
  }

  /** @return the command line as {@link #main} runs it: one-line errors, exit status 1 on failure */
  public static CommandLine commandLine() {
    QUIET_EVICTION.setLevel(java.util.logging.Level.SEVERE);
    return new CommandLine(new KoraCommand()).setExecutionExceptionHandler(new ErrorHandler());
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Prints a failure as one line ({@code kora: invalid_key: ...}) instead of a stack trace. */
  static final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine commandLine,
        CommandLine.ParseResult parseResult) {
      Throwable cause = e;
      while (cause.getCause() != null && !(cause instanceof dev.kora.tree.KoraException)) {
        cause = cause.getCause();
      }
      String message = cause instanceof dev.kora.tree.KoraException
          ? ((dev.kora.tree.KoraException) cause).code() + ": " + cause.getMessage()
          : String.valueOf(cause.getMessage() == null ? cause : cause.getMessage());
      commandLine.getErr().println("kora: " + message);
      if (System.getenv("KORA_DEBUG") != null) {
        e.printStackTrace(commandLine.getErr());
      }
      return 1;
    }
  }
}
