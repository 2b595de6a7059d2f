package dev.kora.storage.jdbc;

import dev.kora.storage.LeafCursor;
import dev.kora.storage.ReadRange;
import dev.kora.storage.spi.StoreFutures;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The read side of a {@link JdbcStore}: a pool of at most {@code poolSize} read connections, each lent
 * to one open {@link JdbcCursor} at a time. JDBC calls run on the shared worker pool
 * {@code kora-NAME-reader}; futures complete on the caller's context. A cursor that cannot get a
 * connection, or a batch that takes longer than the operation timeout, fails with
 * {@code store_unavailable}. A connection that failed is closed, and one idle for a while is checked
 * before it is lent again, so reads recover by themselves once the database is back.
 */
final class JdbcReaders {

  /** Idle time after which a read connection is checked before it is lent. */
  static final long VALIDATE_AFTER_IDLE_MS = 1_000;

  private final Vertx vertx;
  private final WorkerExecutor executor;
  private final JdbcDialect dialect;
  private final int maxConnections;
  private final long timeoutMs;

  private final ArrayDeque<ReaderConnection> idle = new ArrayDeque<>();
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private final Set<JdbcCursor> cursors = ConcurrentHashMap.newKeySet();
  private int open;
  private boolean closed;

  JdbcReaders(Vertx vertx, WorkerExecutor executor, JdbcDialect dialect, int maxConnections,
      long timeoutMs) {
    this.vertx = vertx;
    this.executor = executor;
    this.dialect = dialect;
    this.maxConnections = maxConnections;
    this.timeoutMs = timeoutMs;
  }

  WorkerExecutor executor() {
    return executor;
  }

  JdbcDialect dialect() {
    return dialect;
  }

  /**
   * Opens a cursor on a range: borrows a connection and begins its snapshot transaction, which the
   * cursor holds until it is exhausted or closed.
   */
  Future<LeafCursor> read(ReadRange range) {
    Future<JdbcCursor> opened = acquire().compose(connection ->
        executor.<JdbcCursor>executeBlocking(() -> {
          try {
            return JdbcCursor.open(this, checked(connection), range);
          } catch (Exception e) {
            release(connection, true);
            throw e;
          }
        }, false));
    return limit(opened, "opening a cursor on " + dialect.publicName(), JdbcCursor::close)
        .map(cursor -> cursor);
  }

  /**
   * @return {@code future}, or a {@code store_unavailable} failure if it takes longer than the
   *     operation timeout; a result that arrives late is handed to {@code late} (e.g. to close it)
   */
  <T> Future<T> limit(Future<T> future, String action, Consumer<T> late) {
    return StoreFutures.limit(vertx, future, timeoutMs, action,
        error -> dialect.wrap(action, error), late);
  }

