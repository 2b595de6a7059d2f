package dev.kora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kora.auth.JwtOptions;
import dev.kora.client.connection.KoraConnection;
import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import dev.kora.node.TestNodes;
import dev.kora.storage.StoreOptions;
import dev.kora.testkit.TestCredentials;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Tree;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code kora export --url}: a backup of a running node (a real {@link KoraNode} over a real socket,
 * on each store) taken while writers change the exported subtree restores to exactly the tree of the
 * version it names. The expected tree is rebuilt from the writers' own record of every mutation and
 * the version the node answered for it, so a backup that misses a commit, applies one after its
 * version, or mixes two versions of a row fails the comparison.
 */
class OnlineExportTest {

  private static final int CHILDREN = 1_500;
  private static final Path BASE = Path.of("backup");

  private static Vertx vertx;

  @TempDir
  java.nio.file.Path dir;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  /** One committed mutation as its writer recorded it. */
  record Commit(long version, Mutation mutation) {
  }

  /**
   * The node's stores: SQLite, and the servers the test command starts (PostgreSQL, MariaDB,
   * Cassandra — Cassandra only when something listens on its port, as its server is the slowest to
   * have), each in a table of its own.
   */
  static Stream<Arguments> stores() {
    String table = "?table=backup_" + Long.toHexString(System.nanoTime());
    return Stream.of(Arguments.of("sqlite", null),
        Arguments.of("postgres", env("KORA_PG_URL", "postgres://postgres@127.0.0.1:5432/kora_test")
            + table),
        Arguments.of("mysql", env("KORA_MYSQL_URL", "mysql://root@127.0.0.1:3306/kora_test")
            + table),
        Arguments.of("cassandra", env("KORA_CASSANDRA_URL",
            "cassandra://127.0.0.1:9042/kora_test") + table));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("stores")
  void aBackupTakenWhileWritersRunRestoresToTheTreeOfItsVersion(String driver, String url)
      throws IOException {
    if ("cassandra".equals(driver)) {
      assumeTrue(listening(URI.create(url.replace("cassandra://", "http://"))),
          "no Cassandra server at " + url + " (scripts/test.sh starts one)");
    }
    String store = url != null ? url : "sqlite:" + dir.resolve("node.db");
    backUpWhileWriting(TestNodes.start(vertx, new KoraNodeOptions().setPort(0)
        .setStore(new StoreOptions().setUrl(store))).await());
  }

  private static boolean listening(URI server) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(server.getHost(), server.getPort()), 1_000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  /**
   * A node without a change log answers every {@code since} with {@code reset}: the backup asks
   * for none, so it is exact all the same (the memory store, whose reads fix no snapshot until a
   * write copies the rows its open cursors still have to read).
   */
  @Test
  void aNodeWithoutAChangeLogIsBackedUpAsExactly() throws IOException {
    backUpWhileWriting(TestNodes.start(vertx, TestNodes.memoryOptions().setChangeLog(false))
        .await());
  }

  private void backUpWhileWriting(KoraNode node) throws IOException {
    String url = "ws://127.0.0.1:" + node.actualPort() + "/socket";
    ConcurrentLinkedQueue<Commit> commits = new ConcurrentLinkedQueue<>();
    // Outside the exported subtree: a commit there must not show in the backup.
    record(node, Mutation.merge(Path.of("elsewhere"), new JsonObject().put("x", 1)), commits);
    for (int from = 0; from < CHILDREN; from += 250) {
      JsonObject batch = new JsonObject();
      for (int i = from; i < from + 250; i++) {
        batch.put(child(i), new JsonObject().put("n", 0).put("name", "city " + i));
      }
      record(node, Mutation.merge(BASE, batch), commits);
    }
    long before = commits.stream().mapToLong(Commit::version).max().orElseThrow();

    AtomicBoolean stop = new AtomicBoolean();
    List<Future<Void>> writers = new ArrayList<>();
    for (int writer = 0; writer < 3; writer++) {
      writers.add(write(node, new Random(writer), stop, commits));
    }
    File out = dir.resolve("backup.json").toFile();
    CliTest.Run export;
    try {
      export = CliTest.kora("export", "--url", url, "--at", "backup", "--out", out.toString(),
          "--page-leaves", "100");
      ExportMetadata exported = ExportMetadata.readFor(out);
      long deadline = System.currentTimeMillis() + 10_000;
      while (exported != null && System.currentTimeMillis() < deadline
          && commits.stream().noneMatch(commit -> commit.version() > exported.version())) {
        Thread.sleep(10); // until the writers have gone past the backup's version
      }
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    } finally {
      stop.set(true);
      Future.join(writers).await();
    }
    assertEquals(0, export.exit(), export.err());
    ExportMetadata metadata = ExportMetadata.readFor(out);
    assertNotNull(metadata, "kora export --out writes FILE.meta.json");
    long version = metadata.version();
    assertEquals("backup", metadata.at());
    assertEquals(url, metadata.source());

    List<Commit> ordered = new ArrayList<>(commits);
    ordered.sort(Comparator.comparingLong(Commit::version));
    JsonObject expected = new JsonObject();
    long during = 0;
    long after = 0;
    for (Commit commit : ordered) {
      if (commit.version() <= version) {
        commit.mutation().applyTo(expected);
        during += commit.version() > before ? 1 : 0;
      } else {
        after++;
      }
    }
    assertTrue(during >= 20, "writers committed while the export read its pages: " + during
        + " commits in (" + before + ", " + version + "]; stderr: " + export.err());
    assertTrue(after > 0, "writers went on after the export's version " + version);
    Object exported = Json.decodeValue(Files.readString(out.toPath()));
    Object want = Tree.get(expected, BASE);
    assertTrue(want.equals(exported), () -> "the backup is the subtree as of version " + version
        + "; what turns the backup into it: " + Mutation.diff(new JsonObject().put("b", exported),
        new JsonObject().put("b", want)).toJson().encode());
    System.out.println(export.err().strip() + "; " + during + " commits while it ran");
    assertEquals(Tree.countLeaves((JsonObject) want), metadata.leaves());

    // kora import restores it into another store and says which version it holds.
    String restoredStore = "sqlite:" + dir.resolve("restored.db");
    CliTest.Run imported = CliTest.kora("import", out.toString(), "--at", "backup", "--store",
        restoredStore);
    assertEquals(0, imported.exit(), imported.err());
    assertTrue(imported.err().contains("version " + version), imported.err());
    CliTest.Run restored = CliTest.kora("export", "--at", "backup", "--store", restoredStore);
    assertEquals(0, restored.exit(), restored.err());
    assertEquals(want, Json.decodeValue(restored.out()));
  }

  @Test
  void refusesTheRootAnUnreachableNodeAndABadTokenWithOneLine() throws IOException {
    File out = dir.resolve("x.json").toFile();
    CliTest.kora("export", "--url", "ws://127.0.0.1:1/socket", "--at", "a", "--out",
        out.toString()).assertFailure(KoraConnection.DISCONNECTED, "nothing listens on port 1");
    assertFalse(out.exists(), "no file after a failed export");
    KoraNode secured = TestNodes.start(vertx, TestNodes.memoryOptions()
        .setAuth(new JwtOptions().setHmacSecret(TestCredentials.SECRET))).await();
    String url = "ws://127.0.0.1:" + secured.actualPort() + "/socket";
    CliTest.kora("export", "--url", url, "--at", "a").assertFailure(ErrorCode.UNAUTHENTICATED,
        "no token");
    CliTest.kora("export", "--url", url, "--token", "not-a-token", "--at", "a", "--out",
        out.toString()).assertFailure(ErrorCode.UNAUTHENTICATED, "a bad token");
    assertFalse(out.exists(), "no file after a failed export");
    String token = TestCredentials.hmacToken(vertx, TestCredentials.SECRET, new JsonObject()
        .put("sub", "ops").put("exp", TestCredentials.nowSeconds() + 3_600));
    secured.merge(Path.of("a", "b"), 1).await();
    CliTest.Run allowed = CliTest.kora("export", "--url", url, "--token", token, "--at", "a");
    assertEquals(0, allowed.exit(), allowed.err());
    assertEquals(new JsonObject().put("b", 1), Json.decodeValue(allowed.out()));
    CliTest.kora("export", "--url", url, "--token", token).assertFailure(ErrorCode.INVALID_QUERY,
        "the root cannot be subscribed to");
    CliTest.kora("export", "--url", url, "--token", token, "--at", "nothing", "--out",
        out.toString());
    assertEquals("null", Files.readString(out.toPath()).strip(), "an empty subtree is null");
  }

  @Test
  void pagesOverTheNodesAnswerLimitAreReadSmallerAndAChildOverItAloneIsRefused() throws IOException {
    KoraNode node = TestNodes.start(vertx, TestNodes.memoryOptions().setMaxAnswerBytes(4_096))
        .await();
    String url = "ws://127.0.0.1:" + node.actualPort() + "/socket";
    JsonObject small = new JsonObject();
    for (int i = 0; i < 100; i++) {
      small.put(child(i), new JsonObject().put("text", "x".repeat(100)));
    }
    node.merge(Path.of("small"), small).await();
    File out = dir.resolve("small.json").toFile();
    CliTest.Run paged = CliTest.kora("export", "--url", url, "--at", "small", "--out",
        out.toString());
    assertEquals(0, paged.exit(), paged.err());
    assertEquals(small, Json.decodeValue(Files.readString(out.toPath())),
        "100 children of 4 KiB in all, read in pages under the node's 4 KiB answer limit");

    node.merge(Path.of("small", "c00050", "big"), "y".repeat(8_000)).await();
    CliTest.kora("export", "--url", url, "--at", "small").assertFailure(ErrorCode.TOO_LARGE,
        "one child over the node's answer limit");
  }

  @Test
  void aNodeThatGoesAwayDuringTheExportFailsItWithNoFileWritten() throws Exception {
    Vertx nodeVertx = Vertx.vertx();
    KoraNode node = TestNodes.start(nodeVertx, TestNodes.memoryOptions()).await();
    JsonObject many = new JsonObject();
    for (int i = 0; i < 20_000; i++) {
      many.put(child(i), i);
    }
    node.merge(BASE, many).await();
    File out = dir.resolve("gone.json").toFile();
    CliTest.Run[] run = new CliTest.Run[1];
    Thread export = new Thread(() -> run[0] = CliTest.kora("export", "--url", "ws://127.0.0.1:"
        + node.actualPort() + "/socket", "--at", "backup", "--out", out.toString(),
        "--page-leaves", "2"));
    export.start();
    Thread.sleep(500);
    nodeVertx.close().await();
    export.join(60_000);
    assertNotNull(run[0], "the export ended");
    assertEquals(1, run[0].exit(), "read ten thousand pages in 0.5 s? " + run[0].err());
    String error = run[0].err().strip();
    assertTrue(error.startsWith("kora: " + KoraConnection.DISCONNECTED + ": ")
        || error.startsWith("kora: " + ErrorCode.CLOSED + ": "), error);
    assertEquals(1, error.split("\n").length, error);
    assertFalse(out.exists(), "no file after a failed export");
    assertFalse(new File(out.getPath() + ".partial").exists());
  }

  /**
   * Writes random changes all over the subtree, one at a time, until told to stop; each commit's
   * callback starts the next after a millisecond (no chain of composed futures, whose completion
   * would recurse).
   */
  private static Future<Void> write(KoraNode node, Random random, AtomicBoolean stop,
      ConcurrentLinkedQueue<Commit> commits) {
    Promise<Void> done = Promise.promise();
    writeNext(node, random, stop, commits, done);
    return done.future();
  }

  private static void writeNext(KoraNode node, Random random, AtomicBoolean stop,
      ConcurrentLinkedQueue<Commit> commits, Promise<Void> done) {
    if (stop.get()) {
      done.complete();
      return;
    }
    Path child = BASE.child(child(random.nextInt(CHILDREN + 200)));
    Mutation mutation = switch (random.nextInt(5)) {
      case 0 -> Mutation.delete(child);
      case 1 -> Mutation.merge(child, "a leaf where a branch was");
      case 2 -> Mutation.merge(child.child("n"), random.nextInt(1_000_000));
      case 3 -> Mutation.merge(child.child("deep").child("er"), random.nextInt(100));
      default -> Mutation.merge(child, new JsonObject().put("n", random.nextInt(1_000_000))
          .put("name", "renamed"));
    };
    node.mutate(mutation).onComplete(committed -> {
      if (committed.failed()) {
        done.fail(committed.cause());
        return;
      }
      commits.add(new Commit(committed.result(), mutation));
      // a millisecond's pause: enough commits during the export on every store, not 100,000s
      vertx.setTimer(1, timer -> writeNext(node, random, stop, commits, done));
    });
  }

  private static void record(KoraNode node, Mutation mutation,
      ConcurrentLinkedQueue<Commit> commits) {
    commits.add(new Commit(node.mutate(mutation).await(), mutation));
  }

  private static String child(int i) {
    return String.format("c%05d", i);
  }
}
