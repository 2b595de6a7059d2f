package dev.kora.node.impl.write;

import dev.kora.node.core.NodeMetrics;
import dev.kora.node.spi.CommitFeed;
import dev.kora.node.spi.WriteCoordinator;
import dev.kora.storage.Store;
import dev.kora.storage.changelog.ChangeLog;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The local {@link WriteCoordinator}: orders one node's writes and commits them. The write path, in
 * order:
 *
 * <ol>
 *   <li>mutations arrive already validated and wait in arrival order;</li>
 *   <li>all waiting mutations, up to the batch limit, go to the store together
 *       ({@link Store#writeEach}: the store commits them in as few transactions as it can — group
 *       commit — and isolates a mutation that fails on its own);</li>
 *   <li>each takes the next version before it goes: the version is written with it, in the same
 *       transaction — the counter {@code kora:log/version}, the change log entry and the mutation's
 *       id ({@link ChangeLog}), so versions survive restarts and crashes;</li>
 *   <li>once settled, each committed one's caller's future succeeds with its version; a failed one
 *       fails alone, and its version is never used (versions increase, with a gap there);</li>
 *   <li>each committed mutation is handed, in version order, to the commit listener, which pushes it to
 *       subscribers.</li>
 * </ol>
 *
 * <p>Subscribing reads are run between two batches, while no write is in flight, so that the data a
 * subscriber reads reflects exactly the mutations committed before it registered, and every later
 * one reaches it as a push: no gap and no overlap. Confined to the node's context: every method must be
 * called on it.
 */
public final class Sequencer implements WriteCoordinator {

  /**
   * A mutation waiting for its batch; its JSON text for the change log entry is made when it is
   * queued, so that this work overlaps the store's writing of the batch before (a batch's own
   * preparation runs while the store waits for it).
   */
  private record PendingWrite(Mutation mutation, String id, String json, Promise<Long> promise) {
  }

  private final Context context;
  private final Store store;
  private final NodeMetrics metrics;
  private final CommitFeed.Listener listener;
  private final int maxBatch;
  private final int maxPending;
  private final boolean logged;
  private final ArrayDeque<PendingWrite> writes = new ArrayDeque<>();
  private final ArrayDeque<Supplier<Future<?>>> barriers = new ArrayDeque<>();
  private boolean running;
  private boolean closed;
  /** The last version handed out: committed, failed, or being written. */
  private long assigned;
  /** The last version committed and handed to the listener. */
  private long version;

  /**
   * @param context the node's context, on which everything runs
   * @param store where mutations are written
   * @param listener receives committed mutations
   * @param maxBatch most mutations per store transaction
   * @param maxPending most mutations waiting before new ones are refused
   * @param lastVersion the last version committed before, as the store keeps it
   *     ({@link ChangeLog#counters}); versions go on from it
   * @param logged whether each commit also writes its change log entry (and id)
   * @param metrics where commits, their batch sizes and store times are counted
   */
  public Sequencer(Context context, Store store, CommitFeed.Listener listener, int maxBatch,
      int maxPending, long lastVersion, boolean logged, NodeMetrics metrics) {
    this.metrics = metrics;
    metrics.gauge("kora.mutations.pending", "Mutations waiting for their group commit",
        () -> writes.size());
    this.context = context;
    this.store = store;
    this.listener = listener;
    this.maxBatch = maxBatch;
    this.maxPending = maxPending;
    this.assigned = lastVersion;
    this.version = lastVersion;
    this.logged = logged;
  }

  @Override
  public long version() {
    return version;
  }

  @Override
  public Future<Long> submit(Mutation mutation, String id) {
    if (closed) {
      return Future.failedFuture(new KoraException(ErrorCode.CLOSED, "the node is closing"));
    }
    if (writes.size() >= maxPending) {
      return Future.failedFuture(new KoraException(ErrorCode.STORE_UNAVAILABLE,
          "too many mutations are waiting for the store (" + maxPending + ")"));
    }
    Promise<Long> promise = Promise.promise();
    writes.add(new PendingWrite(mutation, id, logged ? mutation.encode() : null, promise));
    schedule();
    return promise.future();
  }

  @Override
  public <T> Future<T> barrier(Supplier<Future<T>> operation) {
    if (closed) {
      return Future.failedFuture(new KoraException(ErrorCode.CLOSED, "the node is closing"));
    }
    Promise<T> promise = Promise.promise();
    barriers.add(() -> {
      Future<T> future;
      try {
        future = operation.get();
      } catch (RuntimeException e) {
        future = Future.failedFuture(e);
      }
      future.onComplete(promise);
      return future;
    });
    schedule();
    return promise.future();
  }

  @Override
  public void close() {
    closed = true;
  }

  @Override
  public Future<Void> drain() {
    if (!running && writes.isEmpty() && barriers.isEmpty()) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    barriers.add(() -> {
      done.complete();
      return Future.succeededFuture();
    });
    schedule();
    return done.future();
  }

  private void schedule() {
    if (!running) {
      running = true;
      context.runOnContext(v -> step());
    }
  }

  private void step() {
    if (!barriers.isEmpty()) {
      List<Future<?>> started = new ArrayList<>();
      while (!barriers.isEmpty()) {
        started.add(barriers.poll().get());
      }
      Future.join(started).onComplete(ignored -> step());
      return;
    }
    if (writes.isEmpty()) {
      running = false;
      return;
    }
    List<PendingWrite> batch = new ArrayList<>(Math.min(writes.size(), maxBatch));
    while (!writes.isEmpty() && batch.size() < maxBatch) {
      batch.add(writes.poll());
    }
    write(batch).onComplete(stepped -> {
      if (!stepped.result()) {
        step();
      }
    });
  }

  /**
   * Commits a batch; once every mutation of it is durable or failed, versions the committed ones in
   * order, completes each caller's future and hands the committed mutations to the listener, in order.
   * The store isolates failures ({@link Store#writeEach}): a mutation that fails on its own (e.g.
   * {@code too_large}) fails alone and leaves its version unused (a gap), the others are committed;
   * when the store is unavailable, the mutations it did not commit fail with {@code store_unavailable}.
   *
   * <p>The store's writer is the bottleneck of the write path, so it must not wait for the node: as
   * soon as the batch is settled, {@link #step()} sends the following batch to the store (unless a
   * barrier waits: a barrier must see every reply and push of this batch first), and only then are
   * this batch's replies and pushes made. Their work (one reply per mutation, the fan-out) then
   * overlaps the store's work on the next batch instead of adding to it; that next batch cannot
   * complete before this task ends, so versions, replies and pushes stay in commit order.
   *
   * @return true if the next step was taken already, false if the caller must take it
   */
  private Future<Boolean> write(List<PendingWrite> batch) {
    List<Mutation> mutations = new ArrayList<>(batch.size());
    long[] versions = new long[batch.size()];
    long now = System.currentTimeMillis();
    for (int i = 0; i < batch.size(); i++) {
      PendingWrite pending = batch.get(i);
      // The version is written with the data (the counter, the log entry), so it is chosen now; a
      // mutation that then fails leaves its number unused: versions increase, with rare gaps.
      versions[i] = ++assigned;
      pending.mutation().writes(); // computed once, carried over by plusLeaves
      mutations.add(pending.mutation().plusLeaves(ChangeLog.commitRows(versions[i],
          pending.json(), pending.id(), now, logged)));
    }
    List<Future<Void>> stored;
    long started = System.nanoTime();
    try {
      stored = store.writeEach(mutations);
    } catch (RuntimeException e) {
      stored = java.util.Collections.nCopies(batch.size(), Future.failedFuture(e));
    }
    List<Future<Void>> outcomes = stored;
    // The store completes the futures of one list in order, so the last settles after all the others.
    return outcomes.get(outcomes.size() - 1).transform(settled -> {
      long storeNanos = System.nanoTime() - started;
      boolean stepped = barriers.isEmpty();
      if (stepped) {
        step();
      }
      int failed = 0;
      for (int i = 0; i < batch.size(); i++) {
        PendingWrite pending = batch.get(i);
        Future<Void> outcome = outcomes.get(i);
        if (outcome.succeeded()) {
          long committed = versions[i];
          version = committed;
          pending.promise().complete(committed);
          listener.committed(pending.mutation(), committed);
        } else {
          failed++;
          pending.promise().fail(asStoreError(outcome.cause()));
        }
      }
      metrics.committed(batch.size(), failed, storeNanos);
      return Future.succeededFuture(stepped);
    });
  }

  private static KoraException asStoreError(Throwable cause) {
    if (cause instanceof KoraException) {
      return (KoraException) cause;
    }
    return new KoraException(ErrorCode.STORE_UNAVAILABLE, "the store failed: " + cause, cause);
  }
}
