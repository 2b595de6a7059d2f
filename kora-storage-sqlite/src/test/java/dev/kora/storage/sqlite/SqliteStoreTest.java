package dev.kora.storage.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.sqlite.format.SqliteRecords;
import dev.kora.storage.ReadRange;
import dev.kora.storage.Store;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.StoreTestBase;
import dev.kora.storage.Stores;
import dev.kora.storage.spi.PathEncoding;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;

/**
 * Runs the conformance suite on the SQLite store — every tree of this class in its own table of one
 * database file in a temporary directory — plus the driver's own tests. It declares every capability.
 *
 * <p>Failure injection is real: {@link #failWritesAt} creates, through a second connection to the
 * file, a {@code BEFORE INSERT} trigger on the tree's table that raises an error when the marker
 * path is written, so SQLite aborts the statement in the middle of the store's transaction, after the
 * earlier statements of that transaction were applied.
 */
class SqliteStoreTest extends StoreTestBase {

  @TempDir
  static java.nio.file.Path dir;

  private static java.nio.file.Path file() {
    return dir.resolve("kora.db");
  }

  @Override
  protected Future<Store> openStore(Vertx vertx, String table) {
    return Stores.open(vertx, new StoreOptions().setUrl("sqlite:" + file()).setTable(table));
  }

  @Override
  protected Future<Void> dropStore(String table) {
    return jdbc(file(), statement -> {
      statement.execute("DROP TABLE IF EXISTS \"" + table + "\"");
      statement.execute("DROP TABLE IF EXISTS \"" + table + "-large\"");
    });
  }

  @Override
  protected Future<Void> failWritesAt(Store store, String table, Path marker) {
    StringBuilder literal = new StringBuilder("''");
    for (String key : marker.keys()) {
      literal.append(" || '").append(key.replace("'", "''")).append("' || char(1)");
    }
    return jdbc(file(), statement -> statement.execute("CREATE TRIGGER \"fail_" + table
        + "\" BEFORE INSERT ON \"" + table + "\" WHEN NEW.path = " + literal
        + " BEGIN SELECT RAISE(ABORT, 'injected failure at " + marker + "'); END"));
  }

  private interface JdbcWork {
    void run(Statement statement) throws SQLException;
  }

  /** Runs JDBC work on a separate connection to {@code db}, on a worker thread. */
  private Future<Void> jdbc(java.nio.file.Path db, JdbcWork work) {
    return vertx.executeBlocking(() -> {
      SQLiteConfig config = new SQLiteConfig();
      config.setBusyTimeout(10_000);
      try (Connection connection = config.createConnection("jdbc:sqlite:" + db);
          Statement statement = connection.createStatement()) {
        work.run(statement);
      }
      return null;
    }, false);
  }

  private Future<String> jdbcQuery(java.nio.file.Path db, String sql) {
    AtomicReference<String> result = new AtomicReference<>();
    return jdbc(db, statement -> {
      try (ResultSet rs = statement.executeQuery(sql)) {
        result.set(rs.next() ? rs.getString(1) : null);
      }
    }).map(v -> result.get());
  }

  private Future<SqliteStore> openUrl(String url) {
    return openWith(url, new StoreOptions());
  }

  private Future<SqliteStore> openWith(String url, StoreOptions options) {
    return Stores.open(vertx, options.setUrl(url)).map(opened -> {
      registerForClose(opened);
      return (SqliteStore) opened;
    });
  }

  private final List<Store> extraStores = new ArrayList<>();

  private void registerForClose(Store opened) {
    extraStores.add(opened);
  }

  /** Waits on the JUnit thread, as {@code StoreTestBase} does, so that it also runs after failures. */
  @AfterEach
  void closeExtraStores() throws Exception {
    Future<Void> chain = Future.succeededFuture();
    for (Store each : extraStores) {
      chain = chain.compose(v -> each.close().otherwiseEmpty());
    }
    chain.toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
  }

  // ---------------------------------------------------------------------------------------------
  // Driver-only tests

