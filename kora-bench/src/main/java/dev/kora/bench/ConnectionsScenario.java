package dev.kora.bench;

import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code connections}: C idle WebSocket connections, each having answered one ping. The node runs in a
 * child JVM by default so that its heap after a full GC and its RSS are its own: both are measured
 * before and after the connections open, and the difference is divided by C.
 *
 * <p>Each connection is one file descriptor on each side: before starting the node, the tool raises
 * its own open-file limit to C + 1,000 when it is lower ({@link Machine#raiseOpenFilesLimit}, which
 * the node's JVM inherits) and stops with a message when it cannot. Beyond 16,000
 * connections ({@code --per-source}) they come from several loopback source addresses
 * ({@link Clients#sourceAddresses}): one address's ephemeral ports would run out, and a node
 * refuses more than 20,000 from one address by default.
 */
@Command(name = "connections", mixinStandardHelpOptions = true,
    description = "Heap and RSS per idle WebSocket connection (node in a child JVM).")
final class ConnectionsScenario implements Callable<Integer> {

  /** File descriptors each JVM needs besides the connections: jars, event loops, the store. */
  private static final int FILES_BESIDES = 1_000;

  @Mixin
  BenchOptions options;

  @Option(names = "--connections", defaultValue = "10000",
      description = "Idle connections to open (default: ${DEFAULT-VALUE}).")
  int connections;

  @Option(names = "--concurrency", defaultValue = "256",
      description = "Handshakes in flight while connecting (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--per-source", paramLabel = "N", defaultValue = "0",
      description = "Connections per loopback source address at most (default: 0, four fifths of"
          + " the kernel's ephemeral ports or of a node's cap per client address, 16,000 here):"
          + " more connections come from 127.0.0.2, 127.0.0.3, ...")
  int perSource;

  @Option(names = "--nmt",
      description = "Run the node with -XX:NativeMemoryTracking=summary and print on stderr how its"
          + " native memory changed with the connections (jcmd VM.native_memory summary.diff"
          + " against a baseline taken before them); NMT itself costs a little memory.")
  boolean nmt;

  @Option(names = "--histogram",
      description = "Print on stderr the node JVM's classes whose heap grew most with the"
          + " connections (jcmd GC.class_histogram before and after), in bytes per connection.")
  boolean histogram;

  @Override
  public Integer call() throws Exception {
    options.check();
    if (connections < 1 || connections > 200_000) {
      throw new IllegalArgumentException("--connections must be 1 to 200,000");
    }
    Result result = new Result("connections");
    Machine.describe(result);
    long needed = connections + (long) FILES_BESIDES;
    long limit = Machine.raiseOpenFilesLimit(needed);
    List<String> sources = Clients.sourceAddresses(connections, perSource);
    result.put("connections", connections).put("open_files_limit", limit)
        .put("source_addresses", sources.isEmpty() ? 1 : sources.size());
    if (limit >= 0 && limit < needed) {
      throw new IllegalStateException("the open-file limit is " + limit + " and could not be raised"
          + " to " + needed + " (" + connections + " connections + " + FILES_BESIDES + "): raise"
          + " the hard limit first (as root with CAP_SYS_RESOURCE: 'ulimit -Hn " + needed + "' in"
          + " the shell that starts the tool), or run at most " + (limit - FILES_BESIDES)
          + " connections");
    }
    if (nmt) {
      options.nodeJavaOpts = options.nodeJavaOpts + " -XX:NativeMemoryTracking=summary";
    }
    try (BenchNode.TempDir temp = new BenchNode.TempDir();
        BenchNode node = BenchNode.start(options, "process", temp)) {
      result.put("node", node.mode()).put("store", node.store());
      Map<String, Long> classesBefore = histogram ? histogram(node) : Map.of();
      BenchNode.Memory before = node.memory();
      Machine.HeapInfo heapBefore = node.pid() > 0 ? Machine.heapInfo(node.pid()) : null;
      if (nmt && node.pid() > 0) {
        Machine.jcmd(node.pid(), "VM.native_memory", "baseline");
      }
      options.log("connections: opening %,d to %s (node heap after GC %s)", connections, node.url(),
          before == null ? "unknown" : String.format("%,d bytes", before.heapBytes()));
      try (Clients sockets = new Clients(connections, sources)) {
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
        Machine.HeapInfo heapAfter = node.pid() > 0 ? Machine.heapInfo(node.pid()) : null;
        if (nmt && node.pid() > 0) {
          System.err.println(Machine.jcmd(node.pid(), "VM.native_memory", "summary.diff"));
        }
        if (heapBefore != null && heapAfter != null) {
          // the heap's pages are in the RSS as far as they are committed, used or not
          result.put("heap_committed_before_bytes", heapBefore.committedBytes());
          result.put("heap_committed_after_bytes", heapAfter.committedBytes());
        }
        if (histogram) {
          printGrowth(classesBefore, histogram(node), open.size());
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

  /**
   * @return bytes of each class in the node's heap ({@code jcmd GC.class_histogram}, which collects
   *     first), or an empty map when it cannot be read
   */
  private static Map<String, Long> histogram(BenchNode node) {
    Map<String, Long> bytes = new HashMap<>();
    if (node.pid() < 0) {
      return bytes;
    }
    Matcher line = Pattern.compile("(?m)^\\s*\\d+:\\s+\\d+\\s+(\\d+)\\s+(\\S+)")
        .matcher(Machine.jcmd(node.pid(), "GC.class_histogram"));
    while (line.find()) {
      bytes.merge(line.group(2), Long.parseLong(line.group(1)), Long::sum);
    }
    return bytes;
  }

  /** Prints the 60 classes whose bytes grew most from {@code before} to {@code after}. */
  private static void printGrowth(Map<String, Long> before, Map<String, Long> after,
      int connections) {
    System.err.printf("%14s %10s  %s%n", "bytes", "per conn.", "class (jcmd GC.class_histogram,"
        + " after minus before)");
    long[] total = {0};
    after.entrySet().stream()
        .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
        .peek(e -> total[0] += e.getValue())
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(60)
        .forEach(e -> System.err.printf("%,14d %10.1f  %s%n", e.getValue(),
            e.getValue() / (double) connections, e.getKey()));
    System.err.printf("%,14d %10.1f  all classes%n", total[0], total[0] / (double) connections);
  }
}
