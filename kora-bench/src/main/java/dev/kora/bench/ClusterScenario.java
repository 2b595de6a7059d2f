package dev.kora.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cluster}: the same fan-out and write loads, in one run, against one {@code kora serve} node
 * and against N {@code kora serve --cluster} nodes sharing one PostgreSQL or MySQL store, and the
 * ratios cluster ÷ single node. Every node is a process of its own on loopback ({@link ServedNode});
 * the single node runs on a fresh table of the same store kind and is stopped before the cluster
 * starts. The loads are {@link FanoutScenario}'s and {@link WriteScenario}'s, their connections
 * spread evenly over the nodes.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
    description = "Fan-out and writes against one node and against N 'kora serve --cluster' nodes"
        + " on one shared store, in one run, and their ratios. --store must be postgres://... or"
        + " mysql://... (default: " + ClusterScenario.DEFAULT_STORE + ", a table"
        + " bench_cluster_<random> of the run's own, and <table>_single for the single node).")
final class ClusterScenario implements Callable<Integer> {

  /** The store of the nodes when {@code --store} is not given; a table of the run's own is added. */
  static final String DEFAULT_STORE = "postgres://postgres@127.0.0.1:5432/kora_test";

  /** The URL schemes of stores several nodes can share (docs/operations.md). */
  private static final List<String> SHARED_SCHEMES = List.of("postgres://", "postgresql://",
      "mysql://", "mariadb://", "cassandra://");

  /** How long the nodes of a phase may take to start and take writes, in ns. */
  private static final long START_NANOS = 180_000_000_000L;

  @Mixin
  BenchOptions options;

  @Option(names = "--nodes", defaultValue = "3",
      description = "Members of the cluster, 2 to 9 (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--subscribers", defaultValue = "1000",
      description = "Fan-out: subscribed connections, spread over the nodes"
          + " (default: ${DEFAULT-VALUE}).")
  int subscribers;

  @Option(names = "--rate", defaultValue = "200",
      description = "Fan-out: updates per second, all writers together, entering at the nodes in"
          + " turn (default: ${DEFAULT-VALUE}).")
  int rate;

  @Option(names = "--clients", defaultValue = "64",
      description = "Writes: connections, spread over the nodes (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--window", defaultValue = "16",
      description = "Writes: calls in flight per connection (default: ${DEFAULT-VALUE}).")
  int window;

  @Mixin
  CliLauncher launcher;

  @Override
  public Integer call() throws Exception {
    check();
    String clusterStore = clusterStore(options.store);
    String singleStore = clusterStore.replaceFirst("([?&]table=[A-Za-z0-9_]+)", "$1_single");
    List<String> command = launcher.serve(options.nodeJavaOpts);
    Result result = new Result("cluster");
    Machine.describe(result);
    result.put("nodes", nodes).put("subscribers", subscribers).put("rate_per_s", rate)
        .put("clients", clients).put("window", window)
        .put("command", launcher.describeServe());
    try (BenchNode.TempDir temp = new BenchNode.TempDir();
        Clients probes = new Clients(nodes + 1)) {
      try (Phase single = new Phase()) {
        options.log("cluster: one node on %s", singleStore);
        single.start(command, 1, singleStore, temp, probes, result, "single_");
        measure(single.nodes, result, "single_");
      }
      try (Phase cluster = new Phase()) {
        options.log("cluster: %d nodes on %s", nodes, clusterStore);
        cluster.start(command, nodes, clusterStore, temp, probes, result, "cluster_");
        result.put("cluster_leader_node", leader(cluster.nodes));
        measure(cluster.nodes, result, "cluster_");
      }
    }
    putRatio(result, "ratio_pushes_per_s", "fanout_pushes_per_s");
    putRatio(result, "ratio_fanout_p99", "fanout_p99_ms");
    putRatio(result, "ratio_mutations_per_s", "write_mutations_per_s");
    putRatio(result, "ratio_write_p99", "write_p99_ms");
    putRatio(result, "ratio_cpu_per_push", "fanout_cpu_us_per_op_node");
    putRatio(result, "ratio_cpu_per_write", "write_cpu_us_per_op_node");
    for (String phase : List.of("single_", "cluster_")) {
      Object missing = result.get(phase + "fanout_pushes_missing");
      if (missing instanceof Number number && number.longValue() != 0) {
        result.note("WARNING: " + phase + "fanout_pushes_missing " + missing + ": pushes that never"
            + " arrived (a bug: every node must push every commit to its subscribers)");
      }
    }
    result.note("single_*: one 'kora serve' node; cluster_*: " + nodes + " 'kora serve --cluster'"
        + " nodes on one store, the connections spread over them; CPU figures (*_cpu_us_per_op_node,"
        + " *_cpu_cores_node) are of all the node processes together");
    result.note("ratio_*: cluster / single node; on a machine whose cores every node shares, a"
        + " cluster adds work (forwarding to the leader, commits sent to every member) and no cores");
    result.put("load_average_1m_end", Machine.loadAverage());
    result.print(System.out, options.json);
    return 0;
  }

  /** Checks the options; throws {@link IllegalArgumentException} naming the one out of range. */
  private void check() {
    if (options.url != null) {
      throw new IllegalArgumentException("kora bench cluster starts its own nodes: --url cannot be"
          + " given");
    }
    if (options.node != null && !options.node.equals("process")) {
      throw new IllegalArgumentException("kora bench cluster runs every node in a process of its"
          + " own ('kora serve'): --node must be process");
    }
    if (!options.changeLogOn()) {
      throw new IllegalArgumentException("kora bench cluster runs 'kora serve' with its change log:"
          + " --change-log must be on");
    }
    if (nodes < 2 || nodes > 9) {
      throw new IllegalArgumentException("--nodes must be 2 to 9");
    }
    if (clients < 1 || window < 1) {
      throw new IllegalArgumentException("--clients and --window must be at least 1");
    }
    FanoutScenario.of(options, subscribers, rate).check();
  }

