package dev.kora.bench;

import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import io.vertx.core.Context;
import io.vertx.core.http.WebSocket;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code write}: N clients, each keeping W {@code kora.mutation} calls in flight, merging one leaf (or
 * one 6-field city object) at a random path. Measures acknowledged mutations per second (a reply
 * {@code "ok"} means durably committed) and the reply latency; then, in the same run, what the store
 * does alone with batched upserts.
 */
@Command(name = "write", mixinStandardHelpOptions = true,
    description = "Acknowledged mutations/s and reply latency from N clients with W calls in flight.")
final class WriteScenario implements Callable<Integer> {

  /** The action of every write, spelled once. */
  private static final String MUTATION = Action.MUTATION.wireName(Dialect.KORA);

  /** Random keys are drawn from this many by default. */
  static final int DEFAULT_KEYS = 1_000_000;

  @Mixin
  BenchOptions options;

  @Option(names = "--clients", defaultValue = "64", description = "Connections (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--window", defaultValue = "16",
      description = "Calls in flight per connection (default: ${DEFAULT-VALUE}).")
  int window;

  @Option(names = "--shape", defaultValue = "leaf",
      description = "leaf: one leaf per mutation; city: a 6-field object per mutation (default: ${DEFAULT-VALUE}).")
  String shape;

  @Option(names = "--keys", defaultValue = "" + DEFAULT_KEYS,
      description = "Random keys are drawn from this many (default: ${DEFAULT-VALUE}).")
  int keys;

  @Option(names = "--batch", defaultValue = "1000",
      description = "Leaves per Store.write call in the baseline (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--no-baseline", description = "Skip the store baseline.")
  boolean noBaseline;

  @Option(names = "--ids", description = "The raw sockets send each write with an id (marked as its"
      + " first send), as kora-client does: the node's cost of exactly-once writes.")
  boolean ids;

  @Option(names = "--rounds", defaultValue = "1", description = "With --client: raw and client runs"
      + " alternate this many times, each on a fresh node; the ratio reported is their median"
      + " (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--client", description = "After the raw sockets, the same writes through "
      + "kora-client (KoraClient.mutate) against the same node; reports both and their ratio.")
  boolean client;

  /** The raw-socket run, for the client run's ratio. */
  private Run run;

