package dev.kora.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each scenario runs once, briefly and with tiny counts, and prints one JSON object with its named
 * figures. Nothing here asserts a speed: benchmarks print figures, they do not pass or fail on them.
 */
class ScenarioSmokeTest {

  private static final String[] SHORT = {"--json", "--quiet", "--warmup", "1", "--duration", "0.5"};

  private static JsonObject run(String... args) {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int status;
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      String[] all = new String[args.length + SHORT.length];
      System.arraycopy(args, 0, all, 0, args.length);
      System.arraycopy(SHORT, 0, all, args.length, SHORT.length);
      status = KoraBench.execute(all);
    } finally {
      System.setOut(original);
    }
    String output = captured.toString(StandardCharsets.UTF_8).trim();
    assertEquals(0, status, "exit status of " + String.join(" ", args) + "; output: " + output);
    String last = output.substring(output.lastIndexOf('\n') + 1);
    return new JsonObject(last);
  }

  private static void assertFields(JsonObject json, String... fields) {
    for (String field : fields) {
      assertTrue(json.containsKey(field), "missing " + field + " in " + json.encode());
    }
  }

  @Test
  void write() {
    JsonObject json = run("write", "--clients", "2", "--window", "2", "--batch", "50");
    assertFields(json, "mutations_per_s", "p50_ms", "p99_ms", "max_ms", "seconds", "durability",
        "baseline_per_s", "ratio_to_baseline");
    assertEquals(0L, json.getLong("errors"));
    assertTrue(json.getLong("mutations") > 0);
  }

  /**
   * One write at a time on a durable store: the same writes against a node on the memory store give
   * the bound of one trip through the node plus one fsync, and the store alone one commit at a time.
   */
  @Test
  void sequentialWritesReportTheirBound() {
    JsonObject json = run("write", "--clients", "1", "--window", "1", "--batch", "50");
    assertFields(json, "fsync_per_s", "ratio_to_fsync", "memory_node_per_s", "bound_per_s",
        "bound_ratio_to_fsync", "ratio_to_bound", "store_sequential_per_s");
    assertEquals(0L, json.getLong("errors"));
    double bound = json.getDouble("bound_per_s");
    assertTrue(bound > 0 && bound < json.getDouble("memory_node_per_s")
        && bound < json.getDouble("fsync_per_s"), "the bound is below both of its parts: " + json);
  }

  @Test
  void writeThroughKoraClient() {
    JsonObject json = run("write", "--clients", "2", "--window", "2", "--no-baseline", "--ids",
        "--client", "--rounds", "2");
    assertFields(json, "client_mutations_per_s", "client_p99_ms", "client_ratio_to_raw",
        "client_ratio_rounds");
    assertEquals(0L, json.getLong("errors"), "raw writes with ids");
    assertEquals(0L, json.getLong("client_errors"));
    assertTrue(json.getDouble("client_mutations_per_s") > 0);
  }

  @Test
  void fanout(@TempDir Path temp) throws Exception {
    Path timeline = temp.resolve("timeline.csv");
    JsonObject json = run("fanout", "--subscribers", "5", "--rate", "20",
        "--timeline", timeline.toString());
    assertFields(json, "pushes_per_s", "p50_ms", "p99_ms", "max_ms", "seconds", "pushes_missing",
        "cpu_steal_share", "cpu_idle_share");
    assertEquals("netty", json.getString("client"));
    assertFields(json, "client_transport");
    assertEquals(0L, json.getLong("errors"));
    assertEquals(0L, json.getLong("pushes_missing"), "every push of the window arrived");
    assertTrue(json.getLong("updates") > 0);
    assertTimeline(timeline, json.getLong("updates"));
  }

  @Test
  void fanoutWithVertxClients(@TempDir Path temp) throws Exception {
    Path timeline = temp.resolve("timeline.csv");
    JsonObject json = run("fanout", "--subscribers", "5", "--rate", "20", "--client", "vertx",
        "--timeline", timeline.toString());
    assertEquals("vertx", json.getString("client"));
    assertEquals(0L, json.getLong("errors"));
    assertEquals(0L, json.getLong("pushes_missing"), "every push of the window arrived");
    assertTimeline(timeline, json.getLong("updates"));
  }

  /** Every update of the window has a line with its latest push and the writer's reply. */
  private static void assertTimeline(Path timeline, long measured) throws Exception {
    java.util.List<String> lines = Files.readAllLines(timeline);
    assertEquals("update,due_ms,worst_push_us,reply_us", lines.get(0));
    long inWindow = 0;
    for (String line : lines.subList(1, lines.size())) {
      String[] columns = line.split(",");
      if (Long.parseLong(columns[1]) >= 0) {
        inWindow++;
        assertTrue(Long.parseLong(columns[2]) > 0, "a push of " + line);
        assertTrue(Long.parseLong(columns[3]) > 0, "the reply of " + line);
      }
    }
    assertEquals(measured, inWindow, "one line per update of the window");
  }

  @Test
  void connectionsInAChildJvm() {
    JsonObject json = run("connections", "--connections", "20");
    assertFields(json, "heap_bytes_per_connection", "rss_bytes_per_connection", "seconds");
    assertEquals(0L, json.getLong("errors"));
  }

  @Test
  void idleServeProcess() {
    JsonObject json = run("idle", "--subscribers", "5", "--settle", "1", "--jar",
        "does-not-exist.jar");
    assertFields(json, "rss_bytes", "rss_started_bytes", "rss_burst_peak_bytes",
        "heap_committed_bytes", "threads");
    assertEquals(5L, json.getLong("subscribers"));
    assertEquals(0L, json.getLong("burst_errors"));
    assertTrue(json.getLong("burst_writes") > 0);
  }

  @Test
  void hostileRunsEveryAbuseInAChildJvm() {
    JsonObject json = run("hostile", "--rate", "50", "--seed-leaves", "2000", "--half-open", "20",
        "--large-leaves", "10000");
    assertFields(json, "quiet_p99_ms", "quiet_errors", "ping_flood_p99_ms", "sse_no_read_p99_ms",
        "half_open_p99_ms", "big_subscribe_p99_ms", "large_frame_p99_ms", "cast_flood_p99_ms",
        "cast_flood_rss_bytes");
    assertEquals(0L, json.getLong("quiet_errors"), "nothing fails without abuse");
  }

  @Test
  void writeWithTheChangeLogOff() {
    JsonObject json = run("write", "--clients", "2", "--window", "2", "--no-baseline",
        "--change-log", "off");
    assertEquals("off", json.getString("change_log"));
    assertEquals(0L, json.getLong("errors"));
    assertTrue(json.getLong("mutations") > 0);
  }

  @Test
  void resume() {
    JsonObject json = run("resume", "--leaves", "2000", "--changes", "50", "--rounds", "3");
    assertFields(json, "resume_p50_ms", "resume_max_ms", "full_read_p50_ms", "answer_leaves_avg",
        "client_resume_p50_ms", "client_resume_max_ms", "client_heap_bytes_per_cached_leaf");
    assertEquals(3L, json.getLong("converged_rounds"));
    assertTrue(json.getLong("answer_leaves_avg") <= 50, "a delta, not the whole subtree");
  }

  @Test
  void read() {
    JsonObject json = run("read", "--children", "300", "--page", "100");
    assertFields(json, "whole_p50_ms", "page_p50_ms", "baseline_whole_p50_ms",
        "ratio_to_baseline_page", "seconds");
  }

  @Test
  void baseline() {
    JsonObject json = run("baseline", "--children", "300", "--page", "100", "--batch", "50");
    assertFields(json, "baseline_per_s", "baseline_mutation_list_per_s", "baseline_whole_p50_ms",
        "baseline_page_p50_ms");
  }

  @Test
  void importInAChildJvm(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("small.json");
    Files.writeString(file, "[{\"name\":\"Vila\",\"country\":\"AD\"},{\"name\":\"Ordino\",\"country\":\"AD\"}]");
    JsonObject json = run("import", "--file", file.toString());
    assertFields(json, "seconds", "leaves_per_s", "baseline_seconds");
    assertEquals(4L, json.getLong("leaves"));
  }

  /**
   * Two {@code kora serve --cluster} processes and one alone, on the PostgreSQL of the tests
   * ({@code KORA_PG_URL}, else the local one), on this JVM's class path.
   */
  @Test
  void clusterOfTwoAgainstOneNode() {
    String pg = System.getenv("KORA_PG_URL");
    JsonObject json = run("cluster", "--nodes", "2", "--subscribers", "20", "--rate", "20",
        "--clients", "4", "--window", "4", "--jar", "does-not-exist.jar",
        "--store", pg == null || pg.isBlank() ? ClusterScenario.DEFAULT_STORE : pg,
        "--node-java-opts", "-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC");
    for (String phase : new String[] {"single_", "cluster_"}) {
      assertFields(json, phase + "start_seconds", phase + "fanout_pushes_per_s",
          phase + "fanout_pushes_expected_per_s", phase + "fanout_p50_ms", phase + "fanout_p99_ms",
          phase + "fanout_cpu_us_per_op_node", phase + "write_mutations_per_s",
          phase + "write_p50_ms", phase + "write_p99_ms", phase + "write_cpu_us_per_op_node");
      assertEquals(0L, json.getLong(phase + "fanout_pushes_missing"), phase + "pushes missing");
      assertEquals(0L, json.getLong(phase + "fanout_errors"), phase + "fan-out errors");
      assertEquals(0L, json.getLong(phase + "write_errors"), phase + "write errors");
      assertTrue(json.getLong(phase + "fanout_updates") > 0, phase + "updates");
      assertTrue(json.getLong(phase + "write_mutations") > 0, phase + "writes");
    }
    assertFields(json, "ratio_pushes_per_s", "ratio_fanout_p99", "ratio_mutations_per_s",
        "ratio_write_p99", "ratio_cpu_per_push", "ratio_cpu_per_write");
    assertTrue(json.getString("cluster_store").contains("table=bench_cluster_"));
    assertTrue(json.getString("single_store").endsWith("_single"));
  }

  @Test
  void clusterRefusesAStoreOfOneNode() {
    IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> ClusterScenario.clusterStore("sqlite:/tmp/k.db"));
    assertTrue(refused.getMessage().contains("several nodes share"), refused.getMessage());
    assertTrue(ClusterScenario.clusterStore("mysql://root@127.0.0.1:3306/kora_test")
        .matches("mysql://root@127\\.0\\.0\\.1:3306/kora_test\\?table=bench_cluster_[0-9a-f]{8}"));
    assertTrue(ClusterScenario.clusterStore("cassandra://127.0.0.1:9042/kora_test")
        .startsWith("cassandra://127.0.0.1:9042/kora_test?table=bench_cluster_"));
  }

  @Test
  void startInAChildJvm() {
    JsonObject json = run("start", "--runs", "1", "--jar", "does-not-exist.jar");
    assertFields(json, "start_ms", "first_ping_ms", "seconds");
  }
}
