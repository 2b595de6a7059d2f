package dev.kora.cli.changelog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.testkit.ChildJvm;
import dev.kora.testkit.Eventually;
import dev.kora.testkit.TestSocket;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Exactly-once writes across a crash (docs/protocol.md, "Exactly-once writes"): a client sends
 * mutations with ids, many in flight, to a node in its own JVM; the node is killed with SIGKILL while
 * some are unanswered; a new node starts on the same store and the client resends every mutation,
 * answered or not, with the same ids. Then every mutation is present, each was intercepted once and
 * scheduled one effect job (the traces {@link CountingNodeMain} leaves), and a resend of an answered
 * one got its first version. SQLite and PostgreSQL.
 */
class ExactlyOnceAcrossKillNineTest {

  private static final int MUTATIONS = 400;
  private static final int IN_FLIGHT = 16;

  private Vertx vertx;
  private Path folder;
  private final List<ChildJvm> children = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    folder = Files.createTempDirectory("kora-exactly-once");
  }

  @AfterEach
  void tearDown() throws Exception {
    for (ChildJvm child : children) {
      child.process().destroyForcibly();
      child.process().waitFor(20, TimeUnit.SECONDS);
    }
    vertx.close().await();
  }

  static List<String> stores() {
    List<String> stores = new ArrayList<>();
    stores.add("sqlite");
    String pg = System.getenv("KORA_PG_URL");
    stores.add((pg == null || pg.isBlank() ? "postgres://postgres@127.0.0.1:5432/kora_test" : pg)
        + "?table=exactly_once_" + Long.toHexString(System.nanoTime()));
    return stores;
  }

  private int start(String url) throws Exception {
    File stderr = folder.resolve("node-" + children.size() + ".err").toFile();
    ChildJvm child = ChildJvm.start(ChildJvm.testClassPath(), stderr,
        CountingNodeMain.class.getName(), url);
    children.add(child);
    String line = child.awaitLine(vertx, 60_000, "the node to serve",
        text -> text.startsWith("PORT ")).await();
    return Integer.parseInt(line.substring(5).trim());
  }

  private static JsonObject mutation(int n) {
    return new JsonObject().put("merge", new JsonObject().put("counted",
        new JsonObject().put(key(n), n))).put("id", "c1:" + n);
  }

  private static String key(int n) {
    return String.format("k%04d", n);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("stores")
  void everyMutationAppliesOnceThoughResentAfterAKill(String store) throws Exception {
    String url = store.equals("sqlite") ? "sqlite:" + folder.resolve("kora.db") : store;
    Map<Integer, Long> acknowledged = new ConcurrentHashMap<>();
    int port = start(url);
    TestSocket client = TestSocket.connect(vertx, port).await();
    AtomicBoolean sending = new AtomicBoolean(true);
    for (int lane = 0; lane < IN_FLIGHT; lane++) {
      send(client, lane, sending, acknowledged);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (acknowledged.size() < MUTATIONS / 4 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    children.get(0).process().destroyForcibly();
    children.get(0).process().waitFor(20, TimeUnit.SECONDS);
    sending.set(false);
    int answeredBeforeTheKill = acknowledged.size();
    assertTrue(answeredBeforeTheKill > 0 && answeredBeforeTheKill < MUTATIONS,
        "the kill must come while mutations are in flight: " + answeredBeforeTheKill);

    TestSocket again = TestSocket.connect(vertx, start(url)).await();
    List<Future<Object>> resent = new ArrayList<>();
    for (int n = 0; n < MUTATIONS; n++) {
      resent.add(again.request("kora.mutation", mutation(n)));
    }
    Future.all(resent).await();
    for (int n = 0; n < MUTATIONS; n++) {
      long version = ((JsonObject) resent.get(n).result()).getLong("version");
      Long first = acknowledged.get(n);
      if (first != null) {
        assertEquals(first, version, "a resend of c1:" + n + " answers its first version");
      }
    }
    Eventually.poll(vertx, 30_000, "every effect job to have run", () -> again.query(
        new JsonObject().put("effects", new JsonObject())), answer -> {
          JsonObject effects = answer.getJsonObject("merge").getJsonObject("effects");
          return effects != null && effects.size() == MUTATIONS;
        }).await();
    JsonObject data = again.query(new JsonObject().put("counted", new JsonObject())
        .put("applications", new JsonObject()).put("effects", new JsonObject())).await()
        .getJsonObject("merge");
    for (int n = 0; n < MUTATIONS; n++) {
      String key = key(n);
      assertEquals(n, data.getJsonObject("counted").getInteger(key), key + " is there");
      JsonObject applications = data.getJsonObject("applications").getJsonObject(key);
      JsonObject effects = data.getJsonObject("effects").getJsonObject(key);
      assertEquals(1, applications.size(), key + " was intercepted once: " + applications);
      assertEquals(applications.fieldNames(), effects.fieldNames(),
          key + " scheduled one effect job, the one of its interception");
    }
    System.out.printf("%s: %d of %d answered before kill -9; after resending all, each applied"
        + " once%n", store.startsWith("sqlite") ? "sqlite" : "postgres", answeredBeforeTheKill,
        MUTATIONS);
  }

  /** One lane: sends mutations n = lane, lane + IN_FLIGHT, ... one after the other. */
  private void send(TestSocket socket, int n, AtomicBoolean sending, Map<Integer, Long> answered) {
    if (n >= MUTATIONS || !sending.get()) {
      return;
    }
    socket.request("kora.mutation", mutation(n)).onSuccess(body -> {
      answered.put(n, ((JsonObject) body).getLong("version"));
      send(socket, n + IN_FLIGHT, sending, answered);
    });
  }
}
