package dev.kora.node.impl.write;

import dev.kora.node.spi.CommitFeed;
import dev.kora.node.spi.WriteCoordinator;
import dev.kora.storage.Store;
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
 *   <li>all waiting mutations, up to the batch limit, go to the store in one atomic transaction
 *       (group commit);</li>
 *   <li>once durable, each gets the next version and its caller's future succeeds ("ok");</li>
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

  private record PendingWrite(Mutation mutation, Promise<Long> promise) {
  }

  private final Context context;
  private final Store store;
  private final CommitFeed.Listener listener;
  private final int maxBatch;
  private final int maxPending;
  private final ArrayDeque<PendingWrite> writes = new ArrayDeque<>();
  private final ArrayDeque<Supplier<Future<?>>> barriers = new ArrayDeque<>();
  private boolean running;
  private boolean closed;
  private long version;

  /**
   * @param context the node's context, on which everything runs
   * @param store where mutations are written
   * @param listener receives committed mutations
   * @param maxBatch most mutations per store transaction
   * @param maxPending most mutations waiting before new ones are refused
   */
  public Sequencer(Context context, Store store, CommitFeed.Listener listener, int maxBatch,
      int maxPending) {
    this.context = context;
    this.store = store;
    this.listener = listener;
    this.maxBatch = maxBatch;
    this.maxPending = maxPending;
  }

  @Override
  public long version() {
    return version;
  }

  @Override
  public Future<Long> submit(Mutation mutation) {
    if (closed) {
      return Future.failedFuture(new KoraException(ErrorCode.CLOSED, "the node is closing"));
    }
    if (writes.size() >= maxPending) {
      return Future.failedFuture(new KoraException(ErrorCode.STORE_UNAVAILABLE,
          "too many mutations are waiting for the store (" + maxPending + ")"));
    }
    Promise<Long> promise = Promise.promise();
    writes.add(new PendingWrite(mutation, promise));
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
    write(batch, true).onComplete(stepped -> {
      if (!stepped.result()) {
        step();
      }
    });
  }

  /**
   * Commits a batch; once it is durable, versions each mutation, completes its caller's future and
   * hands it to the listener, in order.
   *
   * <p>The store's writer is the bottleneck of the write path, so it must not wait for the node: as
   * soon as the batch is durable, {@link #step()} sends the following batch to the store (unless a
   * barrier waits: a barrier must see every reply and push of this batch first), and only then are
   * this batch's replies and pushes made. Their work (one reply per mutation, the fan-out) then
   * overlaps the store's work on the next batch instead of adding to it; that next batch cannot
   * complete before this task ends, so versions, replies and pushes stay in commit order.
   *
   * @param stepEarly whether to take the next step as soon as this batch is durable
   * @return true if the next step was taken already, false if the caller must take it
   */
  private Future<Boolean> write(List<PendingWrite> batch, boolean stepEarly) {
    List<Mutation> mutations = new ArrayList<>(batch.size());
    for (PendingWrite pending : batch) {
      mutations.add(pending.mutation());
    }
    Future<Void> stored;
    try {
      stored = store.write(mutations);
    } catch (RuntimeException e) {
      stored = Future.failedFuture(e);
    }
    return stored.transform(result -> {
      if (result.succeeded()) {
        boolean stepped = stepEarly && barriers.isEmpty();
        if (stepped) {
          step();
        }
        for (PendingWrite pending : batch) {
          long committed = ++version;
          pending.promise().complete(committed);
          listener.committed(pending.mutation(), committed);
        }
        return Future.succeededFuture(stepped);
      }
      KoraException error = asStoreError(result.cause());
      if (batch.size() > 1 && !ErrorCode.STORE_UNAVAILABLE.equals(error.code())) {
        // One mutation may be the cause: commit the others one by one, in order.
        Future<Boolean> chain = Future.succeededFuture(false);
        for (PendingWrite pending : batch) {
          chain = chain.compose(v -> write(List.of(pending), false));
        }
        return chain.map(false);
      }
      for (PendingWrite pending : batch) {
        pending.promise().fail(error);
      }
      return Future.succeededFuture(false);
    });
  }

  private static KoraException asStoreError(Throwable cause) {
    if (cause instanceof KoraException) {
      return (KoraException) cause;
    }
    return new KoraException(ErrorCode.STORE_UNAVAILABLE, "the store failed: " + cause, cause);
  }
}
