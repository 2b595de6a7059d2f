package dev.kora.storage.memory;

import dev.kora.storage.LeafCursor;
import dev.kora.storage.ReadRange;
import dev.kora.storage.StoredLeaf;
import dev.kora.storage.spi.FenceCheck;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * A store in the heap: an ordered map from encoded path to JSON text. Nothing survives the process;
 * for tests, benchmarks and throwaway nodes. Writes go through the group commit of {@link StoreBase}
 * like every store's, and a group is applied under one lock, with no I/O: it cannot fail halfway. A
 * cursor reads the snapshot taken when it opened, as the database stores do: it reads the live map
 * while nothing is written, and a write first copies the rows that each open cursor has yet to read
 * (so a write pays for the reads it overlaps, and reads that overlap no write copy nothing). Never
 * blocks for long; futures complete on the caller's context.
 *
 * <p>Fences ({@link #fence}): a group first compares the fence's row with the fence under the same
 * lock as it applies its writes, and fails whole with {@code fenced}, writing nothing, when they
 * differ. Only this store's own writes can change the row, so this serves tests of code that fences.
 */
public final class MemoryStore extends StoreBase<List<WritePlan>> {

  private final NavigableMap<String, String> rows = new TreeMap<>(Path::compareKeys);
  /** The cursors that still read the live map; a write detaches them first. */
  private final Set<Cursor> live = new HashSet<>();

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

  /** @return true: a group checks the fence under the store's lock before it writes */
  @Override
  public boolean fences() {
    return true;
  }

  @Override
  protected synchronized Future<Void> commit(List<GroupCommit.Entry<List<WritePlan>>> group) {
    FenceCheck fence = fenceCheck();
    if (fence != null) {
      try {
        fence.verify(rows.get(fence.row()));
      } catch (KoraException e) {
        return Future.failedFuture(e);
      }
    }
    for (Cursor cursor : live) {
      cursor.detach();
    }
    live.clear();
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
  protected synchronized Future<LeafCursor> openCursor(ReadRange range) {
    Cursor cursor = new Cursor(PathEncoding.lowerBound(range), PathEncoding.upperBound(range));
    live.add(cursor);
    return Future.succeededFuture(cursor);
  }

  @Override
  protected synchronized Future<Void> free() {
    live.clear();
    rows.clear();
    return Future.succeededFuture();
  }

  @Override
  public String describe() {
    return "memory";
  }

  private synchronized List<StoredLeaf> batch(Cursor cursor, int max) {
    if (isClosed()) {
      throw closedError();
    }
    NavigableMap<String, String> view = range(cursor.source, cursor.from, cursor.inclusive,
        cursor.to);
    List<StoredLeaf> result = new ArrayList<>(Math.min(max, 256));
    for (Map.Entry<String, String> row : view.entrySet()) {
      if (result.size() >= max) {
        break;
      }
      result.add(new StoredLeaf(PathEncoding.decode(row.getKey()), row.getValue()));
      cursor.from = row.getKey();
      cursor.inclusive = false;
    }
    return result;
  }

  /** @return the rows from {@code from} (inclusive or not) to before {@code to} (null: the end) */
  private static NavigableMap<String, String> range(NavigableMap<String, String> source,
      String from, boolean inclusive, String to) {
    if (to != null && source.comparator().compare(from, to) > 0) {
      return Collections.emptyNavigableMap();
    }
    return to == null ? source.tailMap(from, inclusive) : source.subMap(from, inclusive, to, false);
  }

  private final class Cursor implements LeafCursor {
    private String from;
    private boolean inclusive = true;
    private final String to;
    private boolean done;
    /** The live map until a write detaches the cursor, then its own copy of the unread rows. */
    private NavigableMap<String, String> source = rows;

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
        List<StoredLeaf> rows = batch(this, maxRows);
        if (rows.size() < maxRows) {
          close();
        }
        return Future.succeededFuture(rows);
      } catch (KoraException e) {
        return Future.failedFuture(e);
      }
    }

    @Override
    public Future<Void> close() {
      synchronized (MemoryStore.this) {
        done = true;
        live.remove(this);
      }
      return Future.succeededFuture();
    }

    /** Copies the rows not read yet, before a write changes the live map; under the store's lock. */
    void detach() {
      if (!done) {
        source = new TreeMap<>(range(rows, from, inclusive, to));
      }
    }
  }
}
