package dev.kora.cli.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.storage.StoreProvider;
import dev.kora.testkit.TestSocket;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Durability of acknowledged writes across a crash: clients write to a node in its own JVM with many
 * mutations in flight, the node is killed with SIGKILL mid-stream, a new node starts on the same store,
 * and every mutation that was answered (with its version) must be there — whole (each mutation writes two
 * leaves, and a mutation is atomic). Runs for every store driver on the test class path: SQLite always;
 * PostgreSQL, MySQL/MariaDB and Cassandra when their driver modules are present, against the servers
 * {@code scripts/services/all.sh ensure} starts (override with {@code KORA_PG_URL},
 * {@code KORA_MYSQL_URL}, {@code KORA_CASSANDRA_URL}).
 */
class KillNineDurabilityTest {

  private static final int CLIENTS = 4;
  private static final int IN_FLIGHT = 16;
  private static final long WRITE_MS = 1_500;

  private Vertx vertx;
  private Path folder;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    folder = Files.createTempDirectory("kora-durability");
  }

  @AfterEach
  void tearDown() {
    vertx.close().await();
  }

  static Stream<Arguments> stores() {
    Set<String> drivers = new HashSet<>();
    for (StoreProvider provider : ServiceLoader.load(StoreProvider.class)) {
      drivers.add(provider.name());
    }
    String table = "durability_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    List<Arguments> stores = new ArrayList<>();
    stores.add(Arguments.of("sqlite", null));
    if (drivers.contains("postgres")) {
      stores.add(Arguments.of("postgres", env("KORA_PG_URL",
          "postgres://postgres@127.0.0.1:5432/kora_test") + "?table=" + table));
    }
    if (drivers.contains("mysql")) {
      stores.add(Arguments.of("mysql", env("KORA_MYSQL_URL",
          "mysql://root@127.0.0.1:3306/kora_test") + "?table=" + table));
    }
    if (drivers.contains("cassandra")) {
      stores.add(Arguments.of("cassandra", env("KORA_CASSANDRA_URL",
          "cassandra://127.0.0.1:9042/kora_test") + "?table=" + table));
    }
    return stores.stream();
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("stores")
  void everyAcknowledgedMutationSurvivesKillNine(String driver, String url) throws Exception {
    String storeUrl = url != null ? url : "sqlite:" + folder.resolve("kora.db");
    Map<Integer, Set<Integer>> acknowledged = new ConcurrentHashMap<>();
    try (NodeProcess first = NodeProcess.start(storeUrl, 60)) {
      List<TestSocket> sockets = new ArrayList<>();
      for (int client = 0; client < CLIENTS; client++) {
        sockets.add(TestSocket.connect(vertx, first.port).await());
        acknowledged.put(client, Collections.synchronizedSet(new HashSet<>()));
      }
      AtomicBoolean writing = new AtomicBoolean(true);
      for (int client = 0; client < CLIENTS; client++) {
        for (int lane = 0; lane < IN_FLIGHT; lane++) {
          write(sockets.get(client), client, lane, writing, acknowledged.get(client));
        }
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (total(acknowledged) < 200 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      Thread.sleep(WRITE_MS);
      first.kill();
      writing.set(false);
      assertTrue(total(acknowledged) >= 200, "too few writes acknowledged before the crash: "
          + total(acknowledged) + "\n" + first.output());
    }
    try (NodeProcess second = NodeProcess.start(storeUrl, 60)) {
      TestSocket reader = TestSocket.connect(vertx, second.port).await();
      JsonObject answer = (JsonObject) reader.request("kora.query",
          new JsonObject().put("durability", new JsonObject())).await();
      JsonObject stored = answer.getJsonObject("merge").getJsonObject("durability",
          new JsonObject());
      int missing = 0;
      StringBuilder firstMissing = new StringBuilder();
      for (Map.Entry<Integer, Set<Integer>> client : acknowledged.entrySet()) {
        JsonObject rows = stored.getJsonObject("c" + client.getKey(), new JsonObject());
        for (Map.Entry<String, Object> row : rows) {
          JsonObject pair = (JsonObject) row.getValue();
          assertEquals(pair.getValue("a"), pair.getValue("b"),
              "a mutation was applied in part: c" + client.getKey() + "/" + row.getKey());
        }
        synchronized (client.getValue()) {
          for (int n : client.getValue()) {
            if (!rows.containsKey(key(n))) {
              if (missing++ == 0) {
                firstMissing.append("c").append(client.getKey()).append('/').append(key(n));
              }
            }
          }
        }
      }
      System.out.printf("%s: %d mutations acknowledged before kill -9, %d lost%n", driver,
          total(acknowledged), missing);
      assertEquals(0, missing, missing + " acknowledged mutations lost after kill -9 on " + driver
          + " (first: " + firstMissing + ") of " + total(acknowledged));
      reader.request("kora.mutation", new JsonObject().put("delete",
          new JsonObject().put("durability", 1))).await();
      reader.close().await();
    }
  }

  private static int total(Map<Integer, Set<Integer>> acknowledged) {
    return acknowledged.values().stream().mapToInt(Set::size).sum();
  }

  private static String key(int n) {
    return String.format("%08d", n);
  }

  /** One lane: writes mutations n = lane, lane + IN_FLIGHT, ... one after the other. */
  private void write(TestSocket socket, int client, int n, AtomicBoolean writing,
      Set<Integer> acknowledged) {
    if (!writing.get()) {
      return;
    }
    JsonObject pair = new JsonObject().put("a", n).put("b", n);
    JsonObject mutation = new JsonObject().put("merge", new JsonObject().put("durability",
        new JsonObject().put("c" + client, new JsonObject().put(key(n), pair))));
    socket.call("kora.mutation", mutation).onComplete(result -> {
      if (result.succeeded() && "reply".equals(result.result().getString("type"))
          && result.result().getValue("body") instanceof JsonObject reply
          && reply.getValue("version") instanceof Number) {
        acknowledged.add(n);
        write(socket, client, n + IN_FLIGHT, writing, acknowledged);
      }
    });
  }
}
