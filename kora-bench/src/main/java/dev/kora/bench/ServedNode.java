package dev.kora.bench;

import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import dev.kora.tree.ErrorCode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A node in a {@code kora serve} process this run launched ({@link CliLauncher}): alone, or one
 * member of a cluster. Its standard output and error go to a log file, whose end is quoted when it
 * fails to start. Stopped with SIGTERM ({@code kora serve} closes its node and leaves the cluster),
 * forcibly after 30 s, and forcibly when this JVM exits before that.
 */
final class ServedNode extends BenchNode.OwnProcess {

  /** How long a stopped node may take to exit before it is killed, in ns. */
  private static final long STOP_NANOS = 30_000_000_000L;

  private final Path log;
  private final Thread killAtExit;

  private ServedNode(Process process, int port, String storeUrl, Path log) {
    super(process, port, storeUrl);
    this.log = log;
    this.killAtExit = new Thread(process::destroyForcibly, "kora-bench-kill-node");
    Runtime.getRuntime().addShutdownHook(killAtExit);
  }

  /**
   * Launches a node; returns at once ({@link #awaitAccepting} waits until it listens).
   *
   * @param command the whole command line, {@link CliLauncher#serve} and {@code kora serve}'s
   *     options, {@code --port PORT} among them
   * @param port the node's port, on 127.0.0.1
   * @param storeUrl its store's URL, or null for {@code kora serve}'s default (SQLite in
   *     {@code --data})
   * @param log the file its output goes to
   */
  static ServedNode launch(List<String> command, int port, String storeUrl, Path log)
      throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    return new ServedNode(process, port, storeUrl, log);
  }

  /**
   * Waits until the node accepts TCP connections.
   *
   * @param deadline {@link System#nanoTime()} to give up at
   * @param pollMillis time between two connection attempts, in ms
   * @throws IllegalStateException when the process exits or the deadline passes first, with the
   *     end of its log
   */
  void awaitAccepting(long deadline, long pollMillis) throws InterruptedException {
    while (!CliLauncher.accepts(port())) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException("kora serve (port " + port() + ") did not start: "
            + logTail());
      }
      Thread.sleep(pollMillis);
    }
  }

  /**
   * Waits until a write through this node is acknowledged, writing {@code bench/probe/pPORT} every
   * 200 ms while it is refused with {@code cluster_unavailable} (a cluster member until the cluster
   * has a leader) or {@code store_unavailable}.
   *
   * @param sockets where the probing connection is opened
   * @param deadline {@link System#nanoTime()} to give up at
   * @throws IllegalStateException on another refusal, or when the deadline passes, with the end of
   *     the node's log
   */
  void awaitWrites(Clients sockets, long deadline) throws Exception {
    Clients.Connection connection = sockets.connect(this).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    try {
      Rpc rpc = new Rpc(connection);
      String body = "{\"merge\":{\"bench\":{\"probe\":{\"p" + port() + "\":true}}}}";
      while (true) {
        String frame = rpc.call(Action.MUTATION.wireName(Dialect.KORA), body).toCompletionStage()
            .toCompletableFuture().get(30, TimeUnit.SECONDS);
        if (Rpc.isReply(frame)) {
          return;
        }
        boolean passing = frame.contains(ErrorCode.CLUSTER_UNAVAILABLE)
            || frame.contains(ErrorCode.STORE_UNAVAILABLE);
        if (!passing || System.nanoTime() > deadline) {
          throw new IllegalStateException("kora serve (port " + port() + ") did not take writes: "
              + Rpc.abbreviate(frame) + "; its log ends: " + logTail());
        }
        Thread.sleep(200);
      }
    } finally {
      connection.socket().close();
    }
  }

  /** @return the last 2,000 characters of the node's log */
  private String logTail() {
    try {
      String text = Files.readString(log, StandardCharsets.UTF_8);
      return text.length() > 2_000 ? "..." + text.substring(text.length() - 2_000) : text;
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /**
   * Stops nodes together: SIGTERM to each, then waits at most 30 s for all, then kills those left.
   *
   * @param nodes the nodes; those already stopped are skipped
   */
  static void stopAll(List<ServedNode> nodes) {
    for (ServedNode node : nodes) {
      node.process.destroy();
    }
    long deadline = System.nanoTime() + STOP_NANOS;
    for (ServedNode node : nodes) {
      try {
        if (!node.process.waitFor(Math.max(0, deadline - System.nanoTime()),
            TimeUnit.NANOSECONDS)) {
          node.process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        node.process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
      try {
        Runtime.getRuntime().removeShutdownHook(node.killAtExit);
      } catch (IllegalStateException e) {
        // this JVM is exiting: the hook kills the process anyway
      }
    }
  }

  @Override
  String mode() {
    return "kora serve, process " + process.pid();
  }

  /** @return the store's URL without a password, or {@code kora serve}'s default */
  @Override
  String store() {
    return storeUrl() == null ? "kora serve's default (SQLite in --data)"
        : storeUrl().replaceFirst("://([^:/@]*):[^@/]*@", "://$1:***@");
  }

  @Override
  public void close() {
    stopAll(List.of(this));
  }
}
