package dev.kora.storage.spi;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The write queue of a store: serializes {@link dev.kora.storage.Store#write} calls and commits those
 * queued together in one transaction (group commit), for any driver, blocking or reactive. The driver
 * supplies a {@link Committer} that applies a group in one transaction; this class does the rest:
 *
 * <ul>
 *   <li>Queues calls from any thread; one group is committed at a time, in call order. A group takes
 *       every call queued so far, up to {@code maxGroup} calls and {@code maxGroupRows} rows (a larger
 *       single call still forms a group alone).</li>
 *   <li>A call still queued when its operation timeout passes fails with {@code store_unavailable}
 *       and is never applied.</li>
 *   <li>When one call fails on its own (the committer fails with {@link EntryFailure}: a constraint, a
 *       trigger, its deadline passed), that call fails alone: the transaction was rolled back, and the
 *       others are committed again without it. Any other failure (the database is unavailable) fails
 *       the whole group.</li>
 *   <li>Futures complete on the caller's context.</li>
 * </ul>
 *
 * <p>Threading: {@link #submit} and {@link #close} may be called from any thread and never block. The
 * committer is called on the context this object was created on (an event loop context when created
 * outside Vert.x), one group at a time; it must not block that thread.
 *
 * @param <W> what one call writes, e.g. its {@link WritePlan}s
 */
public final class GroupCommit<W> {

  /** Most calls committed in one transaction by default. */
  public static final int DEFAULT_MAX_GROUP = 512;
  /** Most rows (see {@link WritePlan#size()}) in one group by default. */
  public static final long DEFAULT_MAX_GROUP_ROWS = 100_000;

  /** Applies a group of calls in one transaction. */
  @FunctionalInterface
  public interface Committer<W> {

    /**
     * Applies every entry's work, in order, in one transaction, and commits it. Must fail with an
     * {@link EntryFailure} naming the entry when that entry alone is at fault (the transaction is then
     * rolled back; the others are submitted again without it). Should fail an entry whose
     * {@link Entry#expired() deadline passed} before applying it, the same way.
     *
     * @param group one or more entries, in call order
     * @return completes once committed; fails with {@link EntryFailure}, or with a
     *     {@link KoraException} (any other failure counts as {@code store_unavailable}) when nothing of
     *     the group was committed
     */
    Future<Void> commit(List<Entry<W>> group);
  }

  /** A committer's failure naming the one entry at fault; the rest of the group is retried. */
  public static final class EntryFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int index;
    private final KoraException error;

    /**
     * @param index the entry's position in the group passed to {@link Committer#commit}
     * @param error what its caller's future fails with
     */
    public EntryFailure(int index, KoraException error) {
      super(error.getMessage(), error, false, false);
      this.index = index;
      this.error = error;
    }

    /** @return the entry's position in its group */
    public int index() {
      return index;
    }

    /** @return the entry's error */
    public KoraException error() {
      return error;
    }
  }

  private static final int PENDING = 0;
  private static final int RUNNING = 1;
  private static final int DONE = 2;

  private final Vertx vertx;
  private final Context context;
  private final Committer<W> committer;
  private final long timeoutMs;
  private final int maxGroup;
  private final long maxGroupRows;
  private final Supplier<KoraException> closedError;
  private final ConcurrentLinkedQueue<Entry<W>> queue = new ConcurrentLinkedQueue<>();
  private final Promise<Void> drained = Promise.promise();
  private boolean running;
  private boolean closed;

  /**
   * @param vertx the Vert.x instance, for timers and contexts
   * @param committer applies a group in one transaction
   * @param timeoutMs how long a call may wait and run before it fails with {@code store_unavailable}
   * @param maxGroup most calls per group, e.g. {@link #DEFAULT_MAX_GROUP}
   * @param maxGroupRows most rows per group, e.g. {@link #DEFAULT_MAX_GROUP_ROWS}
   * @param closedError the error of calls made after {@link #close}
   */
  public GroupCommit(Vertx vertx, Committer<W> committer, long timeoutMs, int maxGroup,
      long maxGroupRows, Supplier<KoraException> closedError) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.committer = committer;
    this.timeoutMs = timeoutMs;
    this.maxGroup = maxGroup;
    this.maxGroupRows = maxGroupRows;
    this.closedError = closedError;
  }

  /**
   * Queues one call.
   *
   * @param work what it writes
   * @param rows its size in rows, for the group limit
   * @return completes on the caller's context once committed
   */
  public Future<Void> submit(W work, long rows) {
    Entry<W> entry = new Entry<>(work, rows, vertx.getOrCreateContext(),
        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs));
    synchronized (this) {
      if (closed) {
        return Future.failedFuture(closedError.get());
      }
      entry.timer = vertx.setTimer(timeoutMs, id -> expire(entry));
      queue.add(entry);
    }
    context.runOnContext(v -> step());
    return entry.promise.future();
  }

  /**
   * Refuses new calls; the queued ones are still committed.
   *
   * @return completes once the queue is empty and no group is being committed
   */
  public Future<Void> close() {
    synchronized (this) {
      closed = true;
    }
    context.runOnContext(v -> step());
    return drained.future();
  }

  private void expire(Entry<W> entry) {
    if (entry.state.compareAndSet(PENDING, DONE)) {
      // left in the queue: taking a group skips it
      entry.complete(new KoraException(ErrorCode.STORE_UNAVAILABLE, "the write did not start"
          + " within " + timeoutMs + " ms; nothing was written"));
    }
  }

  /** Starts the next group unless one is running. Runs on {@link #context}. */
  private void step() {
    List<Entry<W>> group;
    synchronized (this) {
      if (running) {
        return;
      }
      group = takeGroup();
      if (group.isEmpty()) {
        if (closed) {
          drained.tryComplete();
        }
        return;
      }
      running = true;
    }
    attempt(group);
  }

  private List<Entry<W>> takeGroup() {
    List<Entry<W>> group = new ArrayList<>();
    long rows = 0;
    Entry<W> entry;
    while (group.size() < maxGroup && (entry = queue.peek()) != null) {
      if (!group.isEmpty() && rows + entry.rows > maxGroupRows) {
        break;
      }
      queue.poll();
      if (entry.state.compareAndSet(PENDING, RUNNING)) {
        group.add(entry);
        rows += entry.rows;
      }
    }
    return group;
  }

  /** Commits the group, retrying without an entry that failed on its own. Runs on the context. */
  private void attempt(List<Entry<W>> pending) {
    pending.removeIf(entry -> {
      if (entry.expired()) {
        entry.complete(new KoraException(ErrorCode.STORE_UNAVAILABLE, "the write did not complete"
            + " within " + timeoutMs + " ms; nothing was written"));
        return true;
      }
      return false;
    });
    if (pending.isEmpty()) {
      finish();
      return;
    }
    Future<Void> committed;
    try {
      committed = committer.commit(Collections.unmodifiableList(pending));
    } catch (RuntimeException e) {
      committed = Future.failedFuture(e);
    }
    committed.onComplete(result -> context.runOnContext(v -> {
      if (result.succeeded()) {
        pending.forEach(entry -> entry.complete(null));
        finish();
      } else if (result.cause() instanceof EntryFailure failure
          && failure.index() >= 0 && failure.index() < pending.size()) {
        pending.remove(failure.index()).complete(failure.error());
        attempt(pending);
      } else {
        KoraException error = asKora(result.cause());
        pending.forEach(entry -> entry.complete(error));
        finish();
      }
    }));
  }

  private void finish() {
    synchronized (this) {
      running = false;
    }
    step();
  }

  private static KoraException asKora(Throwable error) {
    if (error instanceof KoraException kora) {
      return kora;
    }
    if (error instanceof EntryFailure failure) {
      return failure.error();
    }
    return new KoraException(ErrorCode.STORE_UNAVAILABLE, "the write failed: " + error, error);
  }

  /**
   * One queued call, as the {@link Committer} sees it.
   *
   * @param <W> what it writes
   */
  public static final class Entry<W> {
    private final W work;
    private final long rows;
    private final Context caller;
    private final long deadline;
    private final Promise<Void> promise = Promise.promise();
    private final AtomicInteger state = new AtomicInteger(PENDING);
    private volatile long timer;

    Entry(W work, long rows, Context caller, long deadline) {
      this.work = work;
      this.rows = rows;
      this.caller = caller;
      this.deadline = deadline;
    }

    /** @return what the call writes */
    public W work() {
      return work;
    }

    /** @return whether the call's operation timeout has passed */
    public boolean expired() {
      return System.nanoTime() - deadline > 0;
    }

    /** @return ms left before the call's operation timeout, at least 1 */
    public long remainingMs() {
      return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    /** @return the entries' smallest {@link #remainingMs()} */
    public static long remainingMs(List<? extends Entry<?>> entries) {
      long least = Long.MAX_VALUE;
      for (Entry<?> entry : entries) {
        least = Math.min(least, entry.remainingMs());
      }
      return least;
    }

    private void complete(KoraException error) {
      state.set(DONE);
      // the timer may belong to another Vert.x context; cancelling is thread-safe
      Vertx owner = caller.owner();
      owner.cancelTimer(timer);
      caller.runOnContext(v -> {
        if (error == null) {
          promise.tryComplete();
        } else {
          promise.tryFail(error);
        }
      });
    }
  }
}
