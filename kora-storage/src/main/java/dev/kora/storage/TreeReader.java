package dev.kora.storage;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.LeafCodec;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import dev.kora.tree.TreeBuilder;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Function;

/**
 * Reads trees out of a {@link Store}: applies query options to the flat rows and assembles them, the
 * one place where this happens for every store. Runs on the caller's thread between store calls and
 * never blocks.
 */
public final class TreeReader {

  /** Rows pulled from a cursor at a time. */
  public static final int BATCH_ROWS = 1_000;

  private TreeReader() {
  }

  /**
   * Reads the value at {@code path}: the subtree bounded by {@code options} (children from
   * {@code min}, before {@code max}, at most {@code limit} of them, each whole), or the leaf stored
   * there.
   *
   * @param store the store
   * @param path the queried path
   * @param options bounds on the children
   * @return a JsonObject of the children found (relative to {@code path}), a leaf, or null when
   *     nothing is there
   */
  public static Future<Object> read(Store store, Path path, QueryOptions options) {
    return open(store, path, options).compose(OpenRead::value);
  }

  /**
   * Starts a read in two steps, for callers that must know when its data is fixed: the returned
   * future completes once the store's cursor is open (for the stores that read a snapshot, the data
   * the read returns is then decided: SQLite, MySQL, PostgreSQL, memory), and the rows are pulled
   * from then on without waiting for the caller. See {@link #read} for what the value is.
   *
   * @param store the store
   * @param path the queried path
   * @param options bounds on the children
   * @return the open read; fails as {@link Store#read} does
   */
  public static Future<OpenRead> open(Store store, Path path, QueryOptions options) {
    return open(store, path, options, ReadBudget.unlimited());
  }

  /**
   * Starts a read, as {@link #open(Store, Path, QueryOptions)}, that fails with {@code too_large}
   * once the rows it pulls go over {@code budget}.
   *
   * @param store the store
   * @param path the queried path
   * @param options bounds on the children
   * @param budget shared by the reads of one answer
   * @return the open read
   */
  public static Future<OpenRead> open(Store store, Path path, QueryOptions options,
      ReadBudget budget) {
    return openPaused(store, path, options, budget).map(read -> {
      read.pull();
      return read;
    });
  }

  /**
   * Opens a read without pulling its rows: its data is fixed as {@link #open} fixes it, and nothing
   * is read until {@link OpenRead#pull()} — or {@link OpenRead#cancel()} frees it unread. For a
   * caller that decides after the fix whether it needs the data (a resume, which needs it only when
   * the change log does not serve it).
   *
   * @param store the store
   * @param path the queried path
   * @param options bounds on the children
   * @param budget shared by the reads of one answer
   * @return the open read, paused; fails as {@link Store#read} does
   */
  public static Future<OpenRead> openPaused(Store store, Path path, QueryOptions options,
      ReadBudget budget) {
    if (options.limit() != null && options.limit() == 0) {
      return Future.succeededFuture(new OpenRead(null, path, options, budget,
          Future.succeededFuture(null)));
    }
    return store.read(new ReadRange(path, options.min(), options.max()))
        .map(cursor -> new OpenRead(cursor, path, options, budget, null));
  }

  /**
   * A read whose cursor is open and whose rows are being pulled. {@link #cancel()} stops it between
   * two batches and closes the cursor, freeing what the store holds for it (a read connection).
   * Confined to the thread or context that opened it.
   */
  public static final class OpenRead {
    private final LeafCursor cursor;
    private final Path path;
    private final QueryOptions options;
    private final ReadBudget budget;
    private Future<Object> value;
    private boolean cancelled;

    private OpenRead(LeafCursor cursor, Path path, QueryOptions options, ReadBudget budget,
        Future<Object> value) {
      this.cursor = cursor;
      this.path = path;
      this.options = options;
      this.budget = budget;
      this.value = value;
    }

    /**
     * @return the value read, as {@link TreeReader#read} answers it; fails with the store's error,
     *     or {@code closed} after {@link #cancel()}
     * @throws IllegalStateException when a paused read was not {@link #pull() pulled}
     */
    public Future<Object> value() {
      if (value == null) {
        throw new IllegalStateException("the read is paused; pull() it first");
      }
      return value;
    }

