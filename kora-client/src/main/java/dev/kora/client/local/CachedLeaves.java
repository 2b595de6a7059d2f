package dev.kora.client.local;

import dev.kora.sqlite.format.SqliteRecords;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.BiConsumer;

/**
 * The cached leaves of a {@link SqliteLocalStore}: one row per leaf of a subscribed path, in two
 * tables.
 *
 * <p>{@code cached_leaf(path, leaf, value)}, a {@code WITHOUT ROWID} table keyed by
 * {@code (path, leaf)}: {@code path} the subscribed path and {@code leaf} the leaf's full path (keys
 * joined by U+0001, e.g. {@code todos\u0001t1\u0001title}), {@code value} its JSON text, or NULL when
 * the row would not fit in its page; then the value is in {@code cached_large(path, leaf, value)}, a
 * rowid table with the unique index {@code cached_large_key(path, leaf)}. A row has NULL exactly when
 * {@code cached_large} has a row for it. The reason is SQLite's: in a {@code WITHOUT ROWID} table the
 * row is the entry of the key's index, and SQLite reads the whole of an entry that overflows its page
 * at every key comparison, which made caching large values several times slower; small values stay
 * in the index, which is faster for them than a rowid table (docs/benchmarks.md, round 12; the
 * server's store does the same, docs/stores/sqlite.md, "Layout").
 *
 * <p>Files made before 2026-12-07 have only {@code cached_leaf}, with a value in every row; they are
 * rewritten to this layout, in one transaction, when opened. Kora clients older than that cannot
 * read a file that holds a large value (they see a NULL value).
 *
 * <p>Not thread-safe: its {@link SqliteLocalStore} calls it under its own lock, inside its
 * transactions.
 */
final class CachedLeaves {

  /**
   * The largest record, in bytes, that an index B-tree cell of a 4 KiB page (SQLite's default, which
   * the local store keeps) holds without overflow.
   */
  static final int MAX_RECORD_BYTES = SqliteRecords.maxLocalPayload(4_096);

  private static final String LEAF_TABLE = "cached_leaf (path TEXT NOT NULL, leaf TEXT NOT NULL,"
      + " value TEXT, PRIMARY KEY (path, leaf)) WITHOUT ROWID";
  private static final String LARGE_TABLE = "cached_large (path TEXT NOT NULL,"
      + " leaf TEXT NOT NULL, value TEXT NOT NULL)";
  private static final String LARGE_INDEX = "cached_large_key ON cached_large (path, leaf)";
  /** Rows of an earlier file copied per batch: bounds the memory a rewrite holds. */
  private static final int REWRITE_BATCH = 1_000;

  private final PreparedStatement insertSmall;
  private final PreparedStatement insertLarge;
  private final PreparedStatement insertLargeValue;
  private final PreparedStatement[] deleteLeaf;
  private final PreparedStatement[] deleteUnder;
  private final PreparedStatement[] deleteAll;
  private final PreparedStatement select;
  private boolean pendingSmall;
  private boolean pendingLarge;
  /** Whether {@code cached_large} may hold rows: until it does, deletes skip it. */
  private boolean hasLarge;

  /**
   * Creates the tables, or rewrites those of a file made before 2026-12-07 (see the class comment),
   * and prepares the statements. Runs with auto-commit on; the rewrite is one transaction of its
   * own.
   *
   * @param connection the store's connection
   * @return the cached leaves of that connection's file
   * @throws SQLException when the tables cannot be created or rewritten (nothing changed then)
   */
  static CachedLeaves open(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      boolean earlier = exists(statement, "cached_leaf") && !exists(statement, "cached_large");
      if (!earlier) {
        statement.execute("CREATE TABLE IF NOT EXISTS " + LEAF_TABLE);
        statement.execute("CREATE TABLE IF NOT EXISTS " + LARGE_TABLE);
        statement.execute("CREATE UNIQUE INDEX IF NOT EXISTS " + LARGE_INDEX);
        return new CachedLeaves(connection);
      }
      statement.execute("BEGIN IMMEDIATE");
      try {
        statement.execute("ALTER TABLE cached_leaf RENAME TO cached_leaf_earlier");
        statement.execute("CREATE TABLE " + LEAF_TABLE);
        statement.execute("CREATE TABLE " + LARGE_TABLE);
        statement.execute("CREATE UNIQUE INDEX " + LARGE_INDEX);
        CachedLeaves leaves = new CachedLeaves(connection);
        try (Statement read = connection.createStatement();
            ResultSet rows = read.executeQuery("SELECT path, leaf, value FROM cached_leaf_earlier")) {
          for (int row = 1; rows.next(); row++) {
            leaves.put(rows.getString(1), rows.getString(2), rows.getString(3));
            if (row % REWRITE_BATCH == 0) {
              leaves.flush();
            }
          }
        }
        leaves.flush();
        statement.execute("DROP TABLE cached_leaf_earlier");
        statement.execute("COMMIT");
        return leaves;
      } catch (SQLException e) {
        try {
          statement.execute("ROLLBACK");
        } catch (SQLException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
    }
  }

  private static boolean exists(Statement statement, String table) throws SQLException {
    try (ResultSet rows = statement.executeQuery("SELECT count(*) FROM sqlite_master"
        + " WHERE type = 'table' AND name = '" + table + "'")) {
      return rows.next() && rows.getInt(1) > 0;
    }
  }

  private CachedLeaves(Connection connection) throws SQLException {
    insertSmall = connection.prepareStatement(
        "INSERT OR REPLACE INTO cached_leaf (path, leaf, value) VALUES (?, ?, ?)");
    insertLarge = connection.prepareStatement(
        "INSERT OR REPLACE INTO cached_leaf (path, leaf, value) VALUES (?, ?, NULL)");
    insertLargeValue = connection.prepareStatement(
        "INSERT OR REPLACE INTO cached_large (path, leaf, value) VALUES (?, ?, ?)");
    deleteLeaf = both(connection, "DELETE FROM %s WHERE path = ? AND leaf = ?");
    deleteUnder = both(connection, "DELETE FROM %s WHERE path = ? AND leaf >= ? AND leaf < ?");
    deleteAll = both(connection, "DELETE FROM %s WHERE path = ?");
    select = connection.prepareStatement("SELECT leaf, coalesce(value, (SELECT large.value FROM"
        + " cached_large AS large WHERE large.path = cached_leaf.path"
        + " AND large.leaf = cached_leaf.leaf)) FROM cached_leaf WHERE path = ? ORDER BY leaf");
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT EXISTS (SELECT 1 FROM cached_large)")) {
      hasLarge = rows.next() && rows.getInt(1) == 1;
    }
  }

