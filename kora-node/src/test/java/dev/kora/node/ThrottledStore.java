package dev.kora.node;

import dev.kora.storage.LeafCursor;
import dev.kora.storage.ReadRange;
import dev.kora.storage.Store;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.StoreProvider;
import dev.kora.storage.StoredLeaf;
import dev.kora.storage.memory.MemoryStore;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A memory store whose reads behave like a database's, for tests of the read path: at most
 * {@code poolSize} cursors open at once (the read connections of a pool; a further cursor waits for
 * one, in order, and fails with {@code store_unavailable} after the operation timeout), each batch
 * answered {@link #batchDelayMs} later (a big subtree read from a slow disk), and reads that fail on
 * demand ({@link #failReads}). Open it with the URL {@code throttled:NAME} (or
 * {@code throttled:NAME?batchDelayMs=N} to start with a delay) and reach it in the test with
 * {@link #named(String)}.
 */
public final class ThrottledStore implements Store {

  private static final Map<String, ThrottledStore> OPEN = new ConcurrentHashMap<>();

  /** Delay before each batch of rows is answered, in ms. */
  public volatile long batchDelayMs;
  /** Whether opening a cursor fails with {@code store_unavailable}. */
  public volatile boolean failReads;
  /** Cursors open now. */
  public final AtomicInteger openCursors = new AtomicInteger();

  private final Vertx vertx;
  private final MemoryStore rows;
  private final int poolSize;
  private final long timeoutMs;
  private final ArrayDeque<Promise<Void>> waiting = new ArrayDeque<>();
  private int lent;

  private ThrottledStore(Vertx vertx, int poolSize, long timeoutMs) {
    this.vertx = vertx;
    this.poolSize = poolSize;
    this.timeoutMs = timeoutMs;
    this.rows = MemoryStore.create(vertx, timeoutMs);
  }

  /** @return the store opened with the URL {@code throttled:NAME} */
  public static ThrottledStore named(String name) {
    return OPEN.get(name);
  }

  /** @return options of a node on a free port with the store {@code throttled:NAME} */
  public static KoraNodeOptions options(String name, int poolSize, long timeoutMs) {
    return new KoraNodeOptions().setPort(0).setStore(new StoreOptions().setUrl("throttled:" + name)
        .setPoolSize(poolSize).setOperationTimeoutMs(timeoutMs));
  }

  @Override
  public Future<Void> write(List<Mutation> mutations) {
    return rows.write(mutations);
  }

  @Override
  public List<Future<Void>> writeEach(List<Mutation> mutations) {
    return rows.writeEach(mutations);
  }

  @Override
  public Future<LeafCursor> read(ReadRange range) {
    if (failReads) {
      return Future.failedFuture(new KoraException(ErrorCode.STORE_UNAVAILABLE,
          "reads fail on purpose"));
    }
    return lend().compose(v -> rows.read(range)).map(cursor -> {
      openCursors.incrementAndGet();
      return new Throttled(cursor);
    });
  }

  /** @return completes once a read connection is free; fails after the operation timeout */
  private synchronized Future<Void> lend() {
    if (lent < poolSize) {
      lent++;
      return Future.succeededFuture();
    }
    Promise<Void> promise = Promise.promise();
    waiting.add(promise);
    vertx.setTimer(timeoutMs, id -> {
      synchronized (this) {
        waiting.remove(promise);
      }
      promise.tryFail(new KoraException(ErrorCode.STORE_UNAVAILABLE,
          "no read connection free within " + timeoutMs + " ms"));
    });
    return promise.future();
  }

  private synchronized void giveBack() {
    Promise<Void> next = waiting.poll();
    if (next == null || !next.tryComplete()) {
      lent--;
    }
  }

  @Override
  public Future<Void> close() {
    return rows.close();
  }

  @Override
  public String describe() {
    return "throttled";
  }

  private final class Throttled implements LeafCursor {
    private final LeafCursor cursor;
    private boolean closed;

    Throttled(LeafCursor cursor) {
      this.cursor = cursor;
    }

    @Override
    public Future<List<StoredLeaf>> next(int maxRows) {
      if (closed) {
        return Future.failedFuture(new KoraException(ErrorCode.STORE_UNAVAILABLE, "closed"));
      }
      Promise<Void> delayed = Promise.promise();
      vertx.setTimer(Math.max(1, batchDelayMs), id -> delayed.complete());
      return delayed.future().compose(v -> cursor.next(maxRows));
    }

    @Override
    public Future<Void> close() {
      synchronized (ThrottledStore.this) {
        if (closed) {
          return Future.succeededFuture();
        }
        closed = true;
      }
      openCursors.decrementAndGet();
      giveBack();
      return cursor.close();
    }
  }

  /** The driver of {@code throttled:NAME} URLs. */
  public static final class Provider implements StoreProvider {

    @Override
    public String name() {
      return "throttled";
    }

    @Override
    public boolean accepts(StoreOptions options) {
      return options.getUrl().startsWith("throttled:");
    }

    @Override
    public Future<Store> open(Vertx vertx, StoreOptions options) {
      ThrottledStore store = new ThrottledStore(vertx, options.getPoolSize(),
          options.getOperationTimeoutMs());
      String name = options.getUrl().substring("throttled:".length());
      int query = name.indexOf("?batchDelayMs=");
      if (query >= 0) {
        store.batchDelayMs = Long.parseLong(name.substring(query + "?batchDelayMs=".length()));
        name = name.substring(0, query);
      }
      OPEN.put(name, store);
      return Future.succeededFuture(store);
    }
  }
}
