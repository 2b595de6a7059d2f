package dev.kora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.cli.cluster.HazelcastClusters;
import dev.kora.cli.durability.NodeProcess;
import dev.kora.testkit.ChildJvm;
import dev.kora.tree.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kora serve --cluster}: the refusals that come before Hazelcast starts (stores several nodes
 * cannot share, cluster options without {@code --cluster}, bad {@code --join} entries and
 * {@code "cluster"} objects, a size below the members named), run in-process; and two real
 * {@code kora serve} processes on loopback and one PostgreSQL store, one clustered by its options,
 * the other by its {@code --config} file, that form one Hazelcast cluster, each logging both
 * members, and that drop a member that stops answering
 * (SIGSTOP) within the failure detection's seconds. PostgreSQL is the server
 * {@code scripts/services/all.sh ensure} starts ({@code KORA_PG_URL} overrides it), each run in a
 * table of its own. Writes across members are not tested: the members do not order them yet.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServeClusterTest {

  /** What a node process runs with: small, plus the access to JDK internals Hazelcast asks for. */
  private static final List<String> NODE_JVM = jvmOptions();

  @TempDir
  Path dir;

  private static List<String> jvmOptions() {
    List<String> options = new ArrayList<>(ChildJvm.SMALL_JVM);
    // what kora.jar's manifest gives Hazelcast (Add-Exports, Add-Opens), for a run from classes
    options.addAll(List.of("--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens", "java.management/sun.management=ALL-UNNAMED",
        "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED"));
    return options;
  }

  private static String postgres() {
    String url = System.getenv("KORA_PG_URL");
    return (url == null || url.isBlank() ? "postgres://postgres@127.0.0.1:5432/kora_test" : url)
        + "?table=cluster_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
  }

  @Test
  void storesThatNodesCannotShareAreRefusedBeforeHazelcastStarts() {
    CliTest.Run memory = CliTest.kora("serve", "--cluster", "--store", "memory");
    memory.assertFailure(ErrorCode.INVALID_MESSAGE, "memory");
    assertTrue(memory.err().contains("a cluster needs a store that several nodes share: postgres,"
        + " mysql or cassandra; memory is the memory of one node"), memory.err());
    CliTest.Run sqlite = CliTest.kora("serve", "--cluster", "--store",
        "sqlite:" + dir.resolve("kora.db"));
    sqlite.assertFailure(ErrorCode.INVALID_MESSAGE, "sqlite");
    assertTrue(sqlite.err().contains("a cluster needs a store that several nodes share: postgres,"
        + " mysql or cassandra; sqlite is one file of one node"), sqlite.err());
    CliTest.Run byDefault = CliTest.kora("serve", "--cluster", "--data", dir.toString());
    assertTrue(byDefault.err().contains("sqlite is one file of one node"),
        "the default store is SQLite: " + byDefault.err());
    assertTrue(Files.notExists(dir.resolve("kora.db")), "nothing was opened");
  }

  /**
   * Cassandra fences its writes (a lightweight transaction on its fence table), so a cluster may
   * share it: the store passes the check and the next one (the members) speaks.
   */
  @Test
  void cassandraIsAcceptedForACluster() {
    CliTest.Run cassandra = CliTest.kora("serve", "--cluster", "--store",
        "cassandra://127.0.0.1:1/kora_test", "--join", "127.0.0.1:5701,127.0.0.1:5702",
        "--cluster-port", "5703", "--cluster-size", "2");
    cassandra.assertFailure(ErrorCode.INVALID_MESSAGE, "a size below the members named");
    assertTrue(cassandra.err().contains("the cluster size 2 is smaller than the 3 distinct"
        + " members"), "not refused for the store: " + cassandra.err());
  }

  @Test
  void clusterOptionsNeedCluster() {
    CliTest.Run join = CliTest.kora("serve", "--store", "memory", "--join", "127.0.0.1:5701");
    assertEquals(2, join.exit(), "a usage error: " + join.err());
    assertTrue(join.err().contains("--join needs --cluster"), join.err());
    CliTest.Run two = CliTest.kora("serve", "--store", "memory", "--cluster-host", "127.0.0.1",
        "--cluster-port", "5702", "--cluster-size", "3");
    assertEquals(2, two.exit(), two.err());
    assertTrue(two.err().contains("--cluster-host, --cluster-port, --cluster-size need --cluster"),
        two.err());
    config("{\"clusterSize\": 3, \"store\": {\"url\": \"memory\"}}")
        .assertFailure(ErrorCode.INVALID_MESSAGE, "clusterSize without a cluster");
  }

  @Test
  void badMembersAndSizesAreRefused() throws IOException {
    String store = "postgres://postgres@127.0.0.1:1/never";
    CliTest.Run notHostPort = CliTest.kora("serve", "--cluster", "--store", store, "--join",
        "127.0.0.1:5701,db-2");
    assertEquals(2, notHostPort.exit(), notHostPort.err());
    assertTrue(notHostPort.err().contains("--join: 'db-2' is not HOST:PORT"), notHostPort.err());
    CliTest.Run port = CliTest.kora("serve", "--cluster", "--store", store, "--join",
        "127.0.0.1:0");
    assertEquals(2, port.exit(), port.err());
    assertTrue(port.err().contains("must be 1 to 65535, got 0"), port.err());
    CliTest.Run small = CliTest.kora("serve", "--cluster", "--store", store, "--join",
        "127.0.0.1:5701,127.0.0.1:5702", "--cluster-port", "5703", "--cluster-size", "2");
    small.assertFailure(ErrorCode.INVALID_MESSAGE, "a size below the members named");
    assertTrue(small.err().contains("the cluster size 2 is smaller than the 3 distinct members"),
        small.err());
    CliTest.Run wildcard = CliTest.kora("serve", "--cluster", "--store", store, "--cluster-host",
        "0.0.0.0");
    wildcard.assertFailure(ErrorCode.INVALID_MESSAGE, "a wildcard cluster host");

    CliTest.Run unknownKey = config("{\"cluster\": {\"join\": [\"127.0.0.1:5701\"], \"prot\": 1},"
        + " \"store\": {\"url\": \"" + store + "\"}}");
    unknownKey.assertFailure(ErrorCode.INVALID_MESSAGE, "a misspelt key");
    assertTrue(unknownKey.err().contains("cluster has an unknown key 'prot'"), unknownKey.err());
    CliTest.Run badEntry = config("{\"cluster\": {\"join\": [\"127.0.0.1:5701\", 5702]},"
        + " \"store\": {\"url\": \"" + store + "\"}}");
    badEntry.assertFailure(ErrorCode.INVALID_MESSAGE, "a number for a member");
    assertTrue(badEntry.err().contains("cluster.join[1]: not a string: 5702"), badEntry.err());
    CliTest.Run twoSizes = config("{\"cluster\": {\"size\": 3}, \"clusterSize\": 5,"
        + " \"store\": {\"url\": \"" + store + "\"}}");
    twoSizes.assertFailure(ErrorCode.INVALID_MESSAGE, "two sizes");
    CliTest.Run memory = config("{\"cluster\": {}, \"store\": {\"url\": \"memory\"}}");
    assertTrue(memory.err().contains("memory is the memory of one node"),
        "an empty \"cluster\" object makes a cluster member: " + memory.err());
  }

  @Test
  void twoNodesFormOneClusterAndDropAMemberThatStopsAnswering() throws Exception {
    String store = postgres();
    String name = "test-" + UUID.randomUUID().toString().substring(0, 8);
    int firstPort = NodeProcess.freePort();
    int secondPort = NodeProcess.freePort();
    String join = "127.0.0.1:" + firstPort + ",127.0.0.1:" + secondPort;
    List<String> firstOptions = List.of("--cluster", "--cluster-name", name, "--cluster-port",
        String.valueOf(firstPort), "--bus-port", String.valueOf(NodeProcess.freePort()), "--join",
        join);
    // the second is told the same in its --config file
    Path config = Files.writeString(dir.resolve("second.json"), new JsonObject()
        .put("cluster", new JsonObject().put("name", name).put("port", secondPort)
            .put("busPort", NodeProcess.freePort())
            .put("join", new JsonArray(List.of(join.split(","))))).encode());
    List<String> secondOptions = List.of("--config", config.toString());
    // started together, as a cluster's nodes often are
    List<CompletableFuture<NodeProcess>> starting = List.of(
        CompletableFuture.supplyAsync(() -> start(store, firstOptions)),
        CompletableFuture.supplyAsync(() -> start(store, secondOptions)));
    try {
      NodeProcess first = starting.get(0).get(100, TimeUnit.SECONDS);
      NodeProcess second = starting.get(1).get(100, TimeUnit.SECONDS);
      String both = "2 members of 2 configured";
      String firstLine = awaitLine(first, line -> line.contains(both), "both members, on the first");
      String secondLine = awaitLine(second, line -> line.contains(both),
          "both members, on the second");
      for (String line : List.of(firstLine, secondLine)) {
        assertTrue(line.contains("cluster '" + name + "'"), line);
        assertTrue(line.contains("127.0.0.1:" + firstPort), line);
        assertTrue(line.contains("127.0.0.1:" + secondPort), line);
      }
      assertTrue(firstLine.contains("127.0.0.1:" + firstPort + " (this node)"), firstLine);
      assertTrue(secondLine.contains("127.0.0.1:" + secondPort + " (this node)"), secondLine);

      // a frozen process keeps its sockets open: only the missing heartbeats tell
      long stoppedAt = System.nanoTime();
      signal("STOP", second.process());
      try {
        String left = awaitLine(first, line -> line.contains("127.0.0.1:" + secondPort + " left"),
            "the second member removed");
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - stoppedAt);
        assertTrue(left.contains("1 members of 2 configured"), left);
        assertTrue(seconds <= HazelcastClusters.MAX_NO_HEARTBEAT_SECONDS + 10,
            "removed after " + seconds + " s");
      } finally {
        second.kill(); // a stopped process would hold SIGTERM until close() gives up on it
      }
    } finally {
      for (CompletableFuture<NodeProcess> node : starting) {
        NodeProcess started = node.handle((process, failure) -> process).join();
        if (started != null) {
          started.close();
        }
      }
    }
  }

  private static NodeProcess start(String store, List<String> clusterOptions) {
    try {
      return NodeProcess.start(store, NodeProcess.freePort(), 90, NODE_JVM, clusterOptions);
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Waits up to 30 s for the node to log a line; fails with its log otherwise. */
  private static String awaitLine(NodeProcess node, Predicate<String> matching, String what)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      for (String line : node.logLines()) {
        if (matching.test(line)) {
          return line;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no line of " + what + " within 30 s:\n"
        + String.join("\n", node.logLines()));
  }

  private static void signal(String signal, Process process) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid()))
        .inheritIO().start();
    assertEquals(0, kill.waitFor(), "kill -" + signal);
  }

  private CliTest.Run config(String json) {
    try {
      Path file = Files.writeString(dir.resolve("node.json"), json);
      return CliTest.kora("serve", "--config", file.toString());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
