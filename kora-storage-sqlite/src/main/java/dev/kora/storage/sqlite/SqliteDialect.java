package dev.kora.storage.sqlite;

import dev.kora.sqlite.format.SqliteRecords;
import dev.kora.storage.jdbc.JdbcDialect;
import dev.kora.storage.spi.WritePlan;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;
import org.sqlite.SQLiteException;

/**
 * SQLite for {@link dev.kora.storage.jdbc.JdbcStore}: the file in WAL mode, paths in SQLite's default
 * BINARY collation (UTF-8 byte order), writes in {@code BEGIN IMMEDIATE} transactions with the busy
 * timeout set to the group's earliest deadline, reads in deferred transactions (one WAL snapshot
 * each) on {@code query_only} connections. One writer thread ({@value #WRITER_POOL}) serves every
 * SQLite store of a Vert.x instance, as SQLite has one writer per file anyway.
 *
 * <p>Tables have one of three {@link Layout layouts}; {@link #createTable} finds which and makes new
 * tables {@link Layout#SPLIT}: a {@code WITHOUT ROWID} table keyed by path whose rows hold their
 * values unless a row would overflow its index page, in which case the value is in the large-value
 * table ({@link SqliteUrl#largeTable()}) and the row's {@code value} is NULL. The writer deletes a
 * large value with its row, and a trigger when an upsert gives the row a small value, so every NULL
 * has exactly one large-value row and every large-value row one NULL; {@link #selectValue()} reads
 * it back. docs/stores/sqlite.md ("Layout") has the reasons and the figures.
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

  /**
   * How a tree's table keeps its rows. Every layout has the columns {@code path} (TEXT, the primary
   * key, BINARY collation) and {@code value} (TEXT).
   */
  enum Layout {
    /**
     * Made before 2026-12-07: {@code WITHOUT ROWID}, {@code value NOT NULL}, every value in the path
     * index. Writes beside a value that overflows its index page (over about 1,000 bytes) are slow,
     * because SQLite reads the whole entry at every key comparison with it; opened with a warning.
     */
    WITHOUT_ROWID,
    /**
     * Made on 2026-12-07 (from commit bd2280c until the split layout): an ordinary (rowid) table,
     * {@code value NOT NULL}, the path a separate index; no overflowing index entries, but each row
     * is found through the index and then by rowid.
     */
    ROWID,
    /**
     * Made since the end of 2026-12-07: {@code WITHOUT ROWID} with a nullable {@code value}; a row
     * whose path and value fit in its index page ({@link #fitsInPage}) holds its value, any other
     * row holds NULL and its value is in the large-value table {@code (path TEXT NOT NULL PRIMARY
     * KEY, value TEXT NOT NULL)}, an ordinary rowid table.
     */
    SPLIT
  }

  /**
   * @param path a stored path
   * @param valueJson a value, JSON text
   * @param maxLocalPayload {@link SqliteRecords#maxLocalPayload} of the file's pages, in bytes
   * @return whether the row {@code (path, value)} of a {@code WITHOUT ROWID} table fits in its page:
   *     its record (header, path and value in UTF-8) is at most {@code maxLocalPayload} bytes
   */
  static boolean fitsInPage(String path, String valueJson, int maxLocalPayload) {
    int chars = path.length() + valueJson.length();
    if (chars + 3 > maxLocalPayload) {
      return false; // a char takes at least one byte, the header at least three
    }
    if (3 * chars + 7 <= maxLocalPayload) {
      return true; // a char takes at most three bytes (a surrogate pair four), the header seven
    }
    return SqliteRecords.recordBytes(WritePlan.utf8Length(path), WritePlan.utf8Length(valueJson))
        <= maxLocalPayload;
  }

  private final SqliteUrl url;
  /** Set by {@link #createTable}, before any statement is asked for. */
  private volatile Layout layout;
  /** {@link SqliteRecords#maxLocalPayload} of the file's pages; set by {@link #createTable}. */
  private volatile int maxLocalPayload;

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
   * Creates the table (in the {@link Layout#SPLIT} layout) or finds the layout of an existing one,
   * and refuses a table of another shape, e.g. a collation that breaks byte order, or a table of the
   * split layout whose large-value table is missing. A table of the {@link Layout#WITHOUT_ROWID}
   * layout opens with a warning: writes beside its large values are slow (docs/stores/sqlite.md,
   * "Layout", says how to move it to the new layout with {@code kora copy}). The trigger of the
   * split layout is created when missing. Runs in one {@code BEGIN IMMEDIATE} transaction, so that
   * two processes opening a new file do not both create it.
   */
  @Override
  public void createTable(Connection writer) throws SQLException {
    try (Statement statement = writer.createStatement()) {
      statement.execute("BEGIN IMMEDIATE");
      Layout found;
      try {
        found = existingLayout(statement);
        if (found == null) {
          // a large-value table without its tree's table (dropped by hand) holds nothing of this tree
          statement.execute("DROP TABLE IF EXISTS " + url.quotedLargeTable());
          // The column names are quoted so that a Kora of an earlier layout refuses the table
          // ("not a Kora tree table") instead of reading its NULL values as values.
          statement.execute("CREATE TABLE " + url.quotedTable()
              + " (\"path\" TEXT NOT NULL PRIMARY KEY, \"value\" TEXT) WITHOUT ROWID");
          statement.execute("CREATE TABLE " + url.quotedLargeTable()
              + " (path TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL)");
          found = Layout.SPLIT;
        }
        if (found == Layout.SPLIT) {
          createTrigger(statement);
        }
        statement.execute("COMMIT");
      } catch (SQLException | RuntimeException e) {
        try {
          statement.execute("ROLLBACK");
        } catch (SQLException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
      if (found == Layout.WITHOUT_ROWID) {
        LOG.log(System.Logger.Level.WARNING, "table " + url.table() + " in " + url.file()
            + " has the layout of Kora before 2026-12-07 (WITHOUT ROWID, every value in the path"
            + " index): writes beside values over about 1,000 bytes are slow; move it to the current"
            + " layout with kora copy (docs/stores/sqlite.md, \"Layout\")");
      }
      // Kora never reserves bytes at the end of pages (an encryption extension might)
      maxLocalPayload = SqliteRecords.maxLocalPayload(Integer.parseInt(queryString(statement,
          "PRAGMA page_size")));
      layout = found;
    }
  }

  /** @return the layout of the tree's table, null when it does not exist */
  private Layout existingLayout(Statement statement) throws SQLException {
    String sql = queryString(statement, "SELECT sql FROM sqlite_schema WHERE type = 'table'"
        + " AND name = '" + url.table() + "'");
    if (sql == null) {
      return null;
    }
    String normalized = sql.toUpperCase(Locale.ROOT).replace("\"", "").replaceAll("\\s+", " ");
    if (normalized.contains("COLLATE") || !normalized.contains("PATH TEXT")
        || !normalized.contains("VALUE TEXT") || !normalized.contains("PRIMARY KEY")) {
      throw notATreeTable(sql);
    }
    boolean valueNullable = "0".equals(queryString(statement, "SELECT \"notnull\" FROM"
        + " pragma_table_info('" + url.table() + "') WHERE name = 'value'"));
    if (!normalized.contains("WITHOUT ROWID")) {
      if (valueNullable) {
        throw notATreeTable(sql);
      }
      return Layout.ROWID;
    }
    if (!valueNullable) {
      return Layout.WITHOUT_ROWID;
    }
    if (queryString(statement, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name = '"
        + url.largeTable() + "'") == null) {
      throw unavailable("table " + url.table() + " in " + url.file() + " keeps its large values in"
          + " table " + url.largeTable() + ", which is missing");
    }
    return Layout.SPLIT;
  }

  /**
   * The trigger that deletes a large value when an upsert gives its row a value of its own (a small
   * value over a large one). Its WHEN is false for every other update, which then costs one check.
   * Deleted rows take their large values with them through {@link SplitRowWrites#deleted}: a
   * DELETE trigger would make SQLite delete every range of a {@code WITHOUT ROWID} table in two
   * passes, through a temporary B-tree opened for each statement, even an empty range — and each
   * written leaf deletes the range under it (about 2.4 µs more per write in a raw test).
   */
  private void createTrigger(Statement statement) throws SQLException {
    statement.execute("CREATE TRIGGER IF NOT EXISTS "
        + SqliteUrl.quoted(url.largeTable() + "-on-update") + " AFTER UPDATE OF value ON "
        + url.quotedTable() + " WHEN OLD.value IS NULL AND NEW.value IS NOT NULL BEGIN DELETE FROM "
        + url.quotedLargeTable() + " WHERE path = OLD.path; END");
  }

  private KoraException notATreeTable(String sql) {
    return unavailable("table " + url.table() + " in " + url.file()
        + " is not a Kora tree table: " + sql);
  }

  /** @return the layout of the table, known once {@link #createTable} ran */
  Layout layout() {
    return layout;
  }

  /**
   * In the {@link Layout#SPLIT} layout the large-value table's value where the row's is NULL (the
   * subquery runs only then); else the column.
   */
  @Override
  public String selectValue() {
    if (layout != Layout.SPLIT) {
      return super.selectValue();
    }
    return "coalesce(" + url.quotedTable() + ".value, (SELECT large.value FROM "
        + url.quotedLargeTable() + " AS large WHERE large.path = " + url.quotedTable() + ".path))";
  }

  /**
   * In the {@link Layout#SPLIT} layout a row that fits in its page ({@link #fitsInPage}) is upserted
   * with its value; any other row with a NULL value, and its value upserted into the large-value
   * table; a delete that removed rows removes their large values. Other layouts: {@link #upsert()}.
   */
  @Override
  public RowWrites prepareRowWrites(Connection writer) throws SQLException {
    return layout == Layout.SPLIT ? new SplitRowWrites(writer) : super.prepareRowWrites(writer);
  }

  /**
   * The row writes of the {@link Layout#SPLIT} layout. The large-value table has a row at a path
   * exactly when the tree's table has a NULL value there, so deleting the same ranges and points
   * from it deletes exactly the large values of the deleted rows; a range or point that deleted no
   * row (most of them: each written leaf deletes the empty range under it) has none, and is skipped.
   */
  private final class SplitRowWrites implements RowWrites {
    private final RowBatch inPage;
    private final RowBatch apart;
    private final RowBatch largeValues;
    private final PreparedStatement deleteLargeRange;
    private final PreparedStatement deleteLargePoint;
    private final int limit = maxLocalPayload;

    SplitRowWrites(Connection writer) throws SQLException {
      String large = url.quotedLargeTable();
      inPage = new RowBatch(writer, upsert(), true);
      apart = new RowBatch(writer, "INSERT INTO " + url.quotedTable() + " (path, value)"
          + " VALUES (?, NULL) ON CONFLICT (path) DO UPDATE SET value = NULL", false);
      largeValues = new RowBatch(writer, "INSERT INTO " + large + " (path, value)"
          + " VALUES (?, ?) ON CONFLICT (path) DO UPDATE SET value = excluded.value", true);
      deleteLargeRange = writer.prepareStatement("DELETE FROM " + large
          + " WHERE path >= ? AND path < ?");
      deleteLargePoint = writer.prepareStatement("DELETE FROM " + large + " WHERE path = ?");
    }

    @Override
    public void deleted(WritePlan plan, int[] rangeRows, int[] pointRows) throws SQLException {
      boolean any = false;
      for (int i = 0; i < rangeRows.length; i++) {
        if (rangeRows[i] != 0) {
          WritePlan.Range range = plan.ranges().get(i);
          setPath(deleteLargeRange, 1, range.from());
          setPath(deleteLargeRange, 2, range.to());
          deleteLargeRange.addBatch();
          any = true;
        }
      }
      if (any) {
        deleteLargeRange.executeBatch();
      }
      any = false;
      for (int i = 0; i < pointRows.length; i++) {
        if (pointRows[i] != 0) {
          setPath(deleteLargePoint, 1, plan.points().get(i));
          deleteLargePoint.addBatch();
          any = true;
        }
      }
      if (any) {
        deleteLargePoint.executeBatch();
      }
    }

    @Override
    public void add(String path, String valueJson) throws SQLException {
      if (fitsInPage(path, valueJson, limit)) {
        inPage.add(path, valueJson);
      } else {
        apart.add(path, valueJson);
        largeValues.add(path, valueJson);
      }
    }

    /** The rows of one execute have distinct paths, so the order of the batches does not matter. */
    @Override
    public void execute() throws SQLException {
      inPage.execute();
      apart.execute();
      largeValues.execute();
    }

    @Override
    public void clear() {
      inPage.clear();
      apart.clear();
      largeValues.clear();
      clearBatches(deleteLargeRange, deleteLargePoint);
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
    return "SELECT " + selectValue() + " FROM " + url.quotedTable() + " WHERE path = ?";
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
