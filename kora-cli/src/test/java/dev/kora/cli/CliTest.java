package dev.kora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.node.KoraNode;
import dev.kora.node.TestNodes;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.StoreProvider;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The {@code kora} command line, run in-process as {@code KoraCommand.main} runs it (same exception
 * handler) but without {@code System.exit}. Commands block, so they run on the test thread.
 * Import/export round trips need a persistent store and run only when the SQLite driver is present.
 */
class CliTest {

  private static Vertx vertx;
  private static KoraNode node;

  @TempDir
  Path dir;

  /** What one run of the command line did. */
  record Run(int exit, String out, String err) {
    /** Asserts a failed run that printed exactly one {@code kora: <code>: ...} line on stderr. */
    void assertFailure(String code, String what) {
      assertEquals(1, exit, what + "; stderr: " + err);
      String[] lines = err.strip().split("\n");
      assertEquals(1, lines.length, what + ": one line on stderr, got: " + err);
      assertTrue(lines[0].startsWith("kora: " + code + ": "), what + ": " + lines[0]);
      assertTrue(lines[0].length() > ("kora: " + code + ": ").length(), what + ": a message");
    }
  }

  @BeforeAll
  static void startNode() {
    vertx = Vertx.vertx();
    node = TestNodes.start(vertx).await();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  /** Runs {@code kora args...}, capturing stdout and stderr. */
  static synchronized Run kora(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
    System.setOut(outStream);
    System.setErr(errStream);
    try {
      CommandLine commandLine = KoraCommand.commandLine();
      commandLine.setOut(new PrintWriter(outStream, true));
      commandLine.setErr(new PrintWriter(errStream, true));
      int exit = commandLine.execute(args);
      outStream.flush();
      errStream.flush();
      return new Run(exit, out.toString(StandardCharsets.UTF_8),
          err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  static boolean sqlitePresent() {
    StoreOptions sqlite = new StoreOptions().setUrl("sqlite:/tmp/probe.db");
    for (StoreProvider provider : ServiceLoader.load(StoreProvider.class)) {
      if (provider.accepts(sqlite)) {
        return true;
      }
    }
    return false;
  }

  private String sqliteStore() {
    assertTrue(sqlitePresent(), "the SQLite driver (kora-storage-sqlite) is on the class path");
    return "sqlite:" + dir.resolve("kora.db");
  }

  private Path file(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
  }

  private static Object json(Run run) {
    assertEquals(0, run.exit(), "stderr: " + run.err());
    return Json.decodeValue(run.out());
  }

  @Test
  void importAnArrayByIndexThenExport() throws IOException {
    String store = sqliteStore();
    JsonArray cities = new JsonArray();
    JsonObject expected = new JsonObject();
    for (int i = 0; i < 12; i++) {
      JsonObject city = new JsonObject().put("name", "city " + i).put("pop", i * 1000)
          .put("tags", new JsonArray().add("t" + i));
      cities.add(city);
      expected.put(String.format("%02d", i), city);
    }
    Path input = file("cities.json", cities.encodePrettily());
    Run imported = kora("import", input.toString(), "--at", "geo/cities", "--index",
        "--store", store, "--batch-leaves", "7");
    assertEquals(0, imported.exit(), imported.err());
    assertTrue(imported.err().contains("imported 12 items"), imported.err());

    assertEquals(expected, json(kora("export", "--at", "geo/cities", "--store", store)),
        "keys are zero-padded indexes, in order");
    assertEquals(new JsonObject().put("geo", new JsonObject().put("cities", expected)),
        json(kora("export", "--store", store)), "the whole tree");
    assertEquals("city 7", json(kora("export", "--at", "geo/cities/07/name", "--store", store)),
        "a leaf at the exported path");
    assertEquals(null, json(kora("export", "--at", "geo/nothing", "--store", store)));
  }

  @Test
  void copyMovesASubtreeBetweenStoresAndVerifiesIt() throws IOException {
    String source = sqliteStore();
    String target = "sqlite:" + dir.resolve("target.db");
    Path input = file("geo.json", "{\"a\":{\"name\":\"A\",\"n\":[1,2]},\"b\":{\"name\":\"Bé\",\"x\":1.5},"
        + "\"c\":true}");
    assertEquals(0, kora("import", input.toString(), "--at", "geo", "--store", source).exit());
    assertEquals(0, kora("import", input.toString(), "--at", "other", "--store", source).exit());

    Run copied = kora("copy", "--from", source, "--to", target, "--at", "geo",
        "--batch-leaves", "2");
    assertEquals(0, copied.exit(), copied.err());
    assertTrue(copied.err().contains("copied 5 leaves") && copied.err().contains("verified"),
        copied.err());
    assertEquals(json(kora("export", "--at", "geo", "--store", source)),
        json(kora("export", "--at", "geo", "--store", target)), "the same subtree on both sides");
    assertEquals(null, json(kora("export", "--at", "other", "--store", target)),
        "only the subtree asked for");

    kora("copy", "--from", source, "--to", target, "--at", "geo")
        .assertFailure("invalid_message", "a non-empty target without --replace");
    Run replaced = kora("copy", "--from", source, "--to", target, "--replace");
    assertEquals(0, replaced.exit(), replaced.err());
    assertEquals(json(kora("export", "--store", source)), json(kora("export", "--store", target)),
        "the whole tree, replacing the target's");
    kora("copy", "--from", "nosuch:x", "--to", target)
        .assertFailure("invalid_message", "an unknown store URL");
  }

  @Test
  void importReadsNodeOptionsFromAConfigFile() throws IOException {
    String store = sqliteStore();
    Path config = file("kora.json", new JsonObject().put("store", new JsonObject()
        .put("url", store)).put("lib", new JsonArray()).encode());
    Path input = file("one.json", "{\"k\":\"v\"}");
    Run imported = kora("import", input.toString(), "--at", "cfg", "--config", config.toString());
    assertEquals(0, imported.exit(), imported.err());
    assertEquals(new JsonObject().put("k", "v"), json(kora("export", "--at", "cfg", "--store",
        store)), "the import went to the store the config file names");
    Path broken = file("broken.json", "{\"store\": ");
    kora("import", input.toString(), "--at", "cfg", "--config", broken.toString())
        .assertFailure("invalid_json", "a config file that is not JSON");
  }

  @Test
  void importAnArrayByKeyFieldThenExport() throws IOException {
    String store = sqliteStore();
    Path input = file("users.json", "[{\"id\":\"dax\",\"age\":30,\"langs\":[\"java\"]},"
        + "{\"id\":\"ann\",\"nested\":{\"deep\":{\"er\":true}}},{\"id\":\"é:1\",\"x\":null}]");
    Run imported = kora("import", input.toString(), "--at", "user:info", "--key", "id",
        "--store", store);
    assertEquals(0, imported.exit(), imported.err());
    Object exported = json(kora("export", "--at", "user:info", "--store", store));
    assertEquals(new JsonObject()
        .put("dax", new JsonObject().put("id", "dax").put("age", 30)
            .put("langs", new JsonArray().add("java")))
        .put("ann", new JsonObject().put("id", "ann")
            .put("nested", new JsonObject().put("deep", new JsonObject().put("er", true))))
        .put("é:1", new JsonObject().put("id", "é:1")), exported,
        "children keyed by the field; a null value is no value");
  }

  @Test
  void importAnObjectMergesIntoExistingData() throws IOException {
    String store = sqliteStore();
    Path first = file("first.json", "{\"a\":{\"b\":1,\"c\":2},\"d\":\"x\"}");
    Path second = file("second.json", "{\"a\":{\"c\":3},\"e\":[1,2]}");
    assertEquals(0, kora("import", first.toString(), "--at", "t", "--store", store).exit());
    assertEquals(0, kora("import", second.toString(), "--at", "t", "--store", store).exit());
    assertEquals(new JsonObject("{\"a\":{\"b\":1,\"c\":3},\"d\":\"x\",\"e\":[1,2]}"),
        json(kora("export", "--at", "t", "--store", store)));
  }

  @Test
  void importIntoTheMemoryStoreSucceeds() throws IOException {
    Path input = file("list.json", "[1,2,3]");
    Run run = kora("import", input.toString(), "--at", "list", "--index", "--store", "memory");
    assertEquals(0, run.exit(), run.err());
    assertTrue(run.err().contains("imported 3 items, 3 leaves"), run.err());
  }

  @Test
  void importRefusesBadInputWithOneLine() throws IOException {
    Path array = file("array.json", "[{\"id\":\"a\"},{\"id\":\"b\"}]");
    kora("import", dir.resolve("missing.json").toString(), "--at", "x", "--store", "memory")
        .assertFailure("invalid_message", "a missing file");
    kora("import", array.toString(), "--at", "x", "--store", "memory")
        .assertFailure("invalid_message", "an array without --index or --key");
    kora("import", file("badkey.json", "{\"ok\":1,\"a/b\":2}").toString(), "--at", "x",
        "--store", "memory").assertFailure("invalid_key", "a key with '/' in the data");
    kora("import", file("ctl.json", "[{\"id\":\"a\\u0001\"}]").toString(), "--at", "x", "--key",
        "id", "--store", "memory").assertFailure("invalid_key", "a control character in --key's field");
    kora("import", array.toString(), "--at", "x", "--key", "name", "--store", "memory")
        .assertFailure("invalid_message", "elements without the --key field");
    kora("import", array.toString(), "--at", "a%ZZ", "--index", "--store", "memory")
        .assertFailure("invalid_key", "a bad --at path");
    kora("import", array.toString(), "--at", "x" + "/k".repeat(32), "--index", "--store",
        "memory").assertFailure("too_deep", "an --at path too deep");
    kora("import", file("scalar.json", "42").toString(), "--at", "x", "--store", "memory")
        .assertFailure("invalid_message", "a file holding neither an object nor an array");
    kora("import", file("broken.json", "{\"a\": tru").toString(), "--at", "x", "--store",
        "memory").assertFailure("invalid_json", "a file that is not JSON");
    kora("import", file("broken2.json", "[{\"id\": 1},").toString(), "--at", "x", "--index",
        "--store", "memory").assertFailure("invalid_json", "an array cut short");

    Run both = kora("import", array.toString(), "--at", "x", "--index", "--key", "id");
    assertEquals(2, both.exit(), "a usage error: " + both.err());
    assertTrue(both.err().contains("mutually exclusive"), both.err());
  }

  @Test
  void mergeAndQueryAgainstARunningNode() {
    String url = "ws://127.0.0.1:" + node.actualPort() + "/socket";
    Run merged = kora("merge", "cli/todos/t1", "{\"title\":\"milk\",\"done\":false}", "--url", url);
    assertEquals(0, merged.exit(), merged.err());
    assertTrue(new JsonObject(merged.out().strip()).getLong("version") > 0,
        "kora merge prints the commit's version: " + merged.out());
    assertEquals(0, kora("merge", "cli/todos/t2", "\"bread\"", "--url", url).exit());
    assertEquals(0, kora("merge", "cli/todos/t3", "3", "--url", url).exit());

    assertEquals(new JsonObject("{\"t1\":{\"title\":\"milk\",\"done\":false},\"t2\":\"bread\","
        + "\"t3\":3}"), json(kora("query", "cli/todos", "--url", url)));
    assertEquals(new JsonObject("{\"t2\":\"bread\"}"),
        json(kora("query", "cli/todos", "--min", "t2", "--limit", "1", "--url", url)));
    assertEquals(new JsonObject("{\"t1\":{\"title\":\"milk\",\"done\":false}}"),
        json(kora("query", "cli/todos", "--max", "t2", "--url", url)));
    assertEquals("bread", json(kora("query", "cli/todos/t2", "--url", url)));
    assertEquals(null, json(kora("query", "cli/nothing", "--url", url)));

    assertEquals(0, kora("merge", "cli/todos/t2", "null", "--url", url).exit(), "null deletes");
    assertEquals(null, json(kora("query", "cli/todos/t2", "--url", url)));
  }

  private static int deadPort() throws IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  void mergeAndQueryUseTheFirstUrlOfAListThatAnswers() throws IOException {
    String dead = "ws://127.0.0.1:" + deadPort() + "/socket";
    String live = "ws://127.0.0.1:" + node.actualPort() + "/socket";
    String urls = dead + "," + live;
    Run merged = kora("merge", "cli/list/a", "\"first\"", "--url", urls);
    assertEquals(0, merged.exit(), merged.err());
    assertEquals("", merged.err(), "a dead node before a live one is no failure");
    assertEquals("first", json(kora("query", "cli/list/a", "--url", urls)));
    assertEquals(0, kora("merge", "cli/list/b", "2", "--url", live + ", " + dead).exit(),
        "a live first node; spaces around the URLs are ignored");
    assertEquals(new JsonObject("{\"a\":\"first\",\"b\":2}"),
        json(kora("query", "cli/list", "--url", live)), "both writes reached the live node");
  }

  @Test
  void whenNoUrlOfAListAnswersTheFailureNamesEach() throws IOException {
    String first = "ws://127.0.0.1:" + deadPort() + "/socket";
    String second = "ws://127.0.0.1:" + deadPort() + "/socket";
    String urls = first + "," + second;
    for (Run refused : List.of(kora("query", "cli/list", "--url", urls),
        kora("merge", "cli/list/c", "3", "--url", urls))) {
      refused.assertFailure("disconnected", "every node dead");
      assertTrue(refused.err().contains("none of the 2 nodes of --url")
          && refused.err().contains("cannot reach the node at " + first)
          && refused.err().contains("cannot reach the node at " + second), refused.err());
    }
    kora("query", "cli/list", "--url", first + ",,ws://127.0.0.1:1/socket")
        .assertFailure("invalid_message", "an empty entry in the list");
    kora("query", "cli/list", "--url", first + ",wss://127.0.0.1:1/socket")
        .assertFailure("invalid_message", "ws:// and wss:// mixed");
  }

  @Test
  void mergeAndQueryRefuseBadInputWithOneLine() {
    String url = "ws://127.0.0.1:" + node.actualPort() + "/socket";
    kora("merge", "cli/x", "not json", "--url", url)
        .assertFailure("invalid_json", "a value that is not JSON");
    kora("merge", "cli/a%2Fb", "1", "--url", url).assertFailure("invalid_key", "a '/' in a key");
    kora("merge", "", "1", "--url", url).assertFailure("invalid_mutation", "a leaf at the root");
    kora("merge", "cli/x", "{\"\":1}", "--url", url)
        .assertFailure("invalid_key", "an empty key in the value");
    kora("query", "cli/x", "--limit", "-1", "--url", url)
        .assertFailure("invalid_query", "a negative limit");
    Run refused = kora("query", "cli", "--url", "ws://127.0.0.1:1/socket");
    assertEquals(1, refused.exit(), "nothing listens on port 1: " + refused.err());
    assertTrue(refused.err().startsWith("kora: "), refused.err());
    assertEquals(1, refused.err().strip().split("\n").length, refused.err());
  }
}
