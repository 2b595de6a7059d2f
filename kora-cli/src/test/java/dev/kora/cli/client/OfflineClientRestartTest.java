package dev.kora.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.cli.durability.NodeProcess;
import dev.kora.client.KoraClient;
import dev.kora.client.KoraClientOptions;
import dev.kora.client.Subscription;
import dev.kora.client.SubscriptionChange;
import dev.kora.testkit.ChildJvm;
import dev.kora.testkit.Eventually;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The offline story end to end, with real processes: a client application ({@link ClientScript}, its
 * own JVM, SQLite local store) subscribes; the node is killed with SIGKILL; the application writes
 * 100 todos offline and is killed too; restarted, it shows its cached data and the 100 queued writes
 * at once; the node restarts on the same port and the application reconnects by itself. The node
 * then holds each write exactly once (the version moved by exactly 100), an observing client that
 * stayed subscribed through all of it saw exactly those changes, and every copy equals the node's.
 */
class OfflineClientRestartTest {

  private static final int WRITES = 100;

  private Vertx vertx;
  private java.nio.file.Path folder;
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    folder = Files.createTempDirectory("kora-offline-client");
  }

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable each : cleanup) {
      each.close();
    }
    vertx.close().await();
  }

  @Test
  void writesMadeOfflineSurviveBothRestartsAndApplyOnce() throws Exception {
    String store = "sqlite:" + folder.resolve("node.db");
    int port = NodeProcess.freePort();
    String url = "ws://127.0.0.1:" + port + "/socket";
    String cache = folder.resolve("client.db").toString();
    NodeProcess node = NodeProcess.start(store, port, 90, List.of("-Xmx256m"), List.of());
    cleanup.add(node);

    KoraClient observer = KoraClient.create(vertx, new KoraClientOptions().setUrl(url)
        .setReconnectInitialDelayMs(50).setReconnectMaxDelayMs(300)).await();
    List<SubscriptionChange> seen = new ArrayList<>();
    Subscription watched = observer.subscribe(Path.of("todos"), change -> {
      synchronized (seen) {
        seen.add(change);
      }
    });
    watched.synced().await();
    observer.merge(Path.of("todos", "seed"), new JsonObject().put("title", "from before")).await();

    ChildJvm first = client(List.of("write-offline", url, cache, String.valueOf(WRITES)));
    first.awaitLine(vertx, 60_000, "the application's subscription",
        line -> line.startsWith("synced")).await();
    Eventually.poll(vertx, 10_000, "the observer to hold the seed",
        () -> Future.succeededFuture(watched.value()),
        value -> value instanceof JsonObject todos && todos.containsKey("seed")).await();
    long versionBefore = watched.version();
    synchronized (seen) {
      seen.clear();
    }
    node.kill();
    first.awaitLine(vertx, 60_000, "the offline writes to be queued",
        line -> line.equals("queued " + WRITES)).await();
    first.process().destroyForcibly().waitFor();

    ChildJvm second = client(List.of("resume", url, cache));
    String cached = second.awaitLine(vertx, 60_000, "the cached copy",
        line -> line.startsWith("cached ")).await().substring("cached ".length());
    JsonObject cachedTodos = new JsonObject(cached);
    assertTrue(cachedTodos.containsKey("seed"), cached);
    assertEquals(WRITES + 1, cachedTodos.size(), "cached data plus the pending writes, at once");
    second.awaitLine(vertx, 10_000, "the pending count", line -> line.equals("pending " + WRITES))
        .await();

    cleanup.add(NodeProcess.start(store, port, 90, List.of("-Xmx256m"), List.of()));
    JsonObject finalView = new JsonObject(second.awaitLine(vertx, 90_000, "the final view",
        line -> line.startsWith("final ")).await().substring("final ".length()));
    long finalVersion = Long.parseLong(second.awaitLine(vertx, 10_000, "the final version",
        line -> line.startsWith("version ")).await().substring("version ".length()));
    assertEquals(0, second.exit(vertx, 30_000).await(), second.stderrText());

    assertEquals(versionBefore + WRITES, finalVersion,
        "each offline write committed exactly once, nothing else: " + versionBefore + " -> "
            + finalVersion);
    Eventually.poll(vertx, 30_000, "the observer to resume to the final version",
        () -> Future.succeededFuture(watched.version()), version -> version == finalVersion)
        .await();
    JsonObject server = (JsonObject) observer.query(Path.of("todos"), QueryOptions.WHOLE).await();
    assertEquals(WRITES + 1, server.size());
    assertEquals(server, finalView, "the application's copy equals the node's data");
    assertEquals(server, watched.value(), "the observer's copy equals the node's data");

    Set<Path> changedLeaves = new HashSet<>();
    synchronized (seen) {
      for (SubscriptionChange change : seen) {
        for (LeafWrite write : change.change().writes()) {
          changedLeaves.add(write.path());
        }
        assertTrue(change.change().deletes().isEmpty(), "no deletes: " + change);
      }
    }
    Set<Path> expected = new HashSet<>();
    for (int i = 1; i <= WRITES; i++) {
      expected.add(Path.of("todos", "offline-" + i, "n"));
      expected.add(Path.of("todos", "offline-" + i, "title"));
    }
    assertEquals(expected, changedLeaves, "the observer received exactly the offline writes");
    observer.close().await();
  }

  private ChildJvm client(List<String> arguments) throws Exception {
    File stderr = Files.createTempFile(folder, "client", ".log").toFile();
    ChildJvm child = ChildJvm.start(ChildJvm.testClassPath(), stderr,
        ClientScript.class.getName(), arguments.toArray(new String[0]));
    cleanup.add(child::destroy);
    return child;
  }
}