  @Override
  public Integer call() throws Exception {
    options.check();
    if (!shape.equals("leaf") && !shape.equals("city")) {
      throw new IllegalArgumentException("--shape must be leaf or city");
    }
    boolean city = shape.equals("city");
    Result result = new Result("write");
    Machine.describe(result);
    result.put("clients", clients).put("window", window).put("shape", shape);
    try (BenchNode.TempDir temp = new BenchNode.TempDir();
        BenchNode node = BenchNode.start(options, "process", temp)) {
      result.put("ids", ids);
      result.put("node", node.mode()).put("store", node.store()).put("change_log", options.changeLog)
          .put("durability", node.durability());
      options.log("write: %d clients x %d in flight, %s, node %s, store %s", clients, window, shape,
          node.mode(), node.store());
      double mutationsPerSecond = measure(List.of(node), city, result);
      // The disk's own rate of durable small writes, where the store's files are (SQLite's folder):
      // what one durable commit at a time can reach at best.
      double fsyncs = Machine.fsyncsPerSecond(temp.path(), 2_000);
      result.put("fsync_per_s", Result.round(fsyncs));
      result.put("ratio_to_fsync", Result.round(mutationsPerSecond / fsyncs));
      result.note("fsync_per_s: writes of 4 KiB each followed by fdatasync (FileChannel.force(false))"
          + " in a loop for 2 s, in " + temp.path() + " (the SQLite store's folder); ratio_to_fsync:"
          + " mutations_per_s / fsync_per_s, the figure of --clients 1 --window 1 on SQLite");
      if (clients == 1 && window == 1 && options.url == null
          && !BenchNode.MEMORY.equals(node.storeUrl())) {
        sequentialBound(city, mutationsPerSecond, fsyncs, result);
      }
      int leavesPerMutation = city ? 6 : 1;
      if (!noBaseline && clients == 1 && window == 1) {
        // One write at a time: the store alone at the same, to tell the node's share of each
        // write's time from the store's (and the store's from the disk's).
        String url = StoreBaseline.freshUrl(node.storeUrl(), temp.path(), "sequential");
        options.log("baseline: one commit at a time straight into %s", url);
        Recorder latencies = Latency.recorder();
        double sequential;
        try (StoreBaseline.Opened store = new StoreBaseline.Opened(url)) {
          sequential = StoreBaseline.sequential(store.store, options, city, keys, latencies);
        }
        result.put("store_sequential_per_s", Result.round(sequential));
        Latency.put(result, "store_sequential_", latencies.getIntervalHistogram());
        result.put("store_sequential_ratio_to_fsync", Result.round(sequential / fsyncs));
        result.put("ratio_to_store_sequential", Result.round(mutationsPerSecond / sequential));
        result.note("store_sequential_per_s: commits/s through Store.write of one mutation at a"
            + " time with the rows the node adds (counter, log entry), each awaited before the next,"
            + " on a fresh store of the same kind and durability: the bound of --window 1 without"
            + " the node, the socket and the client");
      }
      if (!noBaseline) {
        String url = StoreBaseline.freshUrl(node.storeUrl(), temp.path(), "baseline");
        options.log("baseline: batched upserts of %d leaves straight into %s", batch, url);
        double upserts;
        double mutationList;
        try (StoreBaseline.Opened store = new StoreBaseline.Opened(url)) {
          result.put("baseline_store", store.store.describe());
          upserts = StoreBaseline.writes(store.store, options, batch, city, keys, false);
          options.log("baseline: lists of %d single mutations per Store.write", batch / leavesPerMutation);
          mutationList = StoreBaseline.writes(store.store, options, batch, city, keys, true);
        }
        result.put("baseline_per_s", Result.round(upserts));
        result.put("baseline_mutation_list_per_s", Result.round(mutationList / leavesPerMutation));
        result.put("ratio_to_baseline", Result.round(mutationsPerSecond * leavesPerMutation / upserts));
        result.put("ratio_to_mutation_list_baseline",
            Result.round(mutationsPerSecond * leavesPerMutation / mutationList));
        result.note("baseline_per_s: leaves/s through Store.write, one mutation of " + batch
            + " leaves per call, 2 calls in flight; baseline_mutation_list_per_s: mutations/s when "
            + "each call is a list of single mutations, each with the version counter and log entry"
            + " the node adds (the node's group-commit shape and rows)");
      }
    }
    if (client) {
      // A fresh node and store of its own, once the raw run's node is gone: both runs start from an
      // empty store and change log, and nothing else runs beside the client run.
      options.log("client: %d kora-client clients x %d writes in flight, on a fresh node",
          clients, window);
      ClientWrites writes = new ClientWrites();
      try (BenchNode.TempDir clientTemp = new BenchNode.TempDir();
          BenchNode clientNode = BenchNode.start(options, "process", clientTemp)) {
        writes.run(options, clientNode, clients, window, keys, city);
      }
      double perSecond = writes.histogram.getTotalCount() / writes.seconds;
      result.put("client_mutations_per_s", Result.round(perSecond));
      Latency.put(result, "client_", writes.histogram);
      writes.cpu.put(result, "client_", writes.histogram.getTotalCount(), writes.seconds);
      result.put("client_errors", writes.errors.get());
      if (writes.firstError.get() != null) {
        result.put("client_first_error", writes.firstError.get());
      }
      List<Double> ratios = new java.util.ArrayList<>();
      ratios.add(perSecond / (run.histogram.getTotalCount() / run.seconds));
      for (int round = 1; round < rounds; round++) {
        double raw = rawRound(city);
        double through = clientRound(city);
        options.log("round %d: raw %.0f/s, client %.0f/s", round + 1, raw, through);
        ratios.add(through / raw);
      }
      List<Double> sorted = new java.util.ArrayList<>(ratios);
      java.util.Collections.sort(sorted);
      result.put("client_ratio_to_raw", Result.round(sorted.get(sorted.size() / 2)));
      if (rounds > 1) {
        result.put("client_ratio_rounds", ratios.stream().map(r -> String.format("%.3f", r))
            .collect(java.util.stream.Collectors.joining(" ")));
      }
      result.note("client_*: the same writes through kora-client (Mutation objects, ids, outbox,"
          + " version answers), on a fresh node and store started the same way, after the"
          + " raw-socket run");
    }
    result.put("load_average_1m_end", Machine.loadAverage());
    result.print(System.out, options.json);
    return 0;
  }