  /**
   * @param store {@code --store}, or null
   * @return the cluster's store URL: a server store several nodes share, with a table (the given
   *     one, or {@code bench_cluster_<random>})
   * @throws IllegalArgumentException for a store a cluster cannot share (SQLite, memory)
   */
  static String clusterStore(String store) {
    String url = store != null ? store : DEFAULT_STORE;
    if (SHARED_SCHEMES.stream().noneMatch(url::startsWith)) {
      throw new IllegalArgumentException("kora bench cluster needs a store that several nodes"
          + " share, postgres://..., mysql://... or cassandra://...; sqlite and memory are one"
          + " node's own, got --store " + url);
    }
    if (url.matches(".*[?&]table=.*")) {
      return url;
    }
    String table = String.format(Locale.ROOT, "bench_cluster_%08x",
        ThreadLocalRandom.current().nextInt());
    return url + (url.contains("?") ? "&" : "?") + "table=" + table;
  }

  /**
   * @return the index of the member that leads (its {@code kora_cluster_leader} gauge is 1), the
   *     node whose figures {@code cpu_us_per_op_node<index>} are the leader's; null when none says
   *     so
   */
  private static Integer leader(List<ServedNode> members) {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    for (int i = 0; i < members.size(); i++) {
      try {
        String scrape = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                "http://127.0.0.1:" + members.get(i).port() + "/metrics"))
                .timeout(java.time.Duration.ofSeconds(5)).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        if (scrape.lines().anyMatch(line -> line.startsWith("kora_cluster_leader ")
            && line.endsWith(" 1.0"))) {
          return i;
        }
      } catch (java.io.IOException e) {
        // not this one
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
    return null;
  }

  /** The fan-out, then the writes, against one phase's nodes; figures under {@code prefix}. */
  private void measure(List<ServedNode> members, Result result, String prefix) throws Exception {
    options.log("%sfanout: %,d subscribers, %d updates/s over %d node(s)", prefix, subscribers,
        rate, members.size());
    Result fanout = new Result("fanout");
    FanoutScenario.of(options, subscribers, rate).measure(members, fanout);
    result.putAll(prefix + "fanout_", fanout);
    options.log("%swrite: %d clients x %d in flight over %d node(s)", prefix, clients, window,
        members.size());
    Result writes = new Result("write");
    WriteScenario.of(options, clients, window).measure(members, false, writes);
    result.putAll(prefix + "write_", writes);
  }

  /** Puts {@code cluster_FIGURE / single_FIGURE}, or null when either is missing or 0. */
  private static void putRatio(Result result, String name, String figure) {
    Object single = result.get("single_" + figure);
    Object cluster = result.get("cluster_" + figure);
    result.put(name, single instanceof Number one && cluster instanceof Number many
        && one.doubleValue() > 0 ? Result.round(many.doubleValue() / one.doubleValue()) : null);
  }

  /** The node processes of one phase; closing it stops them all. */
  private final class Phase implements AutoCloseable {
    final List<ServedNode> nodes = new ArrayList<>();

    /**
     * Launches {@code count} nodes on {@code store} at once (one alone, or the members of a
     * cluster: members started one by one would each wait for the others), then waits until each
     * takes writes; puts {@code PREFIXstart_seconds} and {@code PREFIXstore}.
     */
    void start(List<String> command, int count, String store, BenchNode.TempDir temp,
        Clients probes, Result result, String prefix) throws Exception {
      String clusterName = "kora-bench-" + Long.toHexString(System.nanoTime());
      List<String> join = new ArrayList<>();
      for (int index = 0; index < count; index++) {
        join.add("127.0.0.1:" + CliLauncher.freePort());
      }
      long start = System.nanoTime();
      for (int index = 0; index < count; index++) {
        int port = CliLauncher.freePort();
        List<String> line = new ArrayList<>(command);
        line.addAll(List.of("--host", "127.0.0.1", "--port", Integer.toString(port), "--store",
            store, "--data", temp.path().resolve(prefix + index).toString()));
        if (options.rules != null) {
          line.addAll(List.of("--rules", options.rules));
        }
        if (count > 1) {
          String clusterPort = join.get(index).substring("127.0.0.1:".length());
          line.addAll(List.of("--cluster", "--cluster-name", clusterName, "--cluster-host",
              "127.0.0.1", "--cluster-port", clusterPort, "--bus-port",
              Integer.toString(CliLauncher.freePort()), "--join", String.join(",", join),
              "--cluster-size", Integer.toString(count)));
        }
        nodes.add(ServedNode.launch(line, port, store,
            temp.path().resolve(prefix + index + ".log")));
      }
      long deadline = start + START_NANOS;
      for (ServedNode node : nodes) {
        node.awaitAccepting(deadline, 100);
      }
      for (ServedNode node : nodes) {
        node.awaitWrites(probes, deadline);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      options.log("%s%d node(s) take writes after %.1f s", prefix, count, seconds);
      result.put(prefix + "store", nodes.get(0).store());
      result.put(prefix + "start_seconds", Result.round(seconds));
    }

    @Override
    public void close() {
      ServedNode.stopAll(nodes);
    }
  }
}
