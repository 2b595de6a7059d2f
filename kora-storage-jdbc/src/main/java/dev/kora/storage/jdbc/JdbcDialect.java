package dev.kora.storage.jdbc;

import dev.kora.storage.spi.WritePlan;
import dev.kora.tree.KoraException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * What a JDBC database does its own way, for {@link JdbcStore}: how to connect, the table's DDL, the
 * upsert and transaction statements, how paths are bound, and which errors mean what. The table has
 * two columns, {@code path} (the {@link dev.kora.storage.spi.PathEncoding stored path}, compared by
 * UTF-8 bytes, primary key) and {@code value} (JSON text).
 *
 * <p>A dialect may keep a row's value elsewhere than in that column (SQLite keeps large values in a
 * table of their own): its {@link #selectValue()} reads the value wherever it is, and its
 * {@link #prepareRowWrites} writes it there and deletes it with its row.
 *
 * <p>Threading: every method that takes or returns a JDBC object is called on a worker thread and may
 * block; the others are cheap and may be called from any thread. Immutable, except that what
 * {@link #createTable} finds (e.g. which layout an existing table has) may decide the statements: they
 * are asked for only after it ran.
 */
public abstract class JdbcDialect {

  private final String name;
  private final String describe;
  private final String quotedTable;
  private final int maxPathBytes;
  private final int writerThreads;
  private final long timeoutMs;
  private final int poolSize;

  /**
   * @param name the driver's name for messages and pool names, e.g. {@code mysql}: the writer runs on
   *     the shared worker pool {@code kora-NAME-writer}, reads on {@code kora-NAME-reader}
   * @param describe where the tree lives, for messages and logs; never a password
   * @param quotedTable the table name, quoted as an SQL identifier
   * @param maxPathBytes the longest stored path, in UTF-8 bytes, the table's primary key can hold
   * @param writerThreads threads of the writer pool, shared by every store of the dialect in a Vert.x
   *     instance (each store commits one group at a time)
   * @param timeoutMs the operation timeout
   * @param poolSize the most read connections (and reader threads)
   */
  protected JdbcDialect(String name, String describe, String quotedTable, int maxPathBytes,
      int writerThreads, long timeoutMs, int poolSize) {
    this.name = name;
    this.describe = describe;
    this.quotedTable = quotedTable;
    this.maxPathBytes = maxPathBytes;
    this.writerThreads = writerThreads;
    this.timeoutMs = timeoutMs;
    this.poolSize = poolSize;
  }

  /** @return the driver's name for messages, e.g. {@code mysql} */
  public final String name() {
    return name;
  }

  /** @return where the tree lives, for messages and logs; never a password */
  public final String describe() {
    return describe;
  }

  /**
   * @return how messages that can reach clients (errors of reads and writes) name the store, e.g.
   *     {@code the sqlite store}: without the file path, server address or user that
   *     {@link #describe()} shows to logs and operators
   */
  public final String publicName() {
    return "the " + name + " store";
  }

  /** @return the table name, quoted as an SQL identifier */
  public final String quotedTable() {
    return quotedTable;
  }

  /** @return the longest stored path, in UTF-8 bytes, the table's primary key can hold */
  public final int maxPathBytes() {
    return maxPathBytes;
  }

  /** @return threads of the writer pool */
  public final int writerThreads() {
    return writerThreads;
  }

  /** @return the operation timeout in ms */
  public final long timeoutMs() {
    return timeoutMs;
  }

  /** @return the most read connections */
  public final int poolSize() {
    return poolSize;
  }

  /**
   * Opens the writer connection, in auto-commit mode (transactions are begun with
   * {@link #beginWrite()}).
   */
  public abstract Connection connectWriter() throws SQLException;

  /** Opens a read connection, in auto-commit mode. */
  public abstract Connection connectReader() throws SQLException;

  /**
   * Creates the table if it is missing and checks that an existing one has the right shape.
   *
   * @param writer the writer connection
   * @throws KoraException {@code store_unavailable} for a table of another shape
   */
  public abstract void createTable(Connection writer) throws SQLException;

  /** @return an insert-or-replace of {@code (path, value)} with two parameters in that order */
  public abstract String upsert();

  /**
   * The SQL expression that reads a row's value (JSON text, never null) in a query whose FROM clause
   * is the table, unaliased: used by range reads and by {@link #selectForUpdate()}. Default
   * {@code value}, the column.
   *
   * @return the expression
   */
  public String selectValue() {
    return "value";
  }

  /**
   * Prepares how the writer upserts rows, and what it does after deleting rows: one per writer
   * connection, reused by every transaction. Default: {@link #upsert()} in one JDBC batch, nothing
   * after deletes.
   *
   * @param writer the writer connection
   * @return the row writes, empty
   */
  public RowWrites prepareRowWrites(Connection writer) throws SQLException {
    return new RowBatch(writer, upsert(), true);
  }

  /**
   * The query that checks a fence ({@link dev.kora.storage.Store#fence}) at the start of a write
   * transaction: it reads the {@code value} of the row whose path is its one parameter (bound with
   * {@link #setPath}), and keeps that row locked until the transaction ends — where the row is
   * absent, its place in the key — so that no other writer can change it before this transaction
   * has committed or rolled back. Default {@code SELECT value FROM table WHERE path = ? FOR UPDATE},
   * {@link #selectValue()} in place of {@code value} (with InnoDB in {@code REPEATABLE READ}, an
   * absent row's gap is locked too).
   *
   * @return the query
   */
  public String selectForUpdate() {
    return "SELECT " + selectValue() + " FROM " + quotedTable + " WHERE path = ? FOR UPDATE";
  }

  /** @return the statement that begins a write transaction, e.g. {@code BEGIN IMMEDIATE} */
  public abstract String beginWrite();

  /**
   * @return the statements that begin a read-only transaction reading one snapshot, fixed by the
   *     time they ran
   */
  public abstract List<String> beginRead();

  /**
   * Called before each write transaction begins, e.g. to bound lock waits. Default: nothing.
   *
   * @param writer the writer connection
   * @param remainingMs the time left to the earliest deadline of the group
   */
  public void beforeWrite(Connection writer, long remainingMs) throws SQLException {
  }

  /**
   * @return whether the writer connection keeps memory in this process between writes that
   *     {@link #releaseMemory} can give back (an embedded database's page cache); default false: a
   *     database server keeps its cache in its own process
   */
  public boolean keepsMemory() {
    return false;
  }

  /**
   * Gives back the memory the writer connection keeps between writes, when the store has had no
   * write for a while ({@link #keepsMemory}): the next writes read what they need again. Called on
   * the writer pool, outside any transaction. Default: nothing.
   *
   * @param writer the writer connection
   */
  public void releaseMemory(Connection writer) throws SQLException {
  }

  /** Binds a stored path to a parameter; default {@code setString}. */
  public void setPath(PreparedStatement statement, int index, String path) throws SQLException {
    statement.setString(index, path);
  }

  /** @return the stored path of a result column; default {@code getString} */
  public String getPath(ResultSet rows, int index) throws SQLException {
    return rows.getString(index);
  }

  /**
   * Maps a failure to a {@link KoraException} (one is kept as it is): {@code store_unavailable} when
   * the database cannot be used right now (unreachable, busy, I/O, closed), {@code internal} or
   * another code for errors of the statement itself (a constraint, a trigger), which fail only the
   * write call that caused them.
   *
   * @param action what was being done, e.g. "writing to mysql://..."
   * @param error the failure
   */
  public abstract KoraException wrap(String action, Throwable error);

  /**
   * @param error a failure of a write transaction
   * @return whether the transaction may simply be run again (a deadlock, a serialization failure);
   *     default none
   */
  public boolean isTransient(SQLException error) {
    return false;
  }

  /**
   * Runs set-up statements on a new connection, closing it if one fails.
   *
   * @param connection a new connection
   * @param statements e.g. {@code PRAGMA query_only = 1}
   * @return the connection
   */
  protected static Connection initialized(Connection connection, String... statements)
      throws SQLException {
    try (Statement statement = connection.createStatement()) {
      for (String sql : statements) {
        statement.execute(sql);
      }
    } catch (SQLException | RuntimeException e) {
      connection.close();
      throw e;
    }
    return connection;
  }

  /**
   * The dialect's part of applying a {@link WritePlan}: the writer deletes the plan's ranges and points
   * with its own statements, calls {@link #deleted}, then {@link #add}s the plan's upserts and
   * {@link #execute}s them. Used by the writer thread only; not thread-safe.
   */
  public interface RowWrites {

    /**
     * Called after the writer deleted a plan's ranges and points, before its upserts, e.g. to delete
     * what the deleted rows kept elsewhere. Default: nothing.
     *
     * @param plan the plan
     * @param rangeRows the rows deleted in each of {@code plan.ranges()}, in order, as JDBC counts
     *     (a negative count: unknown)
     * @param pointRows the rows deleted at each of {@code plan.points()}, likewise
     */
    default void deleted(WritePlan plan, int[] rangeRows, int[] pointRows) throws SQLException {
    }

    /**
     * Adds a row to upsert at the next {@link #execute()}. The rows added between two executes have
     * distinct paths.
     *
     * @param path the stored path
     * @param valueJson the value, JSON text
     */
    void add(String path, String valueJson) throws SQLException;

    /** Upserts the rows added since the last execute (nothing when there are none). */
    void execute() throws SQLException;

    /** Forgets the work added and not yet run, after a failure. Never throws. */
    void clear();
  }

  /**
   * A prepared statement run as a JDBC batch, one row at a time bound as the stored path (parameter
   * 1, with {@link #setPath}) and, when it takes one, the value (parameter 2). The default
   * {@link RowWrites} (with {@link #upsert()}); a dialect's own row writes may combine several.
   * Not thread-safe.
   */
  protected final class RowBatch implements RowWrites {
    private final PreparedStatement statement;
    private final boolean bindsValue;
    private int rows;

    /**
     * @param connection the connection to prepare {@code sql} on
     * @param sql a statement with the parameters {@code (path)} or {@code (path, value)}
     * @param bindsValue whether it takes the value as parameter 2
     */
    public RowBatch(Connection connection, String sql, boolean bindsValue) throws SQLException {
      this.statement = connection.prepareStatement(sql);
      this.bindsValue = bindsValue;
    }

    @Override
    public void add(String path, String valueJson) throws SQLException {
      setPath(statement, 1, path);
      if (bindsValue) {
        statement.setString(2, valueJson);
      }
      statement.addBatch();
      rows++;
    }

    @Override
    public void execute() throws SQLException {
      if (rows > 0) {
        rows = 0;
        statement.executeBatch();
      }
    }

    @Override
    public void clear() {
      rows = 0;
      clearBatches(statement);
    }
  }

  /**
   * Forgets the rows batched on statements, after a failed transaction. Never throws: a statement
   * that cannot be cleared is closed with its connection.
   *
   * @param statements prepared statements of the writer connection
   */
  protected static void clearBatches(PreparedStatement... statements) {
    for (PreparedStatement statement : statements) {
      try {
        statement.clearBatch();
      } catch (SQLException ignored) {
        // the statement is closed with its connection
      }
    }
  }
}