  /**
   * A write run for another scenario: single-leaf merges at random keys of
   * {@value #DEFAULT_KEYS}, without ids. One {@link #measure} per instance.
   *
   * @param options the shared options (warm-up, duration, log)
   * @param clients connections
   * @param window calls in flight per connection
   */
  static WriteScenario of(BenchOptions options, int clients, int window) {
    WriteScenario writes = new WriteScenario();
    writes.options = options;
    writes.clients = clients;
    writes.window = window;
    writes.keys = DEFAULT_KEYS;
    writes.shape = "leaf";
    return writes;
  }

  /**
   * Measures the raw-socket writes against running nodes (the connections spread evenly over them;
   * with several nodes, the CPU figures are of all of them together) and puts their figures into a
   * result: {@code mutations_per_s}, {@code leaves_per_s}, {@code p50_ms}..., the CPU figures and
   * the errors.
   *
   * @param nodes the nodes, e.g. one, or the members of a cluster
   * @param city whether each mutation is a 6-field city object rather than one leaf
   * @return acknowledged mutations per second in the window
   */
  double measure(List<? extends BenchNode> nodes, boolean city, Result result) throws Exception {
    Run run = new Run(city);
    this.run = run;
    try (Clients sockets = new Clients(clients)) {
      run.drive(nodes, sockets);
    }
    Histogram histogram = run.histogram;
    double mutationsPerSecond = histogram.getTotalCount() / run.seconds;
    result.put("seconds", Result.round(run.seconds));
    result.put("mutations", histogram.getTotalCount());
    result.put("mutations_per_s", Result.round(mutationsPerSecond));
    result.put("leaves_per_s", Result.round(mutationsPerSecond * (city ? 6 : 1)));
    Latency.put(result, "", histogram);
    run.cpu.put(result, histogram.getTotalCount(), run.seconds);
    result.put("errors", run.errors.get());
    if (run.firstError.get() != null) {
      result.put("first_error", run.firstError.get());
    }
    return mutationsPerSecond;
  }

  /** One measured run over the sockets. */
  private final class Run {
    final boolean city;
    final Recorder recorder = Latency.recorder();
    final AtomicLong errors = new AtomicLong();
    final AtomicReference<String> firstError = new AtomicReference<>();
    final AtomicInteger inFlight = new AtomicInteger();
    volatile boolean running = true;
    Histogram histogram;
    double seconds;
    Machine.CpuWindow cpu;

    Run(boolean city) {
      this.city = city;
    }

    void drive(List<? extends BenchNode> nodes, Clients sockets) throws Exception {
      cpu = new Machine.CpuWindow(nodes);
      List<Clients.Connection> connections = Clients.spread(nodes, clients,
          (node, count) -> sockets.connectAll(node, count, 64, options));
      int id = 0;
      for (Clients.Connection connection : connections) {
        Caller caller = new Caller(this, connection.socket(), connection.context(), id++);
        connection.context().runOnContext(v -> caller.start());
      }
      Window measured = measure(options, recorder, errors, cpu);
      histogram = measured.histogram();
      seconds = measured.seconds();
      running = false;
      awaitDrained(inFlight);
    }
  }

  /**
   * The measured part of a write run, the same for the raw sockets and for kora-client.
   *
   * @param histogram call-to-answer latencies in the window
   * @param seconds the window's length
   */
  record Window(Histogram histogram, double seconds) {
  }

  /**
   * Waits out the warm-up, then measures for the options' duration: the recorder, the error count
   * and the CPU window start afresh after the warm-up.
   */
  static Window measure(BenchOptions options, Recorder recorder, AtomicLong errors,
      Machine.CpuWindow cpu) throws InterruptedException {
    sleepUntil(System.nanoTime() + options.warmupNanos());
    recorder.getIntervalHistogram();
    cpu.start();
    long from = System.nanoTime();
    errors.set(0);
    sleepUntil(from + options.durationNanos());
    Histogram histogram = recorder.getIntervalHistogram();
    double seconds = (System.nanoTime() - from) / 1e9;
    cpu.stop();
    return new Window(histogram, seconds);
  }