  @Test
  void createsTheFileAndItsDirectoriesInWalMode(VertxTestContext ctx) {
    java.nio.file.Path db = dir.resolve("nested/a/b/tree.db");
    openUrl("sqlite:" + db)
        .compose(opened -> check(() -> {
          assertTrue(Files.isRegularFile(db), "database file created");
          assertEquals(db, opened.file());
          assertEquals("kora", opened.table());
          assertEquals("sqlite:" + db + "?table=kora&synchronous=FULL", opened.describe());
        }).compose(v -> opened.write(List.of(Mutation.merge(Path.of("a"), 1))))
            .compose(v -> jdbcQuery(db, "PRAGMA journal_mode"))
            .compose(mode -> check(() -> assertEquals("wal", mode)))
            .compose(v -> check(() -> assertTrue(Files.exists(dir.resolve("nested/a/b/tree.db-wal")),
                "WAL file next to the database")))
            .compose(v -> opened.queryWriter("PRAGMA synchronous"))
            .compose(level -> check(() -> assertEquals("2", level, "synchronous=FULL")))
            .compose(v -> opened.queryWriter("PRAGMA cache_size"))
            .compose(size -> check(() -> assertEquals("-65536", size, "64 MiB writer cache")))
            .compose(v -> opened.queryWriter("PRAGMA wal_autocheckpoint"))
            .compose(pages -> check(() -> assertEquals("10000", pages, "checkpoint every 10,000 pages"))))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void urlOptionsSetSynchronousAndTable(VertxTestContext ctx) {
    java.nio.file.Path db = dir.resolve("options.db");
    openWith("sqlite://" + db + "?synchronous=normal&table=fromUrl",
        new StoreOptions().setTable("ignored"))
        .compose(opened -> check(() -> assertEquals("fromUrl", opened.table()))
            .compose(v -> opened.queryWriter("PRAGMA synchronous"))
            .compose(level -> check(() -> assertEquals("1", level, "synchronous=NORMAL")))
            .compose(v -> opened.write(List.of(Mutation.merge(Path.of("k"), "v")))))
        .compose(v -> jdbcQuery(db, "SELECT value FROM fromUrl"))
        .compose(value -> check(() -> assertEquals("\"v\"", value)))
        .compose(v -> jdbcQuery(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'ignored'"))
        .compose(count -> check(() -> assertEquals("0", count)))
        .compose(v -> openUrl("sqlite:" + dir.resolve("extra.db") + "?synchronous=EXTRA"))
        .compose(opened -> opened.queryWriter("PRAGMA synchronous"))
        .compose(level -> check(() -> assertEquals("3", level, "synchronous=EXTRA")))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void relativeUrlIsResolvedAgainstTheWorkingDirectory(VertxTestContext ctx) {
    String relative = "target/sqlite-test/relative-" + System.nanoTime() + ".db";
    java.nio.file.Path expected = java.nio.file.Path.of(relative).toAbsolutePath();
    openUrl("sqlite:" + relative)
        .compose(opened -> check(() -> {
          assertEquals(expected, opened.file());
          assertTrue(Files.isRegularFile(expected));
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void filePathIsTakenLiterally(VertxTestContext ctx) {
    java.nio.file.Path db = dir.resolve("odd name 100%25 + more").resolve("t.db");
    openUrl("sqlite:" + db + "?table=t_1")
        .compose(opened -> check(() -> {
          assertEquals(db, opened.file());
          assertEquals("t_1", opened.table());
          assertTrue(Files.isRegularFile(db));
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void reopenedFileHasTheData(VertxTestContext ctx) {
    String url = "sqlite:" + dir.resolve("reopen.db");
    List<LeafWrite> leaves = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      leaves.add(new LeafWrite(Path.of("r", "k" + i), i));
    }
    openUrl(url)
        .compose(first -> first.write(List.of(Mutation.fromFlat(List.of(), leaves),
                Mutation.delete(Path.of("r", "k7"))))
            .compose(v -> first.close()))
        .compose(v -> openUrl(url))
        .compose(second -> rows(second, ReadRange.subtree(Path.of("r"))))
        .compose(rows -> check(() -> {
          assertEquals(499, rows.size());
          assertTrue(rows.contains("r/k499=499"));
          assertTrue(!rows.contains("r/k7=7"));
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * 15 s after the last commit the writer frees its page cache ({@code PRAGMA shrink_memory},
   * JdbcWriter's idle release): writes and reads go on as before, the released pages read back from
   * the file. (What it gives back is measured by {@code kora bench idle}, docs/benchmarks.md.)
   */
  @Test
  void writesGoOnAfterTheIdleWriterFreedItsCache(VertxTestContext ctx) {
    List<LeafWrite> leaves = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      leaves.add(new LeafWrite(Path.of("idle", "k" + i), i));
    }
    openUrl("sqlite:" + dir.resolve("idle.db"))
        .compose(opened -> opened.write(List.of(Mutation.fromFlat(List.of(), leaves)))
            .compose(v -> vertx.timer(16_000))
            .compose(v -> opened.write(List.of(Mutation.merge(Path.of("idle", "k7"), "after"),
                Mutation.delete(Path.of("idle", "k8")))))
            .compose(v -> rows(opened, ReadRange.subtree(Path.of("idle")))))
        .compose(rows -> check(() -> {
          assertEquals(1_999, rows.size());
          assertTrue(rows.contains("idle/k7=\"after\""), rows.subList(0, 10).toString());
          assertTrue(rows.contains("idle/k1999=1999"));
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void badUrlsAreRefused(VertxTestContext ctx) {
    String base = "sqlite:" + dir.resolve("bad.db");
    List<String> urls = List.of("sqlite:", base + "?bogus=1", base + "?synchronous=SOMETIMES",
        base + "?table=1bad", base + "?table=bad-name", "sqlite::memory:", "sqlite://host/x.db",
        "sqlite:" + dir + "/");
    Future<Void> chain = Future.succeededFuture();
    for (String url : urls) {
      chain = chain.compose(v -> expectFailure(openUrl(url), ErrorCode.INVALID_MESSAGE));
    }
    chain.compose(v -> check(() -> assertTrue(!Files.exists(dir.resolve("bad.db")))))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void unusableFilesFailWithStoreUnavailable(VertxTestContext ctx) {
    java.nio.file.Path notADirectory = dir.resolve("plain-file");
    java.nio.file.Path notADatabase = dir.resolve("garbage.db");
    java.nio.file.Path foreign = dir.resolve("foreign.db");
    vertx.executeBlocking(() -> {
      Files.writeString(notADirectory, "x");
      Files.writeString(notADatabase, "this is not a database file, just some text ".repeat(50));
      return null;
    })
        .compose(v -> expectFailure(openUrl("sqlite:" + notADirectory.resolve("x.db")),
            ErrorCode.STORE_UNAVAILABLE))
        .compose(v -> expectFailure(openUrl("sqlite:" + notADatabase),
            ErrorCode.STORE_UNAVAILABLE))
        // a table of the same name that is not a Kora tree (here: a case-insensitive key)
        .compose(v -> jdbc(foreign, statement -> statement.execute("CREATE TABLE kora"
            + " (path TEXT COLLATE NOCASE PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")))
        .compose(v -> expectFailure(openUrl("sqlite:" + foreign), ErrorCode.STORE_UNAVAILABLE))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void writesFailWithStoreUnavailableWhileAnotherProcessHoldsTheLock(VertxTestContext ctx) {
    java.nio.file.Path db = dir.resolve("locked.db");
    AtomicReference<Connection> locker = new AtomicReference<>();
    long[] started = new long[1];
    openWith("sqlite:" + db, new StoreOptions().setOperationTimeoutMs(300))
        .compose(locked -> locked.write(List.of(Mutation.merge(Path.of("before"), 1)))
            .compose(v -> vertx.executeBlocking(() -> {
              Connection connection = new SQLiteConfig().createConnection("jdbc:sqlite:" + db);
              try (Statement statement = connection.createStatement()) {
                statement.execute("BEGIN IMMEDIATE");
              }
              locker.set(connection);
              return null;
            }))
            .compose(v -> {
              started[0] = System.nanoTime();
              Future<Void> first = locked.write(List.of(Mutation.merge(Path.of("first"), 1)));
              Future<Void> queued = locked.write(List.of(Mutation.merge(Path.of("queued"), 2)));
              return Future.join(expectFailure(first, ErrorCode.STORE_UNAVAILABLE),
                  expectFailure(queued, ErrorCode.STORE_UNAVAILABLE))
                  .compose(joined -> check(() -> {
                    // The message reaches clients (REST, WebSocket error frames): no file path.
                    String message = first.cause().getMessage();
                    assertTrue(message.contains("the sqlite store"), message);
                    assertFalse(message.contains(dir.toString()), message);
                  }));
            })
            .compose(v -> check(() -> {
              long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started[0]);
              assertTrue(ms >= 250 && ms < 5_000, "failed after " + ms + " ms");
            }))
            .compose(v -> vertx.executeBlocking(() -> {
              try (Connection connection = locker.get();
                  Statement statement = connection.createStatement()) {
                statement.execute("ROLLBACK");
              }
              return null;
            }))
            .compose(v -> rows(locked, ReadRange.subtree(Path.ROOT)))
            .compose(rows -> check(() -> assertEquals(List.of("before=1"), rows)))
            .compose(v -> locked.write(List.of(Mutation.merge(Path.of("after"), 3))))
            .compose(v -> rows(locked, ReadRange.subtree(Path.ROOT)))
            .compose(rows -> check(() -> assertEquals(List.of("after=3", "before=1"), rows))))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void rowsAreMaterializedPaths(VertxTestContext ctx) {
    write(merge("{\"todos\": {\"t1\": {\"title\": \"milk\", \"done\": false}}}"))
        .compose(v -> jdbcQuery(file(), "SELECT group_concat(replace(path, char(1), '|') || '='"
            + " || value, ' ') FROM (SELECT * FROM \"" + table + "\" ORDER BY path)"))
        .compose(all -> check(() -> assertEquals(
            "todos|t1|done|=false todos|t1|title|=\"milk\"", all)))
        .compose(v -> jdbcQuery(file(), "SELECT count(*) FROM \"" + table + "\" WHERE path = '"
            + PathEncoding.encode(Path.of("todos", "t1", "title")).replace("\u0001", "' || char(1) || '")
            + "'"))
        .compose(count -> check(() -> assertEquals("1", count)))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * New tables have the split layout: a WITHOUT ROWID table whose rows hold their values unless the
   * row would overflow its index page, and then NULL, the value in {@code <table>-large} (a rowid
   * table keyed by path). In a WITHOUT ROWID table SQLite reads the whole of an entry that overflows
   * its page at every comparison, so writes beside large values slowed down in proportion to their
   * size (SqliteDialect#createTable).
   */
  @Test
  void newTablesKeepLargeValuesOutOfThePathIndex(VertxTestContext ctx) {
    java.nio.file.Path db = dir.resolve("layout.db");
    String big = "x".repeat(100_000);
    openUrl("sqlite:" + db)
        .compose(opened -> opened.write(List.of(Mutation.merge(Path.of("big"), big),
                Mutation.merge(Path.of("a"), 1)))
            .compose(v -> rows(opened, ReadRange.subtree(Path.ROOT))))
        .compose(rows -> check(() -> assertEquals(List.of("a=1", "big=\"" + big + "\""), rows)))
        .compose(v -> jdbcQuery(db, "SELECT sql FROM sqlite_schema WHERE name = 'kora'"))
        .compose(sql -> check(() -> {
          String upper = sql.toUpperCase(java.util.Locale.ROOT);
          assertTrue(upper.contains("WITHOUT ROWID"), sql);
          // a Kora of the earlier layouts checks for "value TEXT" and so refuses the table rather
          // than read its NULLs as values
          assertFalse(upper.contains("VALUE TEXT"), sql);
        }))
        .compose(v -> jdbcQuery(db, "SELECT \"notnull\" FROM pragma_table_info('kora')"
            + " WHERE name = 'value'"))
        .compose(notNull -> check(() -> assertEquals("0", notNull, "value is nullable")))
        .compose(v -> jdbcQuery(db, "SELECT group_concat(replace(path, char(1), '|') || '='"
            + " || ifnull(value, 'NULL'), ' ')"
            + " FROM (SELECT * FROM kora ORDER BY path)"))
        .compose(all -> check(() -> assertEquals("a|=1 big|=NULL", all)))
        .compose(v -> jdbcQuery(db, "SELECT replace(path, char(1), '|') || '=' || length(value)"
            + " FROM \"kora-large\""))
        .compose(large -> check(() -> assertEquals("big|=100002", large)))
        .compose(v -> jdbcQuery(db, "SELECT group_concat(name, ' ') FROM (SELECT name FROM"
            + " sqlite_schema WHERE type = 'trigger' AND tbl_name = 'kora' ORDER BY name)"))
        .compose(triggers -> check(() -> assertEquals("kora-large-on-update", triggers)))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** A table made before 2026-12-07 (WITHOUT ROWID, values in the index) opens and works as before. */
  @Test
  void tablesOfTheEarlierLayoutStillWork(VertxTestContext ctx) {
    tableOfAnEarlierLayoutWorks(ctx, "earlier.db", " WITHOUT ROWID");
  }

  /** A table made on 2026-12-07 by bd2280c (a rowid table, the path its own index) opens and works. */
  @Test
  void rowidTablesOf20261207StillWork(VertxTestContext ctx) {
    tableOfAnEarlierLayoutWorks(ctx, "rowid.db", "");
  }

  /**
   * Creates the table {@code kora (path TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL)} and then
   * {@code suffix} in a new file, opens it as a store, writes, deletes and reads small and large
   * values, and checks that the table kept its layout and that no large-value table was made.
   */
  private void tableOfAnEarlierLayoutWorks(VertxTestContext ctx, String name, String suffix) {
    java.nio.file.Path db = dir.resolve(name);
    String created = "CREATE TABLE kora (path TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL)"
        + suffix;
    String big = "é".repeat(5_000);
    jdbc(db, statement -> statement.execute(created))
        .compose(v -> openUrl("sqlite:" + db))
        .compose(opened -> opened.write(List.of(Mutation.merge(Path.of("r"),
                new io.vertx.core.json.JsonObject().put("a", 1).put("b", 2).put("c", 3)
                    .put("big", big).put("gone", big)),
                Mutation.delete(Path.of("r", "b")), Mutation.delete(Path.of("r", "gone"))))
            .compose(v -> rows(opened, ReadRange.subtree(Path.of("r")))))
        .compose(rows -> check(() -> assertEquals(List.of("r/a=1", "r/big=\"" + big + "\"",
            "r/c=3"), rows)))
        .compose(v -> jdbcQuery(db, "SELECT sql FROM sqlite_schema WHERE name = 'kora'"))
        .compose(sql -> check(() -> assertEquals(created, sql)))
        .compose(v -> jdbcQuery(db, "SELECT group_concat(name) FROM sqlite_schema"
            + " WHERE name LIKE 'kora-%'"))
        .compose(names -> check(() -> assertEquals(null, names, "no large-value table")))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Values just below, at and just above the largest that fits in the path index's page, in ASCII
   * and in 2-, 3- and 4-byte UTF-8, and one of 100 KB: each reads back as written, through a cursor
   * and through a fence's check, and lies in the tree's table exactly when its row fits. SQLite's
   * own page statistics (dbstat) show that the rows at the limit did not overflow, and that a row one
   * byte larger does.
   */
  @Test
  void largeValuesRoundTripAroundTheLimit(VertxTestContext ctx) {
    int limit = SqliteRecords.maxLocalPayload(4096);
    String stored = PathEncoding.encode(path("t", "v0"));
    int pathBytes = dev.kora.storage.spi.WritePlan.utf8Length(stored);
    int atLimit = limit - SqliteRecords.recordBytes(pathBytes, 0);
    while (SqliteRecords.recordBytes(pathBytes, atLimit) > limit) {
      atLimit--;
    }
    int at = atLimit;
    assertEquals(limit, SqliteRecords.recordBytes(pathBytes, at), "a row at the limit exists");
    // value sizes (bytes of JSON text) and whether the row fits in its page
    int[] sizes = {at - 1, at, at + 1, at - 1, at, at + 1, 100_000};
    boolean[] multiByte = {false, false, false, true, true, true, true};
    List<String> expected = new ArrayList<>();
    List<Mutation> writes = new ArrayList<>();
    StringBuilder layout = new StringBuilder();
    for (int i = 0; i < sizes.length; i++) {
      String text = jsonStringText(sizes[i], multiByte[i]);
      assertEquals(sizes[i], dev.kora.storage.spi.WritePlan.utf8Length(text));
      expected.add("t/v" + i + "=" + text);
      writes.add(Mutation.merge(path("t", "v" + i), text.substring(1, text.length() - 1)));
      layout.append(i == 0 ? "" : " ").append("t|v").append(i).append("|=")
          .append(sizes[i] <= at ? "in" : "apart");
    }
    String q = "\"" + table + "\"";
    String large = "\"" + table + "-large\"";
    jdbcQuery(file(), "PRAGMA page_size")
        .compose(pageSize -> check(() -> assertEquals("4096", pageSize)))
        .compose(v -> store.write(writes))
        .compose(v -> rows(store, ReadRange.subtree(path("t"))))
        .compose(rows -> check(() -> assertEquals(expected, rows)))
        .compose(v -> rows(store, ReadRange.subtree(path("t")), 2))
        .compose(rows -> check(() -> assertEquals(expected, rows, "read in pages of 2")))
        .compose(v -> jdbcQuery(file(), "SELECT group_concat(replace(path, char(1), '|') || '='"
            + " || iif(value IS NULL, 'apart', 'in'), ' ') FROM (SELECT * FROM " + q
            + " ORDER BY path)"))
        .compose(where -> check(() -> assertEquals(layout.toString(), where)))
        .compose(v -> jdbcQuery(file(), "SELECT count(*) FROM " + large))
        .compose(count -> check(() -> assertEquals("3", count)))
        .compose(v -> jdbcQuery(file(), "SELECT count(*) FROM dbstat WHERE name = '" + table
            + "' AND pagetype = 'overflow'"))
        .compose(pages -> check(() -> assertEquals("0", pages, "no row of the tree's table"
            + " overflows its page")))
        .compose(v -> jdbc(file(), statement -> statement.execute("INSERT INTO " + q
            + " (path, value) VALUES ('" + stored.replace("\u0001", "' || char(1) || '")
            + "x', '" + "y".repeat(at) + "')")))
        .compose(v -> jdbcQuery(file(), "SELECT count(*) FROM dbstat WHERE name = '" + table
            + "' AND pagetype = 'overflow'"))
        .compose(pages -> check(() -> assertEquals("1", pages, "a row one byte larger overflows")))
        .compose(v -> {
          store.fence(fence(path("t", "v6"), expected.get(6).substring("t/v6=".length())));
          return write(Mutation.merge(path("t", "after"), 1));
        })
        .compose(v -> {
          store.fence(fence(path("t", "v6"), expected.get(5).substring("t/v5=".length())));
          return expectFenced(write(Mutation.merge(path("t", "refused"), 1)), path("t", "v6"));
        })
        .compose(v -> {
          store.fence(null);
          return rows(store, ReadRange.subtree(path("t", "after")));
        })
        .compose(rows -> check(() -> assertEquals(List.of("t/after=1"), rows)))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * @return the JSON text of a string, quotes included, of exactly {@code bytes} bytes in UTF-8: the
   *     letter a repeated, or with {@code multiByte} characters of 2, 3 and 4 bytes and letters
   */
  private static String jsonStringText(int bytes, boolean multiByte) {
    StringBuilder text = new StringBuilder("\"");
    int left = bytes - 2;
    while (multiByte && left >= 9 + 1) {
      text.append("é€😀"); // 2 + 3 + 4 bytes
      left -= 9;
    }
    return text.append("a".repeat(left)).append('"').toString();
  }

  /**
   * Every way a row leaves or changes — an upsert of a small value over a large one and back, a
   * large over a large, a leaf written under a large leaf (its row deleted as a point), a leaf
   * written above it (its row deleted with the range under the leaf), a subtree deleted, a failed
   * write rolled back — leaves exactly one large-value row per row whose value is NULL, and none
   * else.
   */
  @Test
  void overwritesAndDeletesLeaveNoLargeValuesBehind(VertxTestContext ctx) {
    String one = "1".repeat(3_000);
    String two = "2".repeat(3_000);
    String three = "3".repeat(3_000);
    Path marker = path("boom");
    write(Mutation.merge(path("a", "b"), one), Mutation.merge(path("a", "c"), one),
        Mutation.merge(path("x", "y"), one), Mutation.merge(path("x", "z"), "small"))
        .compose(v -> expectLargeRows(3))
        .compose(v -> write(Mutation.merge(path("a", "b"), "small")))
        .compose(v -> expectLargeRows(2))
        .compose(v -> write(Mutation.merge(path("a", "b"), two)))
        .compose(v -> expectLargeRows(3))
        .compose(v -> write(Mutation.merge(path("a", "c"), three)))
        .compose(v -> expectLargeRows(3))
        .compose(v -> expectRows("a/b=\"" + two + "\"", "a/c=\"" + three + "\"",
            "x/y=\"" + one + "\"", "x/z=\"small\""))
        .compose(v -> write(Mutation.merge(path("a", "c", "d"), 1)))
        .compose(v -> expectLargeRows(2))
        .compose(v -> write(Mutation.delete(path("a"))))
        .compose(v -> expectLargeRows(1))
        .compose(v -> failWritesAt(store, table, marker))
        .compose(v -> expectFailure(write(Mutation.merge(path("x", "y"), "small"),
            Mutation.merge(path("n", "new"), two), Mutation.merge(marker, 1)), ErrorCode.INTERNAL))
        .compose(v -> expectLargeRows(1))
        .compose(v -> expectRows("x/y=\"" + one + "\"", "x/z=\"small\""))
        .compose(v -> write(Mutation.merge(path("x"), 5)))
        .compose(v -> expectLargeRows(0))
        .compose(v -> expectRows("x=5"))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Checks that the large-value table of the test's tree has {@code count} rows, as many as the
   * tree's table has NULL values, each at the path of one of them.
   */
  private Future<Void> expectLargeRows(int count) {
    String q = "\"" + table + "\"";
    String large = "\"" + table + "-large\"";
    return jdbcQuery(file(), "SELECT (SELECT count(*) FROM " + large + ") || ' '"
        + " || (SELECT count(*) FROM " + q + " WHERE value IS NULL) || ' '"
        + " || (SELECT count(*) FROM " + large + " AS l WHERE NOT EXISTS (SELECT 1 FROM " + q
        + " AS t WHERE t.path = l.path AND t.value IS NULL))")
        .compose(counts -> check(() -> assertEquals(count + " " + count + " 0", counts,
            "large-value rows, NULL values, large-value rows without their NULL")));
  }

  @Test
  void groupCommitRollsBackOnlyTheFailingWrite(VertxTestContext ctx) {
    // Park the single writer thread so that the writes below queue up and form one group.
    WorkerExecutor writerPool = vertx.createSharedWorkerExecutor(SqliteDialect.WRITER_POOL, 1);
    CountDownLatch parked = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Path marker = Path.of("boom", "x");
    List<Future<Void>> writes = new ArrayList<>();
    failWritesAt(store, table, marker)
        .compose(v -> {
          writerPool.executeBlocking(() -> {
            parked.countDown();
            return release.await(10, TimeUnit.SECONDS);
          }, false);
          return vertx.executeBlocking(() -> parked.await(10, TimeUnit.SECONDS));
        })
        .compose(v -> {
          for (int i = 0; i < 20; i++) {
            writes.add(i == 7
                ? write(merge("{\"w\": {\"doomed\": 1}}"), Mutation.merge(marker, 1))
                : write(merge("{\"w\": {\"k" + i + "\": " + i + "}}")));
          }
          release.countDown();
          List<Future<Void>> outcomes = new ArrayList<>();
          for (int i = 0; i < writes.size(); i++) {
            outcomes.add(i == 7 ? expectFailure(writes.get(i), ErrorCode.INTERNAL) : writes.get(i));
          }
          return Future.all(outcomes);
        })
        .compose(v -> writes.get(7).transform(result -> check(() ->
            assertTrue(result.cause().getMessage().contains("injected failure"),
                result.cause().getMessage()))))
        .compose(v -> rows(store, ReadRange.subtree(Path.of("w"))))
        .compose(rows -> check(() -> {
          assertEquals(19, rows.size(), "the 19 other writes committed: " + rows);
          assertTrue(rows.stream().noneMatch(row -> row.contains("doomed")));
        }))
        .eventually(writerPool::close)
        .onComplete(ctx.succeedingThenComplete());
  }

}
