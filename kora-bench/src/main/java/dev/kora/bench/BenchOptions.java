package dev.kora.bench;

import picocli.CommandLine.Option;

/** Options every scenario shares: timing, output and which node to drive. */
final class BenchOptions {

  // 10 s: on two cores shared with the load tool, the node's JIT compiler still took 16-18 % of its
  // CPU in a window that began 5 s in (async-profiler), and fan-out cost 6 % more CPU per push.
  @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "10",
      description = "Warm-up before measuring, not counted (default: ${DEFAULT-VALUE} s).")
  double warmupSeconds;

  @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "10",
      description = "How long to measure (default: ${DEFAULT-VALUE} s).")
  double durationSeconds;

  @Option(names = "--json", description = "Print one JSON object on stdout instead of a table.")
  boolean json;

  @Option(names = "--url", paramLabel = "URL",
      description = "Drive a running node, e.g. ws://127.0.0.1:12000/socket (loopback only). "
          + "Default: start a node in this run.")
  String url;

  @Option(names = "--store", paramLabel = "URL",
      description = "Store of the node this run starts (default: a fresh SQLite file in a temp "
          + "folder, synchronous=FULL). A server store without ?table= gets a fresh table "
          + "kora_bench_<time> (use a scratch database: tables are not dropped).")
  String store;

  @Option(names = "--node", paramLabel = "in|process",
      description = "Run the node in a child JVM (process, the default: its CPU, heap and GC are its"
          + " own, as in a real deployment) or in this JVM (in).")
  String node;

  @Option(names = "--node-java-opts", paramLabel = "OPTS", defaultValue = "",
      description = "JVM options of a child node JVM, e.g. '-Xmx1g -XX:+UseSerialGC'; they follow"
          + " (and override) Kora's default JVM options, as KORA_JAVA_OPTS does in ./kora.")
  String nodeJavaOpts;

  @Option(names = "--change-log", paramLabel = "on|off", defaultValue = "on",
      description = "The change log of the node this run starts: on (the default, as nodes run) or"
          + " off (KoraNodeOptions.setChangeLog(false): versions only), to measure its cost.")
  String changeLog;

  @Option(names = "--rules", paramLabel = "FILE",
      description = "A rules file the node this run starts enforces (KoraNodeOptions.setRules),"
          + " to measure what rules cost, e.g. kora-bench/rules/twenty.rules.json; the rules must"
          + " let anonymous clients read and write under bench/.")
  String rules;

  @Option(names = "--quiet", description = "No progress lines on stderr.")
  boolean quiet;

  long warmupNanos() {
    return (long) (warmupSeconds * 1e9);
  }

  long durationNanos() {
    return (long) (durationSeconds * 1e9);
  }

  void log(String format, Object... args) {
    if (!quiet) {
      System.err.printf("kora-bench: " + format + "%n", args);
      System.err.flush();
    }
  }

  void check() {
    if (warmupSeconds < 0 || durationSeconds <= 0 || durationSeconds > 3600 || warmupSeconds > 600) {
      throw new IllegalArgumentException("--duration must be in (0, 3600] s and --warmup in [0, 600] s");
    }
    if (!changeLog.equals("on") && !changeLog.equals("off")) {
      throw new IllegalArgumentException("--change-log must be on or off");
    }
  }

  /** @return whether the node this run starts keeps a change log */
  boolean changeLogOn() {
    return changeLog.equals("on");
  }
}
