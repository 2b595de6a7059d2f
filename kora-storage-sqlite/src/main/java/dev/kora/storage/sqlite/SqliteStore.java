package dev.kora.storage.sqlite;

import dev.kora.storage.StoreOptions;
import dev.kora.storage.jdbc.JdbcStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;

/**
 * The embedded default store: the tree in one SQLite file, one row per leaf in a {@code WITHOUT
 * ROWID} table {@code (path TEXT NOT NULL PRIMARY KEY, value TEXT)} with SQLite's default BINARY
 * collation, paths encoded by {@link dev.kora.storage.spi.PathEncoding} so that a subtree is one key
 * range; a value that would make its row overflow its page is kept in the table
 * {@code <table>-large} instead (its row's value is NULL). Tables of the two earlier layouts (all
 * values in the path index; a rowid table with a separate path index) still open. See
 * {@link SqliteDialect} and docs/stores/sqlite.md, "Layout". Open it with {@link dev.kora.storage.Stores#open} and a URL such as
 * {@code sqlite:/var/kora/kora.db}, {@code sqlite:data/kora.db} (relative to the working directory) or
 * {@code sqlite:/var/kora/kora.db?table=todo&synchronous=NORMAL}, or with {@link #open}.
 *
 * <p>URL options, which take precedence over {@link StoreOptions}:
 * <ul>
 *   <li>{@code table} — the table holding the tree; default {@link StoreOptions#getTable()}
 *       ({@code kora}). Several trees can share one file under different tables.</li>
 *   <li>{@code synchronous} — SQLite's durability level for the writer connection: {@code FULL}
 *       (default), {@code EXTRA}, {@code NORMAL} or {@code OFF}; see Durability below.</li>
 * </ul>
 * {@link StoreOptions#getPoolSize()} bounds the read connections (one per open cursor) and
 * {@link StoreOptions#getOperationTimeoutMs()} bounds each operation and the SQLite busy timeout.
 * The file's parent directories are created when missing.
 *
 * <p>Threading: every method may be called from any thread, event loops included, and never blocks.
 * Writes run on one connection on the single thread of the shared Vert.x worker pool
 * {@value SqliteDialect#WRITER_POOL}; reads run on the shared worker pool {@code kora-sqlite-reader}
 * ({@code poolSize} threads) over at most {@code poolSize} read-only connections. Futures complete on
 * the caller's context (an event loop context is created for callers outside Vert.x). The machinery
 * is {@link JdbcStore}'s, shared with the MySQL driver; {@link SqliteDialect} holds what is SQLite's.
 *
 * <p>Writes: concurrent {@link #write} calls are queued and committed in groups — one
 * {@code BEGIN IMMEDIATE} transaction and one fsync for all calls queued while the previous group was
 * written (at most 512 calls per group). A call that fails on its own (e.g. a constraint) fails
 * alone: the transaction is rolled back and the other calls of the group are applied again without it.
 * Each call is atomic: all of its mutations or none. The file is in WAL mode, so
 * readers never block the writer nor see a partial write; each cursor reads one snapshot (one deferred
 * read transaction, read in keyset pages).
 *
 * <p>Durability: with {@code synchronous=FULL} (the default) a write whose future succeeded survives a
 * crash of the process and of the machine. {@code NORMAL} in WAL mode survives a crash of the process
 * but the last commits may be lost if the machine loses power; {@code OFF} leaves it to the operating
 * system. Other processes may open the same file: SQLite's file locks serialize their writers, and a
 * writer waits for the lock at most the operation timeout.
 *
 * <p>Errors: a file that cannot be opened, a lock not obtained in time, an I/O error, a full disk, a
 * closed store or an operation over its timeout fail with {@link KoraException} code
 * {@code store_unavailable}; other SQLite errors (a corrupt row, a constraint raised by a trigger)
 * with {@code internal}. A failed write has written nothing. A bad URL fails {@link #open} with
 * {@code invalid_message}.
 */
public final class SqliteStore extends JdbcStore {

  private SqliteStore(JdbcStore opened) {
    super(opened);
  }

  /**
   * Opens (and on first use creates) the store named by {@code options.getUrl()}. Never blocks: the
   * file is opened on the writer pool.
   *
   * @param vertx the Vert.x instance whose worker pools the store uses
   * @param options the URL ({@code sqlite:...}), table, pool size and operation timeout
   * @return the open store; fails with {@code invalid_message} for a bad URL, {@code store_unavailable}
   *     when the file cannot be opened as a Kora tree in WAL mode
   */
  public static Future<SqliteStore> open(Vertx vertx, StoreOptions options) {
    return JdbcStore.open(vertx, () -> new SqliteDialect(SqliteUrl.parse(options),
        options.getOperationTimeoutMs(), options.getPoolSize())).map(SqliteStore::new);
  }

  /** @return the database file, absolute */
  public Path file() {
    return ((SqliteDialect) dialect()).url().file();
  }

  /** @return the table that holds this tree */
  public String table() {
    return ((SqliteDialect) dialect()).url().table();
  }
}
