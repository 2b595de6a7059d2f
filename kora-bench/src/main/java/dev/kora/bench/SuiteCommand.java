package dev.kora.bench;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code suite}: runs scenarios several times, each run in a fresh JVM, and prints a Markdown table of
 * the median with min–max of their main figures (the form docs/benchmarks.md reports).
 */
@Command(name = "suite", mixinStandardHelpOptions = true,
    description = "Run scenarios N times each (fresh JVMs) and print median (min-max) as Markdown.")
final class SuiteCommand implements Callable<Integer> {

  private static final Map<String, List<String>> FIGURES = new LinkedHashMap<>();

  static {
    FIGURES.put("baseline", List.of("baseline_per_s", "baseline_mutation_list_per_s",
        "baseline_whole_p50_ms", "baseline_page_p50_ms"));
    FIGURES.put("write", List.of("mutations_per_s", "leaves_per_s", "p50_ms", "p99_ms", "max_ms",
        "baseline_per_s", "ratio_to_baseline", "baseline_mutation_list_per_s",
        "ratio_to_mutation_list_baseline", "cpu_us_per_op_node", "fsync_per_s", "ratio_to_fsync",
        "store_sequential_per_s", "store_sequential_ratio_to_fsync", "ratio_to_store_sequential"));
    FIGURES.put("fanout", List.of("pushes_per_s", "pushes_expected_per_s", "p50_ms", "p99_ms",
        "max_ms", "pushes_missing", "write_p99_ms", "cpu_us_per_op_node"));
    FIGURES.put("connections", List.of("heap_bytes_per_connection", "rss_bytes_per_connection",
        "connections_per_s"));
    FIGURES.put("idle", List.of("rss_bytes", "rss_burst_peak_bytes", "rss_started_bytes",
        "heap_committed_bytes", "burst_writes"));
    FIGURES.put("read", List.of("whole_p50_ms", "whole_max_ms", "baseline_whole_p50_ms",
        "ratio_to_baseline_whole", "page_p50_ms", "page_p99_ms", "baseline_page_p50_ms",
        "ratio_to_baseline_page"));
    FIGURES.put("import", List.of("seconds", "leaves_per_s", "baseline_seconds", "ratio_to_baseline"));
    FIGURES.put("start", List.of("start_ms", "first_ping_ms"));
    FIGURES.put("cluster", List.of("single_fanout_pushes_per_s", "cluster_fanout_pushes_per_s",
        "ratio_pushes_per_s", "single_fanout_p99_ms", "cluster_fanout_p99_ms", "ratio_fanout_p99",
        "cluster_fanout_pushes_missing", "single_write_mutations_per_s",
        "cluster_write_mutations_per_s", "ratio_mutations_per_s", "single_write_p99_ms",
        "cluster_write_p99_ms", "ratio_write_p99", "ratio_cpu_per_push", "ratio_cpu_per_write"));
  }

  @Option(names = "--runs", defaultValue = "3", description = "Runs per scenario (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--scenario", paramLabel = "'NAME [OPTIONS]'",
      description = "A scenario with its options, e.g. --scenario 'write --shape city'; repeatable."
          + " Default: baseline, write, write --shape city, fanout, connections, read, import, start.")
  List<String> scenarios;

  @Parameters(paramLabel = "SCENARIO", arity = "0..*",
      description = "Scenarios to run with their default options, e.g. cluster (not in the default"
          + " list: about 2 minutes and N + 1 node processes a run); --scenario gives options too.")
  List<String> names;

  @Option(names = "--common", paramLabel = "OPTIONS", defaultValue = "",
      description = "Options given to every scenario, e.g. '--warmup 5 --duration 20'.")
  String common;

  @Option(names = "--java-opts", paramLabel = "OPTS", defaultValue = "",
      description = "JVM options of each scenario's JVM.")
  String javaOpts;

  @Option(names = "--out", paramLabel = "FILE",
      description = "Also append every run's JSON object to this file, one per line.")
  File out;

  @Override
  public Integer call() throws Exception {
    List<String> list = new ArrayList<>();
    if (scenarios != null) {
      list.addAll(scenarios);
    }
    if (names != null) {
      list.addAll(names);
    }
    if (list.isEmpty()) {
      list = List.of("baseline", "write", "write --shape city", "fanout", "connections", "read",
          "import", "start --runs 1");
    }
    Map<String, List<JsonObject>> results = new LinkedHashMap<>();
    for (String scenario : list) {
      for (int run = 1; run <= runs; run++) {
        System.err.printf("kora bench suite: %s, run %d of %d%n", scenario, run, runs);
        JsonObject json = runOnce(scenario);
        results.computeIfAbsent(scenario, k -> new ArrayList<>()).add(json);
        if (out != null) {
          Files.writeString(out.toPath(), json.encode() + "\n", StandardCharsets.UTF_8,
              StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
      }
    }
    print(System.out, results);
    return 0;
  }

  private JsonObject runOnce(String scenario) throws Exception {
    List<String> command = Machine.javaCommand(javaOpts);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), KoraBench.class.getName()));
    command.addAll(Arrays.asList(scenario.trim().split("\\s+")));
    command.add("--json");
    if (!common.isBlank()) {
      command.addAll(Arrays.asList(common.trim().split("\\s+")));
    }
    Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    String last = null;
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        if (line.startsWith("{")) {
          last = line;
        }
      }
    }
    int status = process.waitFor();
    if (status != 0 || last == null) {
      throw new IllegalStateException("'" + scenario + "' failed with exit status " + status);
    }
    return new JsonObject(last);
  }

  static void print(PrintStream out, Map<String, List<JsonObject>> results) {
    out.println("| scenario | figure | median | min – max | runs |");
    out.println("| --- | --- | ---: | ---: | ---: |");
    for (Map.Entry<String, List<JsonObject>> entry : results.entrySet()) {
      String name = entry.getKey().split("\\s+")[0];
      for (String figure : FIGURES.getOrDefault(name, List.of("seconds"))) {
        double[] values = entry.getValue().stream().map(json -> json.getValue(figure))
            .filter(v -> v instanceof Number).mapToDouble(v -> ((Number) v).doubleValue())
            .sorted().toArray();
        if (values.length == 0) {
          continue;
        }
        out.printf(Locale.ROOT, "| %s | %s | %s | %s – %s | %d |%n", entry.getKey(), figure,
            Result.format(values[values.length / 2]), Result.format(values[0]),
            Result.format(values[values.length - 1]), values.length);
      }
    }
  }
}
