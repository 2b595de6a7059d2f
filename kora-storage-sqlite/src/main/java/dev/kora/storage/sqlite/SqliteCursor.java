package dev.kora.storage.sqlite;

import dev.kora.storage.LeafCursor;
import dev.kora.storage.ReadRange;
import dev.kora.storage.StoredLeaf;
import dev.kora.storage.spi.PathEncoding;
import io.vertx.core.Future;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A range read streaming rows from one open SQLite statement on a borrowed read connection. SQLite
 * keeps the statement's read transaction — one snapshot of the WAL file — until the statement is
 * reset, so every batch comes from the same snapshot whatever is committed meanwhile. The connection
 * goes back to the pool as soon as the rows are exhausted, or on {@link #close()}.
 *
 * <p>Calls come from any thread, one at a time (see {@link LeafCursor}); JDBC work runs on the reader
 * pool under this object's lock.
 */
final class SqliteCursor implements LeafCursor {

  private final SqliteReaders readers;
  private final SqliteReaders.ReaderConnection connection;
  private final ResultSet rows;
  private volatile boolean exhausted;
  private volatile boolean closed;
  private volatile boolean released;
  private final Object closeLock = new Object();
  private Future<Void> closing;

  private SqliteCursor(SqliteReaders readers, SqliteReaders.ReaderConnection connection,
      ResultSet rows) {
    this.readers = readers;
    this.connection = connection;
    this.rows = rows;
  }

  /** Starts the query. Blocking: call on the reader pool. */
  static SqliteCursor open(SqliteReaders readers, SqliteReaders.ReaderConnection connection,
      ReadRange range) throws SQLException {
    String lower = PathEncoding.lowerBound(range);
    String upper = PathEncoding.upperBound(range);
    PreparedStatement statement = upper == null ? connection.selectFrom()
        : connection.selectRange();
    statement.setString(1, lower);
    if (upper != null) {
      statement.setString(2, upper);
    }
    SqliteCursor cursor = new SqliteCursor(readers, connection, statement.executeQuery());
    readers.register(cursor);
    if (readers.isClosed()) {
      // the store closed while the query started: do not leak the connection
      synchronized (cursor) {
        cursor.closed = true;
        cursor.finish(false);
      }
      throw readers.closedError();
    }
    return cursor;
  }

  @Override
  public Future<List<StoredLeaf>> next(int maxRows) {
    if (maxRows < 1) {
      return Future.failedFuture(new IllegalArgumentException("maxRows must be at least 1"));
    }
    if (closed) {
      return Future.failedFuture(readers.isClosed() ? readers.closedError()
          : SqliteErrors.unavailable("the cursor is closed"));
    }
    if (exhausted) {
      return Future.succeededFuture(Collections.emptyList());
    }
    // A batch that failed or timed out leaves the cursor's position unknown: close it, so that a
    // later next() fails instead of silently skipping rows.
    return readers.limit(readers.executor().executeBlocking(() -> fetch(maxRows), false),
        "reading from " + readers.url().describe(), null).onFailure(error -> close());
  }

  private synchronized List<StoredLeaf> fetch(int maxRows) throws SQLException {
    if (closed) {
      throw readers.isClosed() ? readers.closedError()
          : SqliteErrors.unavailable("the cursor is closed");
    }
    List<StoredLeaf> batch = new ArrayList<>(Math.min(maxRows, 1_024));
    if (exhausted) {
      return batch;
    }
    try {
      while (batch.size() < maxRows) {
        if (!rows.next()) {
          exhausted = true;
          finish(false);
          break;
        }
        batch.add(new StoredLeaf(PathEncoding.decode(rows.getString(1)), rows.getString(2)));
      }
    } catch (SQLException | RuntimeException e) {
      closed = true;
      finish(true);
      throw e;
    }
    return batch;
  }

  /** Ends the statement (and with it the read snapshot) and gives the connection back. */
  private void finish(boolean broken) {
    if (released) {
      return;
    }
    released = true;
    boolean failed = broken;
    try {
      rows.close();
    } catch (SQLException e) {
      failed = true;
    }
    readers.unregister(this);
    readers.release(connection, failed);
  }

  /** Never waits for a running batch: the release runs on the reader pool after it. */
  @Override
  public Future<Void> close() {
    synchronized (closeLock) {
      if (closing == null) {
        closed = true;
        closing = released ? Future.succeededFuture()
            : readers.executor().executeBlocking(() -> {
              synchronized (this) {
                finish(false);
              }
              return null;
            }, false);
      }
      return closing;
    }
  }
}
