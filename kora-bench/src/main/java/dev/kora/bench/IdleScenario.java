package dev.kora.bench;

import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code idle}: the memory of a {@code kora serve} process at rest, as users run it. Launches
 * {@code kora serve} ({@link CliLauncher}: with Kora's default JVM options, then
 * {@code --node-java-opts}) with its default store (SQLite
 * in a fresh {@code --data} folder) unless {@code --store}; opens S WebSocket connections each
 * subscribed ({@code kora.subscribe}) to a path of its own; writes to those paths as fast as the node
 * takes them for {@code --warmup} seconds (each write pushed to one subscriber), so that the heap has
 * grown as under load; then leaves the node alone for {@code --settle} seconds with the subscribers
 * connected and reads its resident set size (RSS, from /proc) at the end: {@code rss_bytes}. Nothing
 * forces a collection: what the RSS shows is what the JVM gave back by itself.
 */
@Command(name = "idle", mixinStandardHelpOptions = true,
    description = "RSS of 'kora serve' at rest with S idle subscribers, after a burst of writes.")
final class IdleScenario implements Callable<Integer> {

  @Mixin
  BenchOptions options;

  @Mixin
  CliLauncher launcher;

  @Option(names = "--subscribers", defaultValue = "100",
      description = "Connections, each subscribed to a path of its own (default: ${DEFAULT-VALUE}).")
  int subscribers;

  @Option(names = "--settle", paramLabel = "SECONDS", defaultValue = "60",
      description = "Time at rest after the writes before the RSS is read"
          + " (default: ${DEFAULT-VALUE} s).")
  double settleSeconds;

  @Option(names = "--window", defaultValue = "16",
      description = "Writes in flight during the --warmup burst (default: ${DEFAULT-VALUE}).")
  int window;

  @Option(names = "--nmt",
      description = "Start the node with -XX:NativeMemoryTracking=summary and print its"
          + " 'jcmd VM.native_memory summary' and the largest mappings of 'pmap -x' on stderr at the"
          + " end (NMT itself adds a few MB).")
  boolean nmt;

  @Override
  public Integer call() throws Exception {
    options.check();
    if (options.url != null || "in".equals(options.node)) {
      throw new IllegalArgumentException("idle launches its own kora serve process: no --url,"
          + " no --node in");
    }
    if (subscribers < 0 || subscribers > 10_000 || settleSeconds < 0 || settleSeconds > 3600
        || window < 1) {
      throw new IllegalArgumentException("--subscribers must be 0 to 10,000, --settle 0 to 3,600 s,"
          + " --window at least 1");
    }
    Result result = new Result("idle");
    Machine.describe(result);
    String javaOpts = options.nodeJavaOpts + (nmt ? " -XX:NativeMemoryTracking=summary" : "");
    List<String> line = new ArrayList<>(launcher.serve(javaOpts));
    result.put("command", launcher.describeServe());
    List<String> jvm = Machine.nodeJavaCommand(javaOpts);
    result.put("node_java_opts", String.join(" ", jvm.subList(1, jvm.size())));
    try (BenchNode.TempDir temp = new BenchNode.TempDir();
        Clients sockets = new Clients(subscribers + 2)) {
      int port = CliLauncher.freePort();
      line.addAll(List.of("--host", "127.0.0.1", "--port", Integer.toString(port), "--data",
          temp.path().resolve("data").toString()));
      String store = options.store == null ? null : StoreBaseline.scratch(options.store);
      if (store != null) {
        line.addAll(List.of("--store", store));
      }
      if (options.rules != null) {
        line.addAll(List.of("--rules", Path.of(options.rules).toAbsolutePath().toString()));
      }
      try (ServedNode node = ServedNode.launch(line, port, store,
          temp.path().resolve("serve.log"))) {
        node.awaitAccepting(System.nanoTime() + 60_000_000_000L, 20);
        node.awaitWrites(sockets, System.nanoTime() + 60_000_000_000L);
        result.put("node", node.mode()).put("store", node.store());
        result.put("rss_started_bytes", node.rssBytes());
        List<Rpc> subscribed = subscribeAll(sockets, node);
        Thread.sleep(1000);
        result.put("subscribers", subscribed.size());
        result.put("rss_subscribed_bytes", node.rssBytes());
        long peak = burst(sockets, node, result);
        result.put("rss_burst_peak_bytes", peak);
        settle(node, result);
        if (nmt) {
          Machine.printNativeMemory(node.pid());
        }
        Machine.HeapInfo heap = Machine.heapInfo(node.pid());
        result.put("heap_used_bytes", heap == null ? null : heap.usedBytes());
        result.put("heap_committed_bytes", heap == null ? null : heap.committedBytes());
        result.put("threads", Machine.threads(node.pid()));
        result.note("rss_bytes: the node's resident set size after --settle s at rest with the"
            + " subscribers connected; heap_*: 'jcmd GC.heap_info' read after it (no GC forced)");
      }
    }
    result.put("load_average_1m_end", Machine.loadAverage());
    result.print(System.out, options.json);
    return 0;
  }

