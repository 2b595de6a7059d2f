package dev.kora.storage.spi;

import dev.kora.storage.Fence;
import dev.kora.storage.LeafCursor;
import dev.kora.storage.ReadRange;
import dev.kora.storage.Store;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The part of a {@link Store} every driver shares: its lifecycle, its write queue and where failures
 * are isolated. A driver says only how to plan a write, commit a group of writes in one transaction,
 * open a cursor and free its resources (its SQL or CQL); this class does the rest, once:
 *
 * <ul>
 *   <li>Writes go through one {@link GroupCommit}: {@link #write} queues one call (all its mutations
 *       or none), {@link #writeEach} one call per mutation with {@link GroupCommit#submitAll}, so that
 *       a mutation failing on its own fails alone. The driver's {@link #commit} applies a group and
 *       names the entry at fault with {@link GroupCommit.EntryFailure}.</li>
 *   <li>Closing: {@link #close} is idempotent (every call gets the same outcome); it refuses new
 *       calls at once, lets the queued writes be committed, then calls {@link #free}. Calls after
 *       close fail with {@code store_unavailable} ({@link #closedError()}, built from
 *       {@link #describe()}).</li>
 *   <li>Fences: {@link #fence} keeps the store's {@link Fence} (as a {@link FenceCheck}); a driver
 *       that supports them overrides {@link #fences()} to answer true and, in every
 *       {@link #commit}, reads {@link #fenceCheck()} once and, when it is set, reads the fence's row
 *       first in the transaction with a lock held to its end, and fails the whole group with
 *       {@link FenceCheck#verify}'s {@code fenced} error (never a {@link GroupCommit.EntryFailure})
 *       when the row does not hold the fence's value. (A driver without such transactions may
 *       decide each group otherwise, as long as no write of a store whose fence no longer holds
 *       can be applied: Cassandra decides it with a lightweight transaction on a fence row of its
 *       own before writing its data.) A driver that does not fence keeps {@link #fences()} false,
 *       and {@link #fence} refuses.</li>
 *   <li>Futures complete on the caller's context ({@link StoreFutures#on}).</li>
 * </ul>
 *
 * <p>Threading: the public methods may be called from any thread and never block. {@link #plan} runs
 * on the caller's thread, {@link #commit} on the context the store was created on, one group at a
 * time (see {@link GroupCommit}), {@link #openCursor} on the caller's thread, {@link #free} once,
 * on whatever thread the queue drained.
 *
 * @param <W> what one call writes, as {@link #plan} makes it, e.g. its {@link WritePlan}s
 */
public abstract class StoreBase<W> implements Store {

  private final Vertx vertx;
  private final GroupCommit<W> queue;
  private final int maxGroup;
  /**
   * The fence of later write transactions, null for none; an {@link AtomicReference} (a volatile
   * value) rather than a field of this object because a store taken over by a driver's subclass
   * ({@link #StoreBase(StoreBase)}) commits through the {@link #commit} of the store it took over:
   * the two must see the same fence.
   */
  private final AtomicReference<FenceCheck> fence;
  private volatile boolean closed;
  private Future<Void> closing;

  /**
   * @param vertx the Vert.x instance, for the queue's timers and contexts; the queue commits on the
   *     context of the calling thread (an event loop context when it is outside Vert.x)
   * @param timeoutMs the operation timeout: how long a write may wait and run
   * @param maxGroup most calls per transaction, e.g. {@link GroupCommit#DEFAULT_MAX_GROUP}; 1 for a
   *     store that cannot commit several calls in one transaction
   * @param maxGroupRows most rows per transaction, e.g. {@link GroupCommit#DEFAULT_MAX_GROUP_ROWS}
   */
  protected StoreBase(Vertx vertx, long timeoutMs, int maxGroup, long maxGroupRows) {
    this.vertx = vertx;
    this.maxGroup = maxGroup;
    this.queue = new GroupCommit<>(vertx, this::commit, timeoutMs, this::maxGroup, maxGroupRows,
        this::closedError);
    this.fence = new AtomicReference<>();
  }

  /**
   * Takes over an opened store, its queue included, for a driver's subclass that adds accessors;
   * {@code opened} must not be used afterwards (its queue commits through its {@link #commit}, which
   * must therefore use only state the two share).
   *
   * @param opened an open store of the driver
   */
  protected StoreBase(StoreBase<W> opened) {
    this.vertx = opened.vertx;
    this.maxGroup = opened.maxGroup;
    this.queue = opened.queue;
    this.fence = opened.fence;
  }

  // ---------------------------------------------------------------------------------------------
  // What a driver implements

  /**
   * Turns the mutations of one call into what {@link #commit} applies. Runs on the caller's thread,
   * without I/O.
   *
   * @param mutations one or more mutations, not all empty, in order
   * @return the work
   * @throws KoraException when the call cannot be written at all, e.g. {@code too_large} for a path
   *     over the store's limit; the call then fails with it and nothing is queued
   */
  protected abstract W plan(List<Mutation> mutations);

  /**
   * @param work what {@link #plan} made
   * @return its size in rows, for {@link GroupCommit}'s limit per group
   */
  protected abstract long rows(W work);

  /**
   * Applies a group of calls, in order, in one transaction, and commits it; see
   * {@link GroupCommit.Committer#commit}. Must fail with {@link GroupCommit.EntryFailure} naming the
   * entry when that entry alone is at fault (nothing of the group committed), so that it fails alone;
   * with a {@link KoraException} otherwise. Runs on the store's context; must not block.
   *
   * <p>A driver whose {@link #fences()} is true reads {@link #fenceCheck()} once here and, when it
   * is set, reads the fence's row ({@link FenceCheck#row()}) before anything else of the
   * transaction, with a lock held until it ends, and fails with {@link FenceCheck#verify}'s error,
   * the transaction rolled back, when the row does not hold the fence.
   *
   * @param group one or more entries, in call order
   * @return completes once committed
   */
  protected abstract Future<Void> commit(List<GroupCommit.Entry<W>> group);

  /**
   * Opens a cursor; called only while the store is open.
   *
   * @param range which rows
   * @return the cursor, completing on the caller's context
   */
  protected abstract Future<LeafCursor> openCursor(ReadRange range);

  /**
   * Frees connections, sessions and files, and closes open cursors. Called once, by the first
   * {@link #close}, after every queued write was committed or failed.
   *
   * @return completes once freed; its failure is {@link #close}'s
   */
  protected abstract Future<Void> free();

  /**
   * Most calls the queue puts in one group, asked each time it takes a group; the constructor's
   * {@code maxGroup} here. A driver whose transactions can hold several calls in one mode only
   * overrides it, e.g. Cassandra: 1 while unfenced (a call is one batch), 2,048 while fenced (one
   * lightweight transaction decides the whole group). Runs on the store's context; must be cheap.
   *
   * @return at least 1
   */
  protected int maxGroup() {
    return maxGroup;
  }

  /**
   * The fence a {@link #commit} must check, read once per transaction (a transaction checks the
   * fence that was set when it began; see {@link #fence}).
   *
   * @return the current fence as its check, or null when writes are not fenced
   */
  protected final FenceCheck fenceCheck() {
    return fence.get();
  }

  // ---------------------------------------------------------------------------------------------
  // The Store

  /**
   * {@inheritDoc}
   *
   * <p>False here; a driver whose {@link #commit} checks {@link #fenceCheck()} overrides it to
   * answer true. The answer must not change over the store's life.
   */
  @Override
  public boolean fences() {
    return false;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Takes effect for the transactions that begin after the call, in any driver's {@link #commit};
   * a closed store accepts it without effect (its writes fail with {@code store_unavailable}
   * anyway). Never blocks, does no I/O.
   *
   * @throws UnsupportedOperationException when {@link #fences()} is false, whatever the argument,
   *     with a message naming the store
   */
  @Override
  public final void fence(Fence fence) {
    if (!fences()) {
      throw new UnsupportedOperationException("the store " + describe() + " cannot fence its"
          + " writes: its write transactions cannot read and lock a row before writing"
          + " (Store.fences() is false)");
    }
    this.fence.set(fence == null ? null : new FenceCheck(fence));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Queued and committed with other concurrent calls in one transaction (group commit).
   */
  @Override
  public final Future<Void> write(List<Mutation> mutations) {
    if (closed) {
      return Future.failedFuture(closedError());
    }
    if (allEmpty(mutations)) {
      return Future.succeededFuture();
    }
    W work;
    try {
      work = plan(mutations);
    } catch (KoraException e) {
      return Future.failedFuture(e);
    }
    return queue.submit(work, rows(work));
  }

  /**
   * {@inheritDoc}
   *
   * <p>One {@link GroupCommit} entry per mutation, queued at once ({@link GroupCommit#submitAll}); a
   * mutation the driver refuses while planning ({@code too_large}) fails in its turn without being
   * queued.
   */
  @Override
  public final List<Future<Void>> writeEach(List<Mutation> mutations) {
    int size = mutations.size();
    if (closed) {
      KoraException error = closedError();
      List<Future<Void>> refused = new ArrayList<>(size);
      for (int i = 0; i < size; i++) {
        refused.add(Future.failedFuture(error));
      }
      return refused;
    }
    List<GroupCommit.Call<W>> calls = new ArrayList<>(size);
    for (Mutation mutation : mutations) {
      if (mutation.isEmpty()) {
        calls.add(GroupCommit.Call.decided(null));
        continue;
      }
      try {
        W work = plan(List.of(mutation));
        calls.add(GroupCommit.Call.of(work, rows(work)));
      } catch (KoraException e) {
        calls.add(GroupCommit.Call.decided(e));
      }
    }
    return queue.submitAll(calls);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Fails with {@link #closedError()} once {@link #close} was called.
   */
  @Override
  public final Future<LeafCursor> read(ReadRange range) {
    if (closed) {
      return Future.failedFuture(closedError());
    }
    return openCursor(range);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Writes queued before the call are still written, then {@link #free} runs. Every call returns
   * the outcome of the first, on its own caller's context.
   */
  @Override
  public final Future<Void> close() {
    Future<Void> result;
    synchronized (this) {
      if (closing == null) {
        closed = true;
        closing = queue.close().transform(drained -> free());
      }
      result = closing;
    }
    return StoreFutures.on(vertx.getOrCreateContext(), result);
  }

  /** @return whether {@link #close} was called */
  public final boolean isClosed() {
    return closed;
  }

  /**
   * @return the {@code store_unavailable} error of calls made after {@link #close}, e.g. "the store
   *     postgres://kora:***@db:5432/app?... is closed"
   */
  public final KoraException closedError() {
    return new KoraException(ErrorCode.STORE_UNAVAILABLE, "the store " + describe() + " is closed");
  }

  /** @return the Vert.x instance the store runs on */
  public final Vertx vertx() {
    return vertx;
  }

  private static boolean allEmpty(List<Mutation> mutations) {
    for (Mutation mutation : mutations) {
      if (!mutation.isEmpty()) {
        return false;
      }
    }
    return true;
  }
}