  /** Waits (at most 30 s) until the calls still in flight after a run are answered. */
  static void awaitDrained(AtomicInteger inFlight) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }

  /** @return mutations/s of one raw-socket run on a fresh node */
  private double rawRound(boolean city) throws Exception {
    try (BenchNode.TempDir temp = new BenchNode.TempDir();
        BenchNode node = BenchNode.start(options, "process", temp)) {
      return rate(node, city);
    }
  }

  /** @return mutations/s of one raw-socket run against {@code node} */
  private double rate(BenchNode node, boolean city) throws Exception {
    try (Clients sockets = new Clients(clients)) {
      Run round = new Run(city);
      round.drive(List.of(node), sockets);
      return round.histogram.getTotalCount() / round.seconds;
    }
  }

  /**
   * One write at a time cannot beat one trip through the node plus one fsync: the same run against
   * a node on the memory store (its round trip without durability) and the disk's fsync rate give
   * that bound, {@code 1 / (1 / memory + 1 / fsync)}, and how close the durable node comes to it.
   */
  private void sequentialBound(boolean city, double durable, double fsyncs, Result result)
      throws Exception {
    options.log("bound: the same writes against a node on the memory store");
    double memory;
    try (BenchNode node = BenchNode.start(options, "process", BenchNode.MEMORY)) {
      memory = rate(node, city);
    }
    double bound = 1 / (1 / memory + 1 / fsyncs);
    result.put("memory_node_per_s", Result.round(memory));
    result.put("bound_per_s", Result.round(bound));
    result.put("bound_ratio_to_fsync", Result.round(bound / fsyncs));
    result.put("ratio_to_bound", Result.round(durable / bound));
    result.note("memory_node_per_s: the same run against a node on the memory store (the node's"
        + " and the socket's time per write, without durability); bound_per_s: 1 / (1 /"
        + " memory_node_per_s + 1 / fsync_per_s), what one durable write at a time reaches at best"
        + " when each write costs one trip through the node and one fsync");
  }

  /** @return mutations/s of one kora-client run on a fresh node */
  private double clientRound(boolean city) throws Exception {
    ClientWrites writes = new ClientWrites();
    try (BenchNode.TempDir temp = new BenchNode.TempDir();
        BenchNode node = BenchNode.start(options, "process", temp)) {
      writes.run(options, node, clients, window, keys, city);
    }
    return writes.histogram.getTotalCount() / writes.seconds;
  }

  static void sleepUntil(long nanoTime) throws InterruptedException {
    long left;
    while ((left = nanoTime - System.nanoTime()) > 0) {
      Thread.sleep(Math.max(1, Math.min(100, left / 1_000_000)));
    }
  }

  /** One connection's calls; confined to the connection's context. */
  private final class Caller {
    private final Run run;
    private final WebSocket socket;
    private final Data data;
    private final long[] sentAt = new long[1 << 16];
    private final StringBuilder frame = new StringBuilder(256);
    private final int id;
    private long nextKey;

    Caller(Run run, WebSocket socket, Context context, int id) {
      this.run = run;
      this.socket = socket;
      this.id = id;
      this.data = new Data(new SplittableRandom(id).nextLong(), keys);
      socket.textMessageHandler(this::onText);
      socket.exceptionHandler(e -> { });
    }

    void start() {
      for (int i = 0; i < window; i++) {
        send();
      }
    }

    private void send() {
      long key = ++nextKey;
      frame.setLength(0);
      frame.append("{\"type\":\"call\",\"key\":").append(key)
          .append(",\"action\":\"").append(MUTATION)
          .append("\",\"body\":{\"merge\":{\"bench\":{\"")
          .append(run.city ? "c" : "w").append("\":{\"").append(data.randomKey()).append("\":");
      if (run.city) {
        data.appendCity(frame);
      } else {
        frame.append('"').append(data.leaf()).append('"');
      }
      frame.append("}}}");
      if (ids) {
        // as kora-client's ids: a UUID-long client id, a sequence number, marked as a first send
        frame.append(",\"id\":\"7d0f3c2e-9b1a-4c55-8e2f-").append(100_000_000_000L + id)
            .append(':').append(key).append("\",\"first\":true");
      }
      frame.append("}}");
      run.inFlight.incrementAndGet();
      sentAt[(int) (key & (sentAt.length - 1))] = System.nanoTime();
      socket.writeTextMessage(frame.toString());
    }

    private void onText(String text) {
      long now = System.nanoTime();
      int at = text.indexOf("\"key\":");
      if (at < 0) {
        return;
      }
      long key = 0;
      for (int i = at + 6; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c < '0' || c > '9') {
          break;
        }
        key = key * 10 + (c - '0');
      }
      run.inFlight.decrementAndGet();
      if (text.startsWith("{\"type\":\"reply\"")) {
        Latency.record(run.recorder, now - sentAt[(int) (key & (sentAt.length - 1))]);
      } else {
        run.errors.incrementAndGet();
        run.firstError.compareAndSet(null, text.length() > 300 ? text.substring(0, 300) : text);
      }
      if (run.running) {
        send();
      }
    }
  }
}
