package dev.kora.client.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import dev.kora.sqlite.format.SqliteRecords;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The conformance suite on the SQLite store, reopened on the same file; and its own refusals. */
class SqliteLocalStoreTest extends LocalStoreTestBase {

  @TempDir
  java.nio.file.Path folder;

  @Override
  protected LocalStore open() {
    return new SqliteLocalStore(folder.resolve("cache.db").toString());
  }

  @Override
  protected LocalStore reopen(LocalStore closed) {
    return open();
  }

  @Test
  void aSecondClientOnTheSameFileIsRefused() {
    LocalStore first = open();
    first.load();
    try {
      LocalStoreException refused = assertThrows(LocalStoreException.class, () -> {
        LocalStore second = open();
        second.load();
        second.enqueue(new LocalStore.PendingWrite(1, "x:1", dev.kora.tree.Mutation.empty(), null));
      });
      assertTrue(refused.getMessage().contains("cache.db"), refused.getMessage());
    } finally {
      first.close();
    }
  }

  /** Rows of a table of {@code file}, read with the store closed (it holds the file exclusively). */
  private static int rows(String file, String sql) throws Exception {
    try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(sql)) {
      assertTrue(rows.next());
      return rows.getInt(1);
    }
  }

  private static final String LARGE_ROWS = "SELECT count(*) FROM cached_large";
  /** Rows whose value is elsewhere, and values elsewhere without their row: both must match. */
  private static final String UNMATCHED = "SELECT (SELECT count(*) FROM cached_leaf c WHERE"
      + " (c.value IS NULL) != EXISTS (SELECT 1 FROM cached_large l WHERE l.path = c.path"
      + " AND l.leaf = c.leaf)) + (SELECT count(*) FROM cached_large l WHERE NOT EXISTS"
      + " (SELECT 1 FROM cached_leaf c WHERE c.path = l.path AND c.leaf = l.leaf"
      + " AND c.value IS NULL))";

  private static Mutation change(String json) {
    return Mutation.fromJson(new JsonObject(json));
  }

  private static JsonObject cached(String file) {
    LocalStore store = new SqliteLocalStore(file);
    try {
      LocalState state = store.load();
      return state.paths().isEmpty() ? null : state.paths().get(0).data();
    } finally {
      store.close();
    }
  }

  /** Applies one change on a store opened for it, and closes the store. */
  private static void apply(String file, String json, long version) {
    LocalStore store = new SqliteLocalStore(file);
    try {
      store.load();
      store.apply(Path.of("docs"), change(json), version);
    } finally {
      store.close();
    }
  }

  /**
   * A value whose row would overflow its page is kept in {@code cached_large}: it reads back the
   * same, and overwriting it with a small value, deleting it, deleting its subtree or forgetting its
   * path leaves no value behind there.
   */
  @Test
  void largeValuesAreKeptApartAndLeaveNothingBehind() throws Exception {
    String file = folder.resolve("large.db").toString();
    String big = "é".repeat(3_000);
    apply(file, "{\"merge\":{\"docs\":{\"a\":\"" + big + "\",\"b\":\"small\","
        + "\"c\":{\"d\":\"" + big + "\"}}}}", 1);
    assertEquals(new JsonObject().put("docs", new JsonObject().put("a", big).put("b", "small")
        .put("c", new JsonObject().put("d", big))), cached(file));
    assertEquals(2, rows(file, LARGE_ROWS));

    apply(file, "{\"merge\":{\"docs\":{\"a\":\"now small\"}}}", 2);
    assertEquals("now small", cached(file).getJsonObject("docs").getString("a"));
    assertEquals(1, rows(file, LARGE_ROWS), "the overwritten large value is gone");

    apply(file, "{\"merge\":{\"docs\":{\"b\":\"" + big + "\"}}}", 3);
    assertEquals(big, cached(file).getJsonObject("docs").getString("b"));
    apply(file, "{\"delete\":{\"docs\":{\"c\":1}}}", 4);
    assertEquals(new JsonObject().put("docs", new JsonObject().put("a", "now small").put("b", big)),
        cached(file));
    assertEquals(1, rows(file, LARGE_ROWS), "the deleted subtree's large value is gone");

    apply(file, "{\"merge\":{\"docs\":{\"b\":{\"e\":1}}}}", 5);
    assertEquals(new JsonObject().put("a", "now small").put("b", new JsonObject().put("e", 1)),
        cached(file).getJsonObject("docs"));
    assertEquals(0, rows(file, LARGE_ROWS), "a leaf replaced by an object takes its value along");

    // a full answer: the path deleted, then written again
    apply(file, "{\"delete\":{\"docs\":1},\"merge\":{\"docs\":{\"z\":\"" + big + "\"}}}", 6);
    assertEquals(new JsonObject().put("docs", new JsonObject().put("z", big)), cached(file));
    assertEquals(1, rows(file, LARGE_ROWS));
    assertEquals(0, rows(file, UNMATCHED));

    LocalStore store = new SqliteLocalStore(file);
    try {
      store.load();
      store.forget(Path.of("docs"));
    } finally {
      store.close();
    }
    assertEquals(0, rows(file, LARGE_ROWS), "forgetting the path takes its large values");
    assertEquals(0, rows(file, "SELECT count(*) FROM cached_leaf"));
  }

  /**
   * @return the most ASCII characters of a string leaf {@code docs/a} whose row fits in its page:
   *     path {@code docs} (4 bytes), leaf {@code docs\u0001a} (6), the value quoted (n + 2), and the
   *     record's header ({@link SqliteRecords#recordBytes})
   */
  private static int mostAsciiInPage() {
    int most = CachedLeaves.MAX_RECORD_BYTES;
    while (SqliteRecords.recordBytes(4, 6, most + 2) > CachedLeaves.MAX_RECORD_BYTES) {
      most--;
    }
    return most;
  }

  /**
   * The limit is the record's size in bytes: path, leaf and value in UTF-8 and the header, at most
   * {@link CachedLeaves#MAX_RECORD_BYTES}; a value one byte over it goes to {@code cached_large}.
   */
  @Test
  void theLimitIsTheRowsSizeInBytes() throws Exception {
    int most = mostAsciiInPage();
    assertTrue(CachedLeaves.fits("docs", "docs\u0001a", "\"" + "x".repeat(most) + "\""));
    assertFalse(CachedLeaves.fits("docs", "docs\u0001a", "\"" + "x".repeat(most + 1) + "\""));
    // a two-byte character counts two
    assertFalse(CachedLeaves.fits("docs", "docs\u0001a", "\"é" + "x".repeat(most - 1) + "\""));
    String file = folder.resolve("limit.db").toString();
    apply(file, "{\"merge\":{\"docs\":{\"a\":\"" + "x".repeat(most) + "\"}}}", 1);
    assertEquals(0, rows(file, LARGE_ROWS));
    apply(file, "{\"merge\":{\"docs\":{\"a\":\"" + "x".repeat(most + 1) + "\"}}}", 2);
    assertEquals(1, rows(file, LARGE_ROWS));
    assertEquals("x".repeat(most + 1), cached(file).getJsonObject("docs").getString("a"));
    // SQLite's page layout agrees: the row at the limit has no overflow page
    apply(file, "{\"merge\":{\"docs\":{\"a\":\"" + "x".repeat(most) + "\"}}}", 3);
    assertEquals(0, rows(file, LARGE_ROWS));
    assertEquals(0, rows(file, "SELECT count(*) FROM dbstat WHERE name = 'cached_leaf'"
        + " AND pagetype = 'overflow'"));
  }

  /**
   * @param name the file's name in the test's folder
   * @param inserts SQL that fills it
   * @return a local store file of the layout made before 2026-12-07 (every value in
   *     {@code cached_leaf}, no {@code cached_large})
   */
  private String earlierFile(String name, String... inserts) throws Exception {
    String file = folder.resolve(name).toString();
    try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement statement = connection.createStatement()) {
      statement.execute("PRAGMA journal_mode=WAL");
      statement.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)");
      statement.execute("CREATE TABLE cached_path (path TEXT PRIMARY KEY, version INTEGER NOT NULL)");
      statement.execute("CREATE TABLE cached_leaf (path TEXT NOT NULL, leaf TEXT NOT NULL,"
          + " value TEXT NOT NULL, PRIMARY KEY (path, leaf)) WITHOUT ROWID");
      statement.execute("CREATE TABLE outbox (sequence INTEGER PRIMARY KEY, id TEXT NOT NULL,"
          + " mutation TEXT NOT NULL, version INTEGER)");
      for (String insert : inserts) {
        statement.execute(insert);
      }
    }
    return file;
  }

  /**
   * A file made before 2026-12-07 keeps every value in {@code cached_leaf}; opened now, its large
   * values move to {@code cached_large}, and the data, versions and outbox read as before.
   */
  @Test
  void aFileOfTheEarlierLayoutIsRewrittenWithItsData() throws Exception {
    String file = earlierFile("earlier.db",
        "INSERT INTO meta VALUES ('schema', '1'), ('client_id', 'c-1'), ('last_sequence', '1')",
        "INSERT INTO cached_path VALUES ('todos', 7)",
        "INSERT INTO cached_leaf VALUES ('todos', 'todos\u0001a\u0001title', '\"milk\"'),"
            + " ('todos', 'todos\u0001b\u0001title', '\"" + "x".repeat(5_000) + "\"')",
        "INSERT INTO outbox VALUES (1, 'c-1:1',"
            + " '{\"merge\":{\"todos\":{\"c\":{\"title\":\"eggs\"}}}}', NULL)");
    LocalStore store = new SqliteLocalStore(file);
    try {
      LocalState state = store.load();
      assertEquals("c-1", state.clientId());
      assertEquals(1, state.lastSequence());
      assertEquals(1, state.paths().size());
      LocalState.CachedPath todos = state.paths().get(0);
      assertEquals(7, todos.version());
      assertEquals(new JsonObject().put("todos", new JsonObject()
          .put("a", new JsonObject().put("title", "milk"))
          .put("b", new JsonObject().put("title", "x".repeat(5_000)))), todos.data());
      assertEquals(1, state.outbox().size());
      assertEquals("c-1:1", state.outbox().get(0).id());
      store.apply(Path.of("todos"), change("{\"merge\":{\"todos\":{\"b\":{\"title\":\"bread\"}}}}"),
          8);
    } finally {
      store.close();
    }
    assertEquals(0, rows(file, LARGE_ROWS), "the rewritten large value was replaced");
    assertEquals(0, rows(file, UNMATCHED));
    assertEquals(0, rows(file, "SELECT count(*) FROM sqlite_master WHERE name = 'cached_leaf'"
        + " AND sql NOT LIKE '%value TEXT,%'"), "the value column may be NULL now");
    assertEquals(new JsonObject().put("todos", new JsonObject()
        .put("a", new JsonObject().put("title", "milk"))
        .put("b", new JsonObject().put("title", "bread"))), cached(file));
  }

  /** The rewrite moves exactly the values that do not fit, and reopening does not rewrite again. */
  @Test
  void theRewriteMovesTheLargeValuesOnly() throws Exception {
    int most = mostAsciiInPage();
    String file = earlierFile("earlier-large.db", "INSERT INTO cached_path VALUES ('docs', 3)",
        "INSERT INTO cached_leaf VALUES ('docs', 'docs\u0001a', '\"" + "x".repeat(most) + "\"'),"
            + " ('docs', 'docs\u0001b', '\"" + "x".repeat(most + 1) + "\"'),"
            + " ('docs', 'docs\u0001c', '\"" + "€".repeat(400) + "\"')");
    JsonObject data = cached(file);
    assertEquals(new JsonObject().put("docs", new JsonObject().put("a", "x".repeat(most))
        .put("b", "x".repeat(most + 1))
        .put("c", "€".repeat(400))), data);
    // b is one byte over; c is 1,200 bytes of three-byte characters
    assertEquals(2, rows(file, LARGE_ROWS));
    assertEquals(0, rows(file, UNMATCHED));
    assertEquals(data, cached(file));
    assertEquals(2, rows(file, LARGE_ROWS));
  }

  @Test
  void aFileThatIsNotAStoreIsRefusedClearly() throws IOException {
    java.nio.file.Path junk = folder.resolve("junk.db");
    Files.writeString(junk, "this is not a database, just text that is long enough to matter");
    LocalStoreException refused = assertThrows(LocalStoreException.class,
        () -> new SqliteLocalStore(junk.toString()).load());
    assertTrue(refused.getMessage().contains("junk.db"), refused.getMessage());
  }
}