  /** @return the statement on {@code cached_leaf}, then the same on {@code cached_large} */
  private static PreparedStatement[] both(Connection connection, String sql) throws SQLException {
    return new PreparedStatement[] {
        connection.prepareStatement(String.format(sql, "cached_leaf")),
        connection.prepareStatement(String.format(sql, "cached_large"))};
  }

  /**
   * @return whether the row {@code (path, leaf, valueJson)} fits in its index page: its record
   *     ({@link SqliteRecords#recordBytes} of the three texts in UTF-8) is at most
   *     {@link #MAX_RECORD_BYTES}
   */
  static boolean fits(String path, String leaf, String valueJson) {
    int chars = path.length() + leaf.length() + valueJson.length();
    if (chars + 4 > MAX_RECORD_BYTES) {
      return false; // a char takes at least one byte, the header at least four
    }
    if (3 * chars + 10 <= MAX_RECORD_BYTES) {
      return true; // a char takes at most three bytes (a surrogate pair four), the header ten
    }
    return SqliteRecords.recordBytes(utf8Bytes(path), utf8Bytes(leaf), utf8Bytes(valueJson))
        <= MAX_RECORD_BYTES;
  }

  private static int utf8Bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8).length;
  }

  /**
   * Queues the write of a leaf's value, replacing any earlier one; {@link #flush} runs the queued
   * writes. A path's leaves are distinct within one flush.
   *
   * @param path the subscribed path, encoded
   * @param leaf the leaf's full path, encoded
   * @param valueJson its value, JSON text
   */
  void put(String path, String leaf, String valueJson) throws SQLException {
    if (fits(path, leaf, valueJson)) {
      set(insertSmall, path, leaf);
      insertSmall.setString(3, valueJson);
      insertSmall.addBatch();
      pendingSmall = true;
      if (hasLarge) {
        // a large value written earlier goes with it
        set(deleteLeaf[1], path, leaf);
        deleteLeaf[1].executeUpdate();
      }
    } else {
      set(insertLarge, path, leaf);
      insertLarge.addBatch();
      set(insertLargeValue, path, leaf);
      insertLargeValue.setString(3, valueJson);
      insertLargeValue.addBatch();
      pendingLarge = true;
      hasLarge = true;
    }
  }

  /** Runs the writes {@link #put} queued. */
  void flush() throws SQLException {
    if (pendingSmall) {
      pendingSmall = false;
      insertSmall.executeBatch();
    }
    if (pendingLarge) {
      pendingLarge = false;
      insertLarge.executeBatch();
      insertLargeValue.executeBatch();
    }
  }

  /** Forgets the writes {@link #put} queued, after a failed transaction. */
  void clear() {
    pendingSmall = false;
    pendingLarge = false;
    for (PreparedStatement statement : new PreparedStatement[] {insertSmall, insertLarge,
        insertLargeValue}) {
      try {
        statement.clearBatch();
      } catch (SQLException ignored) {
        // closed with the connection
      }
    }
  }

  /** Deletes the leaf {@code leaf} of {@code path}. */
  void deleteLeaf(String path, String leaf) throws SQLException {
    for (int table = 0; table < tables(); table++) {
      set(deleteLeaf[table], path, leaf);
      deleteLeaf[table].executeUpdate();
    }
  }

  /** Deletes the leaves of {@code path} from {@code from} (inclusive) to {@code to} (exclusive). */
  void deleteRange(String path, String from, String to) throws SQLException {
    for (int table = 0; table < tables(); table++) {
      set(deleteUnder[table], path, from);
      deleteUnder[table].setString(3, to);
      deleteUnder[table].executeUpdate();
    }
  }

  /** Deletes every leaf of {@code path}. */
  void deleteAll(String path) throws SQLException {
    for (int table = 0; table < tables(); table++) {
      deleteAll[table].setString(1, path);
      deleteAll[table].executeUpdate();
    }
  }

  /**
   * Reads the leaves of {@code path} in leaf order.
   *
   * @param leaves takes each leaf (encoded) and its value (JSON text)
   */
  void read(String path, BiConsumer<String, String> leaves) throws SQLException {
    select.setString(1, path);
    try (ResultSet rows = select.executeQuery()) {
      while (rows.next()) {
        leaves.accept(rows.getString(1), rows.getString(2));
      }
    }
  }

  /** @return 1 while {@code cached_large} is known empty, else 2 */
  private int tables() {
    return hasLarge ? 2 : 1;
  }

  private static void set(PreparedStatement statement, String path, String leaf)
      throws SQLException {
    statement.setString(1, path);
    statement.setString(2, leaf);
  }
}
