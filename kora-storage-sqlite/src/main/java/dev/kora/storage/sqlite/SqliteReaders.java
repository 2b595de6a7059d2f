package dev.kora.storage.sqlite;

import dev.kora.storage.LeafCursor;
import dev.kora.storage.ReadRange;
import dev.kora.tree.KoraException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.sqlite.SQLiteConfig;

/**
 * The read side of a {@link SqliteStore}: a pool of at most {@code poolSize} read-only connections
 * ({@code PRAGMA query_only}), each lent to one open {@link SqliteCursor} at a time. JDBC calls run on
 * the shared worker pool {@value #POOL_NAME}; futures complete on the caller's context. A cursor that
 * cannot get a connection, or a batch that takes longer than the operation timeout, fails with
 * {@code store_unavailable}.
 */
final class SqliteReaders {

  /** Name of the shared worker pool that runs the SQLite reads of a Vert.x instance. */
  static final String POOL_NAME = "kora-sqlite-reader";

  private final Vertx vertx;
  private final WorkerExecutor executor;
  private final SqliteUrl url;
  private final int maxConnections;
  private final long timeoutMs;
  private final String selectFrom;
  private final String selectRange;

  private final ArrayDeque<ReaderConnection> idle = new ArrayDeque<>();
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private final Set<SqliteCursor> cursors = ConcurrentHashMap.newKeySet();
  private int open;
  private boolean closed;

  SqliteReaders(Vertx vertx, WorkerExecutor executor, SqliteUrl url, int maxConnections,
      long timeoutMs) {
    this.vertx = vertx;
    this.executor = executor;
    this.url = url;
    this.maxConnections = maxConnections;
    this.timeoutMs = timeoutMs;
    this.selectFrom = "SELECT path, value FROM " + url.quotedTable() + " WHERE path >= ?"
        + " ORDER BY path";
    this.selectRange = "SELECT path, value FROM " + url.quotedTable()
        + " WHERE path >= ? AND path < ? ORDER BY path";
  }

  WorkerExecutor executor() {
    return executor;
  }

  SqliteUrl url() {
    return url;
  }

  /**
   * Opens a cursor on a range: borrows a connection and starts the query, whose statement holds one
   * read snapshot until the cursor is exhausted or closed.
   */
  Future<LeafCursor> read(ReadRange range) {
    Future<SqliteCursor> opened = acquire().compose(connection ->
        executor.<SqliteCursor>executeBlocking(() -> {
          try {
            return SqliteCursor.open(this, connection, range);
          } catch (Exception e) {
            release(connection, true);
            throw e;
          }
        }, false));
    return limit(opened, "opening a cursor on " + url.describe(), SqliteCursor::close)
        .map(cursor -> cursor);
  }

  /**
   * @return {@code future}, or a {@code store_unavailable} failure if it takes longer than the
   *     operation timeout; a result that arrives late is handed to {@code late} (e.g. to close it)
   */
  <T> Future<T> limit(Future<T> future, String action, Consumer<T> late) {
    Promise<T> promise = Promise.promise();
    AtomicBoolean answered = new AtomicBoolean();
    long timer = vertx.setTimer(timeoutMs, id -> {
      if (answered.compareAndSet(false, true)) {
        promise.fail(SqliteErrors.unavailable(action + " took longer than " + timeoutMs + " ms"));
      }
    });
    future.onComplete(result -> {
      if (answered.compareAndSet(false, true)) {
        vertx.cancelTimer(timer);
        if (result.succeeded()) {
          promise.complete(result.result());
        } else {
          promise.fail(SqliteErrors.wrap(action, result.cause()));
        }
      } else if (result.succeeded() && late != null) {
        late.accept(result.result());
      }
    });
    return promise.future();
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
    return executor.executeBlocking(this::connectBlocking, false).recover(error -> {
      synchronized (this) {
        open--;
      }
      return Future.failedFuture(SqliteErrors.wrap("opening a read connection to "
          + url.describe(), error));
    });
  }

  private ReaderConnection connectBlocking() throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, timeoutMs)));
    Connection connection = config.createConnection(url.jdbcUrl());
    try {
      try (Statement statement = connection.createStatement()) {
        statement.execute("PRAGMA query_only = 1");
      }
      return new ReaderConnection(connection, connection.prepareStatement(selectFrom),
          connection.prepareStatement(selectRange));
    } catch (SQLException | RuntimeException e) {
      connection.close();
      throw e;
    }
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

  void register(SqliteCursor cursor) {
    cursors.add(cursor);
  }

  void unregister(SqliteCursor cursor) {
    cursors.remove(cursor);
  }

  synchronized boolean isClosed() {
    return closed;
  }

  KoraException closedError() {
    return SqliteErrors.unavailable("the SQLite store " + url.describe() + " is closed");
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
    for (SqliteCursor cursor : new ArrayList<>(cursors)) {
      closing.add(cursor.close());
    }
    closing.add(executor.executeBlocking(() -> {
      toClose.forEach(ReaderConnection::closeQuietly);
      return null;
    }, false));
    return Future.join(closing).mapEmpty();
  }

  /** A read connection with its two prepared range queries. */
  record ReaderConnection(Connection connection, PreparedStatement selectFrom,
      PreparedStatement selectRange) {

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
