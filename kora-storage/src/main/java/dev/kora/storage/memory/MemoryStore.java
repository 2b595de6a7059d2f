package dev.kora.storage.memory;

import dev.kora.storage.LeafCursor;
import dev.kora.storage.ReadRange;
import dev.kora.storage.StoredLeaf;
import dev.kora.storage.spi.GroupCommit;
import dev.kora.storage.spi.PathEncoding;
import dev.kora.storage.spi.StoreBase;
import dev.kora.storage.spi.WritePlan;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * A store in the heap: an ordered map from encoded path to JSON text. Nothing survives the process;
 * for tests, benchmarks and throwaway nodes. Writes go through the group commit of {@link StoreBase}
 * like every store's, and a group is applied under one lock, with no I/O: it cannot fail halfway. A
 * cursor reads each batch under the lock but is not a snapshot across batches. Never blocks for long;
 * futures complete on the caller's context.
 */
public final class MemoryStore extends StoreBase<List<WritePlan>> {

  private final NavigableMap<String, String> rows = new TreeMap<>(Path::compareKeys);

  /**
   * @param vertx the Vert.x instance, for the write queue
   * @param timeoutMs how long a write may wait in the queue
   * @return an empty store
   */
  public static MemoryStore create(Vertx vertx, long timeoutMs) {
    return new MemoryStore(vertx, timeoutMs);
  }

  private MemoryStore(Vertx vertx, long timeoutMs) {
    super(vertx, timeoutMs, GroupCommit.DEFAULT_MAX_GROUP, GroupCommit.DEFAULT_MAX_GROUP_ROWS);
  }

  @Override
  protected List<WritePlan> plan(List<Mutation> mutations) {
    return WritePlan.of(mutations, Integer.MAX_VALUE, "memory");
  }

  @Override
  protected long rows(List<WritePlan> work) {
    return WritePlan.size(work);
  }

  @Override
  protected synchronized Future<Void> commit(List<GroupCommit.Entry<List<WritePlan>>> group) {
    for (GroupCommit.Entry<List<WritePlan>> entry : group) {
      for (WritePlan plan : entry.work()) {
        for (WritePlan.Range range : plan.ranges()) {
          rows.subMap(range.from(), true, range.to(), false).clear();
        }
        for (String point : plan.points()) {
          rows.remove(point);
        }
        for (WritePlan.Row row : plan.upserts()) {
          rows.put(row.path(), row.valueJson());
        }
      }
    }
    return Future.succeededFuture();
  }

  @Override
  protected Future<LeafCursor> openCursor(ReadRange range) {
    return Future.succeededFuture(new Cursor(PathEncoding.lowerBound(range),
        PathEncoding.upperBound(range)));
  }

  @Override
  protected synchronized Future<Void> free() {
    rows.clear();
    return Future.succeededFuture();
  }

  @Override
  public String describe() {
    return "memory";
  }

  private synchronized List<StoredLeaf> batch(String from, boolean inclusive, String to, int max) {
    if (isClosed()) {
      throw closedError();
    }
    if (to != null && rows.comparator().compare(from, to) > 0) {
      return new ArrayList<>();
    }
    NavigableMap<String, String> view = to == null ? rows.tailMap(from, inclusive)
        : rows.subMap(from, inclusive, to, false);
    List<StoredLeaf> result = new ArrayList<>(Math.min(max, 256));
    for (Map.Entry<String, String> row : view.entrySet()) {
      if (result.size() >= max) {
        break;
      }
      result.add(new StoredLeaf(PathEncoding.decode(row.getKey()), row.getValue()));
    }
    return result;
  }

  private final class Cursor implements LeafCursor {
    private String from;
    private boolean inclusive = true;
    private final String to;
    private boolean done;

    Cursor(String from, String to) {
      this.from = from;
      this.to = to;
    }

    @Override
    public Future<List<StoredLeaf>> next(int maxRows) {
      if (done) {
        return Future.succeededFuture(Collections.emptyList());
      }
      try {
        List<StoredLeaf> rows = batch(from, inclusive, to, maxRows);
        if (rows.size() < maxRows) {
          done = true;
        } else {
          from = PathEncoding.encode(rows.get(rows.size() - 1).path());
          inclusive = false;
        }
        return Future.succeededFuture(rows);
      } catch (KoraException e) {
        return Future.failedFuture(e);
      }
    }

    @Override
    public Future<Void> close() {
      done = true;
      return Future.succeededFuture();
    }
  }
}
