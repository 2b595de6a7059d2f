package dev.kora.bench;

import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code connections}: C idle WebSocket connections, each having answered one ping. The node runs in a
 * child JVM by default so that its heap after a full GC and its RSS are its own: both are measured
 * before and after the connections open, and the difference is divided by C.
 *
 * <p>Each connection is one file descriptor on each side: C connections need an open-file limit above
 * C in both JVMs (the JVM raises its soft limit to the hard limit; raise the hard limit with
 * {@code ulimit -n} before starting).
 */
@Command(name = "connections", mixinStandardHelpOptions = true,
    description = "Heap and RSS per idle WebSocket connection (node in a child JVM).")
final class ConnectionsScenario implements Callable<Integer> {

  @Mixin
  BenchOptions options;

  @Option(names = "--connections", defaultValue = "10000",
      description = "Idle connections to open (default: ${DEFAULT-VALUE}).")
  int connections;

  @Option(names = "--concurrency", defaultValue = "256",
      description = "Handshakes in flight while connecting (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--histogram",
      description = "Print the node JVM's top classes by heap (jcmd GC.class_histogram) on stderr.")
  boolean histogram;

  @Override
  public Integer call() throws Exception {
    options.check();
    if (connections < 1 || connections > 200_000) {
      throw new IllegalArgumentException("--connections must be 1 to 200,000");
    }
    Result result = new Result("connections");
    Machine.describe(result);
    long limit = openFilesLimit();
    result.put("connections", connections).put("open_files_limit", limit);
    if (limit > 0 && limit < connections + 1000) {
      options.log("warning: open-file limit %d is below %d connections + 1,000; raise it with "
          + "'ulimit -n %d' (needs a hard limit that high)", limit, connections, connections + 4096);
    }
    try (BenchNode.TempDir temp = new BenchNode.TempDir();
        BenchNode node = BenchNode.start(options, "process", temp)) {
      result.put("node", node.mode()).put("store", node.store());
      BenchNode.Memory before = node.memory();
      options.log("connections: opening %,d to %s (node heap after GC %s)", connections, node.url(),
          before == null ? "unknown" : String.format("%,d bytes", before.heapBytes()));
      try (Clients sockets = new Clients(connections)) {
        long start = System.nanoTime();
        List<Clients.Connection> open = sockets.connectAll(node, connections, concurrency, options);
        double connectSeconds = (System.nanoTime() - start) / 1e9;
        CountDownLatch answered = new CountDownLatch(open.size());
        AtomicLong errors = new AtomicLong();
        for (Clients.Connection connection : open) {
          connection.socket().exceptionHandler(e -> { });
          connection.socket().textMessageHandler(text -> {
            if (!text.startsWith("{\"type\":\"reply\"")) {
              errors.incrementAndGet();
            }
            answered.countDown();
          });
          connection.socket().writeTextMessage("{\"type\":\"call\",\"key\":1,\"action\":\""
              + Action.PING.wireName(Dialect.KORA) + "\"}");
        }
        if (!answered.await(120, TimeUnit.SECONDS)) {
          throw new IllegalStateException("pings not answered within 120 s");
        }
        double pingSeconds = (System.nanoTime() - start) / 1e9 - connectSeconds;
        Thread.sleep(1000);
        BenchNode.Memory after = node.memory();
        if (histogram && node instanceof BenchNode.Child child) {
          printHistogram(child.pid());
        }
        result.put("seconds", Result.round(connectSeconds));
        result.put("connections_per_s", Result.round(open.size() / connectSeconds));
        result.put("ping_all_seconds", Result.round(pingSeconds));
        result.put("errors", errors.get());
        if (before != null && after != null) {
          result.put("heap_before_bytes", before.heapBytes());
          result.put("heap_after_bytes", after.heapBytes());
          result.put("heap_bytes_per_connection",
              Math.round((after.heapBytes() - before.heapBytes()) / (double) open.size()));
          result.put("rss_before_bytes", before.rssBytes());
          result.put("rss_after_bytes", after.rssBytes());
          result.put("rss_bytes_per_connection",
              Math.round((after.rssBytes() - before.rssBytes()) / (double) open.size()));
          result.note("heap: the node JVM's used heap after full GCs, with the connections open minus"
              + " before; RSS includes heap pages the GC committed and Netty's native buffers");
        } else {
          result.put("heap_bytes_per_connection", null).put("rss_bytes_per_connection", null);
          result.note("heap and RSS are measured only for a node this run starts in a child JVM"
              + " (--node process, the default)");
        }
      }
    }
    result.put("load_average_1m_end", Machine.loadAverage());
    result.print(System.out, options.json);
    return 0;
  }

  private static void printHistogram(long pid) {
    Machine.jcmd(pid, "GC.class_histogram").lines().limit(40).forEach(System.err::println);
  }

  /** @return this process's soft limit of open files, or -1 */
  static long openFilesLimit() {
    try {
      for (String line : Files.readAllLines(Paths.get("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          String[] parts = line.substring("Max open files".length()).trim().split("\\s+");
          return parts[0].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(parts[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return -1;
  }
}
