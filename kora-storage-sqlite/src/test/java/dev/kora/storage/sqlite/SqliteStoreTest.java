package dev.kora.storage.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    return jdbc(file(), statement -> statement.execute("DROP TABLE IF EXISTS \"" + table + "\""));
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
   * New tables are rowid tables with the path as a separate primary key index: a WITHOUT ROWID
   * table keeps values in its index B-tree, and SQLite reads the whole of an index entry that
   * overflows its page at every comparison, so writes beside large values slowed down in
   * proportion to their size (the layout's reason, SqliteDialect#createTable).
   */
  @Test
  void newTablesKeepValuesOutOfThePathIndex(VertxTestContext ctx) {
    java.nio.file.Path db = dir.resolve("layout.db");
    openUrl("sqlite:" + db)
        .compose(opened -> opened.write(List.of(Mutation.merge(Path.of("big"), "x".repeat(100_000)),
            Mutation.merge(Path.of("a"), 1))))
        .compose(v -> jdbcQuery(db, "SELECT sql FROM sqlite_schema WHERE name = 'kora'"))
        .compose(sql -> check(() -> {
          assertTrue(sql.contains("PRIMARY KEY"), sql);
          assertTrue(!sql.toUpperCase(java.util.Locale.ROOT).contains("WITHOUT ROWID"), sql);
        }))
        .compose(v -> jdbcQuery(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
            + " AND tbl_name = 'kora'"))
        .compose(indexes -> check(() -> assertEquals("1", indexes)))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** A table made by an earlier Kora (WITHOUT ROWID) opens and works as before: writes, deletes, reads. */
  @Test
  void tablesOfTheEarlierLayoutStillWork(VertxTestContext ctx) {
    java.nio.file.Path db = dir.resolve("earlier.db");
    jdbc(db, statement -> statement.execute("CREATE TABLE kora (path TEXT NOT NULL PRIMARY KEY,"
        + " value TEXT NOT NULL) WITHOUT ROWID"))
        .compose(v -> openUrl("sqlite:" + db))
        .compose(opened -> opened.write(List.of(Mutation.merge(Path.of("r"),
                new io.vertx.core.json.JsonObject().put("a", 1).put("b", 2).put("c", 3)),
                Mutation.delete(Path.of("r", "b"))))
            .compose(v -> rows(opened, ReadRange.subtree(Path.of("r")))))
        .compose(rows -> check(() -> assertEquals(List.of("r/a=1", "r/c=3"), rows)))
        .compose(v -> jdbcQuery(db, "SELECT sql FROM sqlite_schema WHERE name = 'kora'"))
        .compose(sql -> check(() -> assertTrue(sql.contains("WITHOUT ROWID"), sql)))
        .onComplete(ctx.succeedingThenComplete());
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