  /** Checks a connection that was idle for a while, opening a new one in its place when broken. */
  private ReaderConnection checked(ReaderConnection connection) throws SQLException {
    if (TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - connection.lastUsed)
        <= VALIDATE_AFTER_IDLE_MS) {
      return connection;
    }
    boolean valid;
    try {
      valid = connection.connection.isValid((int) Math.max(1, Math.min(30, timeoutMs / 1000)));
    } catch (SQLException e) {
      valid = false;
    }
    if (valid) {
      return connection;
    }
    connection.closeQuietly();
    connection.replace(dialect.connectReader());
    return connection;
  }

  private Future<ReaderConnection> acquire() {
    Context context = vertx.getOrCreateContext();
    synchronized (this) {
      if (closed) {
        return Future.failedFuture(closedError());
      }
      ReaderConnection connection = idle.poll();
      if (connection != null) {
        return Future.succeededFuture(connection);
      }
      if (open >= maxConnections) {
        Waiter waiter = new Waiter(context, Promise.promise());
        waiters.add(waiter);
        return waiter.promise.future();
      }
      open++;
    }
    return connect();
  }

  private Future<ReaderConnection> connect() {
    return executor.executeBlocking(() -> new ReaderConnection(dialect.connectReader()),
        false).recover(error -> {
          synchronized (this) {
            open--;
          }
          return Future.failedFuture(dialect.wrap("opening a read connection to "
              + dialect.publicName(), error));
        });
  }

  /**
   * Gives a connection back. Blocking when {@code broken} or the pool is closed (the connection is
   * closed): call on a worker thread.
   *
   * @param broken whether the connection failed and must not be reused
   */
  void release(ReaderConnection connection, boolean broken) {
    Waiter waiter = null;
    boolean discard;
    synchronized (this) {
      discard = broken || closed;
      if (discard) {
        open--;
        if (!closed && !waiters.isEmpty()) {
          // a slot is free again: open a new connection for the first waiter
          waiter = waiters.poll();
          open++;
        }
      } else if (!waiters.isEmpty()) {
        waiter = waiters.poll();
      } else {
        connection.lastUsed = System.nanoTime();
        idle.push(connection);
      }
    }
    if (discard) {
      connection.closeQuietly();
      if (waiter != null) {
        Waiter next = waiter;
        next.context.runOnContext(v -> connect().onComplete(next.promise));
      }
    } else if (waiter != null) {
      Waiter next = waiter;
      next.context.runOnContext(v -> next.promise.complete(connection));
    }
  }

  void register(JdbcCursor cursor) {
    cursors.add(cursor);
  }

  void unregister(JdbcCursor cursor) {
    cursors.remove(cursor);
  }

  synchronized boolean isClosed() {
    return closed;
  }

  KoraException closedError() {
    return new KoraException(ErrorCode.STORE_UNAVAILABLE, dialect.publicName()
        + " is closed");
  }

  /** Closes the open cursors and every connection; later reads fail with {@code store_unavailable}. */
  Future<Void> close() {
    List<ReaderConnection> toClose;
    List<Waiter> toFail;
    synchronized (this) {
      if (closed) {
        return Future.succeededFuture();
      }
      closed = true;
      toClose = new ArrayList<>(idle);
      open -= idle.size();
      idle.clear();
      toFail = new ArrayList<>(waiters);
      waiters.clear();
    }
    KoraException error = closedError();
    toFail.forEach(waiter -> waiter.context.runOnContext(v -> waiter.promise.tryFail(error)));
    List<Future<Void>> closing = new ArrayList<>();
    for (JdbcCursor cursor : new ArrayList<>(cursors)) {
      closing.add(cursor.close());
    }
    closing.add(executor.executeBlocking(() -> {
      toClose.forEach(ReaderConnection::closeQuietly);
      return null;
    }, false));
    return Future.join(closing).mapEmpty();
  }

  /**
   * A read connection and its range queries, prepared on first use: four variants, for a first
   * ({@code >=}) or later ({@code >}) page, with or without an upper bound.
   */
  static final class ReaderConnection {
    private Connection connection;
    private final PreparedStatement[] pages = new PreparedStatement[4];
    private long lastUsed = System.nanoTime();

    ReaderConnection(Connection connection) {
      this.connection = connection;
    }

    Connection connection() {
      return connection;
    }

    private void replace(Connection fresh) {
      connection = fresh;
      java.util.Arrays.fill(pages, null);
      lastUsed = System.nanoTime();
    }

    /** @return the page query: rows from a path (inclusive or not), below a path or not, LIMIT ? */
    PreparedStatement page(JdbcDialect dialect, boolean inclusive, boolean bounded)
        throws SQLException {
      int slot = (inclusive ? 1 : 0) + (bounded ? 2 : 0);
      if (pages[slot] == null) {
        pages[slot] = connection.prepareStatement("SELECT path, " + dialect.selectValue()
            + " FROM " + dialect.quotedTable()
            + " WHERE path " + (inclusive ? ">=" : ">") + " ?" + (bounded ? " AND path < ?" : "")
            + " ORDER BY path LIMIT ?");
      }
      return pages[slot];
    }

    void closeQuietly() {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // closing a connection that failed: nothing more to do
      }
    }
  }

  private record Waiter(Context context, Promise<ReaderConnection> promise) {
  }
}
