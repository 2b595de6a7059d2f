package dev.kora.storage.postgres;

import dev.kora.storage.LeafCursor;
import dev.kora.storage.ReadRange;
import dev.kora.storage.StoredLeaf;
import dev.kora.storage.spi.PathEncoding;
import dev.kora.storage.spi.StoreFutures;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Cursor;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A range read of a {@link PgStore}: a server-side cursor (a portal of a prepared statement) inside
 * one {@code REPEATABLE READ READ ONLY} transaction on a connection of the reader pool, so that every
 * batch comes from the snapshot taken when the cursor opened, and each {@link #next(int)} fetches
 * exactly the rows asked for. The transaction ends and the connection goes back to the pool as soon
 * as the rows are exhausted, or on {@link #close()}. Never blocks; futures complete on the caller's
 * context.
 */
final class PgCursor implements LeafCursor {

  private final PgStore store;
  private final SqlConnection connection;
  private final Cursor cursor;
  private boolean exhausted;
  private boolean closed;
  private Future<Void> released;

  private PgCursor(PgStore store, SqlConnection connection, Cursor cursor) {
    this.store = store;
    this.connection = connection;
    this.cursor = cursor;
  }

  /** Begins the snapshot transaction (its first statement fixes the snapshot) and the cursor. */
  static Future<PgCursor> open(PgStore store, SqlConnection connection, ReadRange range) {
    String lower = PathEncoding.lowerBound(range);
    String upper = PathEncoding.upperBound(range);
    return connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SELECT 1").execute()
        .compose(begun -> connection.prepare(store.sql().select(upper != null)))
        .map(statement -> new PgCursor(store, connection, statement.cursor(
            upper == null ? Tuple.of(lower) : Tuple.of(lower, upper))))
        .recover(error -> connection.query("ROLLBACK").execute().otherwiseEmpty()
            .eventually(connection::close).transform(v -> Future.failedFuture(error)));
  }

  @Override
  public synchronized Future<List<StoredLeaf>> next(int maxRows) {
    if (maxRows < 1) {
      return Future.failedFuture(new IllegalArgumentException("maxRows must be at least 1"));
    }
    if (closed) {
      return Future.failedFuture(store.isClosed() ? store.closedError()
          : new KoraException(ErrorCode.STORE_UNAVAILABLE, "the cursor is closed"));
    }
    if (exhausted) {
      return Future.succeededFuture(Collections.emptyList());
    }
    Context caller = store.vertx().getOrCreateContext();
    String action = "reading from " + store.describe();
    Future<List<StoredLeaf>> batch = cursor.read(maxRows).map(rows -> {
      List<StoredLeaf> leaves = new ArrayList<>(rows.size());
      for (Row row : rows) {
        leaves.add(new StoredLeaf(PathEncoding.decode(row.getString(0)), row.getString(1)));
      }
      return leaves;
    }).compose(leaves -> {
      if (cursor.hasMore()) {
        return Future.succeededFuture(leaves);
      }
      synchronized (this) {
        exhausted = true;
      }
      return release().map(leaves);
    });
    // A batch that failed or timed out leaves the cursor's position unknown: close it, so that a
    // later next() fails instead of silently skipping rows.
    return StoreFutures.on(caller, StoreFutures.limit(store.vertx(), batch, store.timeoutMs(), action,
        error -> PgErrors.wrap(action, error), null).onFailure(error -> close()));
  }

  @Override
  public Future<Void> close() {
    synchronized (this) {
      closed = true;
    }
    return StoreFutures.on(store.vertx().getOrCreateContext(), release());
  }

  /** Ends the cursor and the transaction and gives the connection back; once. */
  private synchronized Future<Void> release() {
    if (released == null) {
      Promise<Void> done = Promise.promise();
      released = done.future();
      cursor.close().otherwiseEmpty()
          .compose(v -> connection.query("ROLLBACK").execute()).otherwiseEmpty()
          .eventually(connection::close)
          .onComplete(result -> {
            store.unregister(this);
            done.complete();
          });
    }
    return released;
  }
}