  /** Opens the subscribers, each subscribed to {@code bench/idle/sN}. */
  private List<Rpc> subscribeAll(Clients sockets, BenchNode node) throws InterruptedException {
    List<Clients.Connection> open = sockets.connectAll(node, subscribers, 64, options);
    List<Rpc> rpcs = new ArrayList<>(open.size());
    for (int i = 0; i < open.size(); i++) {
      Rpc rpc = new Rpc(open.get(i));
      rpc.await(Action.SUBSCRIBE.wireName(Dialect.KORA), "{\"bench\":{\"idle\":{\"s" + i + "\":{}}}}");
      rpcs.add(rpc);
    }
    options.log("idle: %d subscribers on %s", rpcs.size(), node.url());
    return rpcs;
  }

  /**
   * Writes {@code bench/idle/sN/n} round robin over the subscribers' paths, {@code --window} in
   * flight, for {@code --warmup} s.
   *
   * @return the highest RSS seen, in bytes
   */
  private long burst(Clients sockets, ServedNode node, Result result) throws Exception {
    long peak = node.rssBytes();
    if (options.warmupNanos() == 0) {
      result.put("burst_writes", 0);
      return peak;
    }
    Rpc writer = new Rpc(sockets.connect(node).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS));
    String action = Action.MUTATION.wireName(Dialect.KORA);
    ArrayDeque<Future<String>> waiting = new ArrayDeque<>();
    AtomicLong errors = new AtomicLong();
    long writes = 0;
    long start = System.nanoTime();
    long end = start + options.warmupNanos();
    long nextSample = start;
    while (System.nanoTime() < end) {
      if (waiting.size() >= window) {
        String frame = waiting.poll().toCompletionStage().toCompletableFuture()
            .get(60, TimeUnit.SECONDS);
        if (!Rpc.isReply(frame)) {
          errors.incrementAndGet();
        }
      }
      int path = subscribers == 0 ? 0 : (int) (writes % subscribers);
      waiting.add(writer.call(action, "{\"merge\":{\"bench\":{\"idle\":{\"s" + path
          + "\":{\"n\":" + writes + "}}}}}"));
      writes++;
      if (System.nanoTime() >= nextSample) {
        peak = Math.max(peak, node.rssBytes());
        nextSample += 250_000_000L;
      }
    }
    for (Future<String> call : waiting) {
      if (!Rpc.isReply(call.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS))) {
        errors.incrementAndGet();
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    peak = Math.max(peak, node.rssBytes());
    result.put("burst_writes", writes).put("burst_mutations_per_s", Result.round(writes / seconds))
        .put("burst_errors", errors.get());
    options.log("idle: %,d writes in %.1f s, RSS peak %,d bytes", writes, seconds, peak);
    return peak;
  }

  /** Leaves the node alone for {@code --settle} s, sampling its RSS every second. */
  private void settle(ServedNode node, Result result) throws InterruptedException {
    long start = System.nanoTime();
    long end = start + (long) (settleSeconds * 1e9);
    long min = Long.MAX_VALUE;
    long max = 0;
    long rss = node.rssBytes();
    long lastLog = start;
    while (System.nanoTime() < end) {
      Thread.sleep(Math.max(1, Math.min(1000, (end - System.nanoTime()) / 1_000_000)));
      rss = node.rssBytes();
      min = Math.min(min, rss);
      max = Math.max(max, rss);
      if (System.nanoTime() - lastLog >= 10_000_000_000L) {
        lastLog = System.nanoTime();
        options.log("idle: %.0f s at rest, RSS %,d bytes", (lastLog - start) / 1e9, rss);
      }
    }
    result.put("settle_seconds", settleSeconds);
    result.put("rss_bytes", rss);
    result.put("rss_settle_min_bytes", min == Long.MAX_VALUE ? rss : min);
    result.put("rss_settle_max_bytes", max == 0 ? rss : max);
  }
}
