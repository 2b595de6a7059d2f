package dev.kora.storage.cassandra;

import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import dev.kora.storage.LeafCursor;
import dev.kora.storage.StoredLeaf;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Streams the rows of a range page by page: never more than one page of rows (the fetch size) is
 * held besides the batch being filled. A range inside one partition is one clustering-key slice
 * query; a range that spans partitions reads the list of partitions in order (also paged) and scans
 * each listed partition whole, skipping those that turned out empty. Not a snapshot: each page is
 * read when it is needed. Not thread-safe, as {@link LeafCursor} allows; futures complete on the
 * caller's context.
 */
final class CassandraCursor implements LeafCursor {

  private final CassandraStore store;
  /** The first query: a slice of one partition, or a slice of the list of partitions. */
  private final BoundStatement first;
  /** Whether {@link #first} reads the list of partitions. */
  private final boolean spanning;

  private boolean started;
  private boolean done;
  private String part;
  private AsyncResultSet rowsPage;
  private Iterator<Row> rows;
  private AsyncResultSet partsPage;
  private Iterator<Row> parts;

  /**
   * @param store the store
   * @param part the partition of a range inside one partition, or null when the range spans
   *     partitions
   * @param first the slice of that partition, or of the list of partitions; null for an empty range
   */
  CassandraCursor(CassandraStore store, String part, BoundStatement first) {
    this.store = store;
    this.part = part;
    this.first = first;
    this.spanning = part == null;
    this.done = first == null;
  }

  @Override
  public Future<List<StoredLeaf>> next(int maxRows) {
    if (maxRows < 1) {
      return Future.failedFuture(new IllegalArgumentException("maxRows must be at least 1"));
    }
    if (store.isClosed()) {
      return Future.failedFuture(store.closedError());
    }
    if (done) {
      return Future.succeededFuture(Collections.emptyList());
    }
    CompletionStage<List<StoredLeaf>> filled;
    try {
      filled = fill(new ArrayList<>(Math.min(maxRows, 1_024)), maxRows);
    } catch (RuntimeException e) {
      filled = CompletableFuture.failedFuture(e);
    }
    return store.onCallerContext(filled, "reading");
  }

  /** Adds rows to {@code out} until it holds {@code max} or the range ends. */
  private CompletionStage<List<StoredLeaf>> fill(List<StoredLeaf> out, int max) {
    if (!started) {
      started = true;
      return store.execute(first).thenCompose(page -> {
        if (spanning) {
          partsPage = page;
          parts = page.currentPage().iterator();
        } else {
          rowsPage = page;
          rows = page.currentPage().iterator();
        }
        return fill(out, max);
      });
    }
    while (out.size() < max) {
      if (rows != null && rows.hasNext()) {
        Row row = rows.next();
        out.add(new StoredLeaf(CassandraLayout.path(part, row.getString(0)), row.getString(1)));
        continue;
      }
      if (rowsPage != null && rowsPage.hasMorePages()) {
        return rowsPage.fetchNextPage().thenCompose(page -> {
          rowsPage = page;
          rows = page.currentPage().iterator();
          return fill(out, max);
        });
      }
      rowsPage = null;
      rows = null;
      if (!spanning) {
        done = true;
        break;
      }
      if (parts.hasNext()) {
        part = parts.next().getString(0);
        return store.execute(store.schema().selectPartition(part)).thenCompose(page -> {
          rowsPage = page;
          rows = page.currentPage().iterator();
          return fill(out, max);
        });
      }
      if (partsPage.hasMorePages()) {
        return partsPage.fetchNextPage().thenCompose(page -> {
          partsPage = page;
          parts = page.currentPage().iterator();
          return fill(out, max);
        });
      }
      done = true;
      break;
    }
    return CompletableFuture.completedFuture(out);
  }

  @Override
  public Future<Void> close() {
    done = true;
    rowsPage = null;
    rows = null;
    partsPage = null;
    parts = null;
    return Future.succeededFuture();
  }
}
