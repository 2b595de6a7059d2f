package dev.kora.storage.jdbc;

import dev.kora.storage.LeafCursor;
import dev.kora.storage.ReadRange;
import dev.kora.storage.StoredLeaf;
import dev.kora.storage.spi.PathEncoding;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A range read on a borrowed read connection, inside one read-only transaction begun by
 * {@link JdbcDialect#beginRead()}, so that every batch comes from the same snapshot whatever is
 * committed meanwhile. Each batch is one keyset query ({@code path > last ORDER BY path LIMIT n}), an
 * index range scan, so memory stays bounded by the batch and no server-side cursor is needed. The
 * transaction ends and the connection goes back to the pool as soon as the rows are exhausted, or on
 * {@link #close()}.
 *
 * <p>Calls come from any thread, one at a time (see {@link LeafCursor}); JDBC work runs on the reader
 * pool under this object's lock.
 */
final class JdbcCursor implements LeafCursor {

  private final JdbcReaders readers;
  private final JdbcReaders.ReaderConnection connection;
  private final String upper;
  private String from;
  private boolean inclusive = true;
  private volatile boolean exhausted;
  private volatile boolean closed;
  private volatile boolean released;
  private final Object closeLock = new Object();
  private Future<Void> closing;

  private JdbcCursor(JdbcReaders readers, JdbcReaders.ReaderConnection connection, String from,
      String upper) {
    this.readers = readers;
    this.connection = connection;
    this.from = from;
    this.upper = upper;
  }

  /** Begins the snapshot transaction. Blocking: call on the reader pool. */
  static JdbcCursor open(JdbcReaders readers, JdbcReaders.ReaderConnection connection,
      ReadRange range) throws SQLException {
    try (Statement statement = connection.connection().createStatement()) {
      for (String sql : readers.dialect().beginRead()) {
        statement.execute(sql);
      }
    }
    JdbcCursor cursor = new JdbcCursor(readers, connection, PathEncoding.lowerBound(range),
        PathEncoding.upperBound(range));
    readers.register(cursor);
    if (readers.isClosed()) {
      // the store closed while the cursor opened: do not leak the connection
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
      return Future.failedFuture(closedError());
    }
    if (exhausted) {
      return Future.succeededFuture(Collections.emptyList());
    }
    // A batch that failed or timed out leaves the cursor's position unknown: close it, so that a
    // later next() fails instead of silently skipping rows.
    return readers.limit(readers.executor().executeBlocking(() -> fetch(maxRows), false),
        "reading from " + readers.dialect().publicName(), null).onFailure(error -> close());
  }

  private KoraException closedError() {
    return readers.isClosed() ? readers.closedError()
        : new KoraException(ErrorCode.STORE_UNAVAILABLE, "the cursor is closed");
  }

  private synchronized List<StoredLeaf> fetch(int maxRows) throws SQLException {
    if (closed) {
      throw closedError();
    }
    List<StoredLeaf> batch = new ArrayList<>(Math.min(maxRows, 1_024));
    if (exhausted) {
      return batch;
    }
    JdbcDialect dialect = readers.dialect();
    try {
      PreparedStatement page = connection.page(dialect, inclusive, upper != null);
      dialect.setPath(page, 1, from);
      if (upper != null) {
        dialect.setPath(page, 2, upper);
      }
      page.setInt(upper != null ? 3 : 2, maxRows);
      String last = null;
      try (ResultSet rows = page.executeQuery()) {
        while (rows.next()) {
          last = dialect.getPath(rows, 1);
          batch.add(new StoredLeaf(PathEncoding.decode(last), rows.getString(2)));
        }
      }
      if (batch.size() < maxRows) {
        exhausted = true;
        finish(false);
      } else {
        from = last;
        inclusive = false;
      }
    } catch (SQLException | RuntimeException e) {
      closed = true;
      finish(true);
      throw e;
    }
    return batch;
  }

  /** Ends the read transaction and gives the connection back. */
  private void finish(boolean broken) {
    if (released) {
      return;
    }
    released = true;
    boolean failed = broken;
    if (!failed) {
      try (Statement statement = connection.connection().createStatement()) {
        statement.execute("ROLLBACK");
      } catch (SQLException e) {
        failed = true;
      }
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