    /**
     * Starts pulling the rows of a paused read (once; later calls return the same value).
     *
     * @return the value, as {@link #value()}
     */
    public Future<Object> pull() {
      if (value == null) {
        if (cancelled) {
          value = Future.failedFuture(new KoraException(ErrorCode.CLOSED,
              "the read was cancelled"));
        } else {
          start(path, options);
        }
      }
      return value;
    }

    /** Stops pulling rows and closes the cursor; the value then fails with {@code closed}. */
    public void cancel() {
      if (cursor != null && !cancelled) {
        cancelled = true;
        cursor.close();
      }
    }

    private void start(Path path, QueryOptions options) {
      TreeBuilder builder = new TreeBuilder();
      Object[] leafAtPath = new Object[1];
      int depth = path.size();
      ChildCounter counter = new ChildCounter(options.limit());
      Promise<Long> done = Promise.promise();
      pump(cursor, BATCH_ROWS, rows -> {
        if (cancelled) {
          return Future.failedFuture(new KoraException(ErrorCode.CLOSED, "the read was cancelled"));
        }
        for (StoredLeaf row : rows) {
          if (!budget.take(row)) {
            return Future.failedFuture(new KoraException(ErrorCode.TOO_LARGE, "the answer is"
                + " larger than maxAnswerBytes (" + budget.max() + " bytes); read '" + path
                + "' in pages with min, max and limit"));
          }
          if (row.path().size() == depth) {
            leafAtPath[0] = LeafCodec.decode(row.valueJson());
            continue;
          }
          if (!counter.admit(row.path().key(depth))) {
            return Future.succeededFuture(false);
          }
          builder.add(row.path().suffix(depth), LeafCodec.decode(row.valueJson()));
        }
        return Future.succeededFuture(true);
      }, new long[1], done);
      value = done.future().eventually(cursor::close).map(count -> {
        if (leafAtPath[0] != null) {
          return leafAtPath[0];
        }
        JsonObject tree = builder.build();
        return tree.isEmpty() ? null : tree;
      });
    }
  }

  /**
   * Streams the rows of a range in batches, with bounded memory.
   *
   * @param store the store
   * @param range which rows
   * @param batchRows rows per batch
   * @param consumer receives each batch; its future says whether to go on ({@code true}) or stop
   * @return the number of rows handed to the consumer; the cursor is closed in every case
   */
  public static Future<Long> stream(Store store, ReadRange range, int batchRows,
      Function<List<StoredLeaf>, Future<Boolean>> consumer) {
    return store.read(range).compose(cursor -> {
      Promise<Long> done = Promise.promise();
      long[] count = {0};
      pump(cursor, batchRows, consumer, count, done);
      return done.future().eventually(cursor::close);
    });
  }

  /**
   * Pulls batches until the consumer stops or the rows run out. When a store answers at once (the
   * memory store) it goes on in a new task of the caller's Vert.x context after each batch, so a big
   * read never holds an event loop for longer than a batch; without a context it loops instead of
   * recursing, so a subtree of any number of batches never overflows the stack.
   */
  private static void pump(LeafCursor cursor, int batchRows,
      Function<List<StoredLeaf>, Future<Boolean>> consumer, long[] count, Promise<Long> done) {
    while (true) {
      Future<Boolean> step = cursor.next(batchRows).compose(rows -> {
        if (rows.isEmpty()) {
          return Future.succeededFuture(false);
        }
        count[0] += rows.size();
        return consumer.apply(rows);
      });
      if (!step.isComplete()) {
        step.onComplete(result -> {
          if (result.failed()) {
            done.fail(result.cause());
          } else if (result.result()) {
            pump(cursor, batchRows, consumer, count, done);
          } else {
            done.complete(count[0]);
          }
        });
        return;
      }
      if (step.failed()) {
        done.fail(step.cause());
        return;
      }
      if (!step.result()) {
        done.complete(count[0]);
        return;
      }
      Context context = Vertx.currentContext();
      if (context != null) {
        context.runOnContext(v -> pump(cursor, batchRows, consumer, count, done));
        return;
      }
    }
  }

  /** Counts distinct children in row order and refuses the first one past the limit. */
  private static final class ChildCounter {
    private final Integer limit;
    private String current;
    private int seen;

    ChildCounter(Integer limit) {
      this.limit = limit;
    }

    boolean admit(String child) {
      if (child.equals(current)) {
        return true;
      }
      if (limit != null && seen >= limit) {
        return false;
      }
      current = child;
      seen++;
      return true;
    }
  }
}
