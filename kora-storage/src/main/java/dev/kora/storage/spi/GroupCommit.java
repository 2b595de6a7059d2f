package dev.kora.storage.spi;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
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
 *   <li>Futures complete on the caller's context. The calls queued together by one
 *       {@link #submitAll} complete in their order (a call's future never completes before the one
 *       of an earlier call of the same list); the calls of one committed group are completed with one
 *       task per caller context.</li>
 * </ul>
 *
 * <p>Costs: {@link #submitAll} queues a whole list of calls under one lock, with one timer for the
 * list's operation timeout and one task to start the next group, so that a caller with many small
 * calls (the node's mutations, one call each) pays those once per list rather than once per call.
 *
 * <p>Threading: {@link #submit}, {@link #submitAll} and {@link #close} may be called from any thread
 * and never block. The committer is called on the context this object was created on (an event loop
 * context when created outside Vert.x), one group at a time; it must not block that thread. Every
 * outcome is decided on that context too (an expired call's as well), which is what keeps the
 * completions of one list in order.
 *
 * @param <W> what one call writes, e.g. its {@link WritePlan}s
 */
public final class GroupCommit<W> {

  /**
   * Most calls committed in one transaction by default: as many as the node's sequencer hands over
   * at once by default ({@code KoraNodeOptions.DEFAULT_MAX_BATCH_MUTATIONS}, one call per mutation
   * through {@link dev.kora.storage.Store#writeEach}), so that a batch costs one commit (one fsync).
   */
  public static final int DEFAULT_MAX_GROUP = 2_048;
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
  private final IntSupplier maxGroup;
  private final long maxGroupRows;
  private final Supplier<KoraException> closedError;
  // guarded by this object's lock
  private final ArrayDeque<Entry<W>> queue = new ArrayDeque<>();
  private final Promise<Void> drained = Promise.promise();
  private boolean running;
  private boolean closed;

  /**
   * A queue whose group size may change over its life (read once per group as it is taken): a
   * store may commit one call per transaction in one mode and many in another, e.g. Cassandra,
   * whose fenced groups share one lightweight transaction and whose unfenced calls are one batch
   * each.
   *
   * @param vertx the Vert.x instance, for timers and contexts
   * @param committer applies a group in one transaction
   * @param timeoutMs how long a call may wait and run before it fails with {@code store_unavailable}
   * @param maxGroup most calls per group, asked before each group is taken, e.g.
   *     {@code () -> DEFAULT_MAX_GROUP}; at least 1
   * @param maxGroupRows most rows per group, e.g. {@link #DEFAULT_MAX_GROUP_ROWS}
   * @param closedError the error of calls made after {@link #close}
   */
  public GroupCommit(Vertx vertx, Committer<W> committer, long timeoutMs, IntSupplier maxGroup,
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
   * One call for {@link #submitAll}: work to queue, or an outcome decided before queueing (a call
   * with nothing to write, or refused by the driver's own checks) that still completes in its turn.
   *
   * @param <W> what the call writes
   */
  public static final class Call<W> {
    private final W work;
    private final long rows;
    private final KoraException refused;

    private Call(W work, long rows, KoraException refused) {
      this.work = work;
      this.rows = rows;
      this.refused = refused;
    }

    /**
     * @param work what the call writes; not null
     * @param rows its size in rows, for the group limit
     * @return a call to queue
     */
    public static <W> Call<W> of(W work, long rows) {
      if (work == null) {
        throw new IllegalArgumentException("work is null; use Call.decided for a call not queued");
      }
      return new Call<>(work, rows, null);
    }

    /**
     * @param error what the call's future fails with, or null for a call that succeeds (nothing to
     *     write)
     * @return a call that is not queued and completes with that outcome, in its turn
     */
    public static <W> Call<W> decided(KoraException error) {
      return new Call<>(null, 0, error);
    }
  }

  /**
   * Queues one call.
   *
   * @param work what it writes
   * @param rows its size in rows, for the group limit
   * @return completes on the caller's context once committed
   */
  public Future<Void> submit(W work, long rows) {
    return submitAll(List.of(Call.of(work, rows))).get(0);
  }

  /**
   * Queues several calls at once, in order, each committed (or failed) on its own as if it had been
   * {@link #submit submitted} alone, consecutively; they may share groups with each other and with
   * other callers' calls. The list's operation timeout starts now, with one timer for all of them:
   * those still queued when it passes fail with {@code store_unavailable}.
   *
   * @param calls the calls in order; may be empty
   * @return one future per call, in the same order, completing on the caller's context in that
   *     order; all failed with the closed error when {@link #close} was called before
   */
  public List<Future<Void>> submitAll(List<Call<W>> calls) {
    int size = calls.size();
    if (size == 0) {
      return List.of();
    }
    Batch<W> batch = new Batch<>(vertx.getOrCreateContext(), size);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    List<Future<Void>> futures = new ArrayList<>(size);
    boolean queued = false;
    for (int i = 0; i < size; i++) {
      Call<W> call = calls.get(i);
      Entry<W> entry = new Entry<>(call.work, call.rows, batch, deadline);
      if (call.work == null) {
        entry.decide(call.refused);
      } else {
        queued = true;
      }
      batch.entries[i] = entry;
      futures.add(entry.promise.future());
    }
    synchronized (this) {
      if (closed) {
        KoraException error = closedError.get();
        List<Future<Void>> refused = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
          refused.add(Future.failedFuture(error));
        }
        return refused;
      }
      if (queued) {
        batch.timer = vertx.setTimer(timeoutMs, id -> onContext(() -> expire(batch)));
        for (Entry<W> entry : batch.entries) {
          if (entry.work != null) {
            queue.add(entry);
          }
        }
      }
    }
    context.runOnContext(v -> {
      // calls decided before queueing may head the list
      Map<Context, List<Entry<W>>> released = new IdentityHashMap<>(2);
      batch.releaseInto(released);
      post(released);
      step();
    });
    return futures;
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

  private void onContext(Runnable action) {
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }

  /** Fails the calls of {@code batch} still queued. Runs on {@link #context}. */
  private void expire(Batch<W> batch) {
    KoraException error = null;
    for (Entry<W> entry : batch.entries) {
      if (entry.state == PENDING) {
        // left in the queue: taking a group skips it
        if (error == null) {
          error = new KoraException(ErrorCode.STORE_UNAVAILABLE, "the write did not start"
              + " within " + timeoutMs + " ms; nothing was written");
        }
        entry.decide(error);
      }
    }
    Map<Context, List<Entry<W>>> released = new IdentityHashMap<>(2);
    batch.releaseInto(released);
    post(released);
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
    attempt(group, new ArrayList<>(group));
  }

  private List<Entry<W>> takeGroup() {
    int most = Math.max(1, maxGroup.getAsInt());
    List<Entry<W>> group = new ArrayList<>(Math.min(most, queue.size()));
    long rows = 0;
    Entry<W> entry;
    while (group.size() < most && (entry = queue.peek()) != null) {
      if (!group.isEmpty() && rows + entry.rows > maxGroupRows) {
        break;
      }
      queue.poll();
      if (entry.state == PENDING) {
        entry.state = RUNNING;
        group.add(entry);
        rows += entry.rows;
      }
    }
    return group;
  }

  /**
   * Commits {@code pending}, retrying without an entry that failed on its own; {@code group} is the
   * whole group as taken, whose outcomes are handed out once every one is decided. Runs on the
   * context.
   */
  private void attempt(List<Entry<W>> group, List<Entry<W>> pending) {
    pending.removeIf(entry -> {
      if (entry.expired()) {
        entry.decide(new KoraException(ErrorCode.STORE_UNAVAILABLE, "the write did not complete"
            + " within " + timeoutMs + " ms; nothing was written"));
        return true;
      }
      return false;
    });
    if (pending.isEmpty()) {
      finish(group);
      return;
    }
    Future<Void> committed;
    try {
      committed = committer.commit(Collections.unmodifiableList(pending));
    } catch (RuntimeException e) {
      committed = Future.failedFuture(e);
    }
    // always a new task: a committer that answers at once must not make the groups recurse
    committed.onComplete(result -> context.runOnContext(v -> {
      if (result.succeeded()) {
        pending.forEach(entry -> entry.decide(null));
        finish(group);
      } else if (result.cause() instanceof EntryFailure failure
          && failure.index() >= 0 && failure.index() < pending.size()) {
        pending.remove(failure.index()).decide(failure.error());
        attempt(group, pending);
      } else {
        KoraException error = asKora(result.cause());
        pending.forEach(entry -> entry.decide(error));
        finish(group);
      }
    }));
  }

  /** Hands out the outcomes of a finished group, then starts the next. Runs on the context. */
  private void finish(List<Entry<W>> group) {
    Map<Context, List<Entry<W>>> released = new IdentityHashMap<>(2);
    Batch<W> last = null;
    for (Entry<W> entry : group) {
      if (entry.batch != last) {
        last = entry.batch;
        last.releaseInto(released);
      }
    }
    post(released);
    synchronized (this) {
      running = false;
    }
    step();
  }

  /** Completes the released entries, one task per caller context, each context's in order. */
  private void post(Map<Context, List<Entry<W>>> released) {
    released.forEach((caller, entries) -> caller.runOnContext(v -> {
      for (Entry<W> entry : entries) {
        if (entry.outcome == null) {
          entry.promise.tryComplete();
        } else {
          entry.promise.tryFail(entry.outcome);
        }
      }
    }));
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
   * The calls of one {@link #submit} or {@link #submitAll}: they share the caller's context and one
   * timer, and are handed out strictly in order. Touched only on the group commit's context, except
   * when built.
   */
  private static final class Batch<W> {
    final Context caller;
    final Entry<W>[] entries;
    long timer = -1;
    int released;

    @SuppressWarnings("unchecked")
    Batch(Context caller, int size) {
      this.caller = caller;
      this.entries = new Entry[size];
    }

    /** Adds the decided entries not yet handed out that no undecided entry precedes. */
    void releaseInto(Map<Context, List<Entry<W>>> released) {
      int from = decidedPrefix();
      if (from == this.released) {
        return;
      }
      List<Entry<W>> list = released.computeIfAbsent(caller, c -> new ArrayList<>());
      for (int i = this.released; i < from; i++) {
        list.add(entries[i]);
      }
      this.released = from;
      if (from == entries.length && timer >= 0) {
        caller.owner().cancelTimer(timer);
      }
    }

    /** @return the index of the first entry without an outcome, or the number of entries */
    private int decidedPrefix() {
      int i = released;
      while (i < entries.length && entries[i].state == DONE) {
        i++;
      }
      return i;
    }
  }

  /**
   * One queued call, as the {@link Committer} sees it.
   *
   * @param <W> what it writes
   */
  public static final class Entry<W> {
    private final W work;
    private final long rows;
    private final Batch<W> batch;
    private final long deadline;
    private final Promise<Void> promise = Promise.promise();
    // read and written on the group commit's context (and before the entry is queued)
    private int state = PENDING;
    private KoraException outcome;

    Entry(W work, long rows, Batch<W> batch, long deadline) {
      this.work = work;
      this.rows = rows;
      this.batch = batch;
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

    /** Records the outcome; it is handed out when the entries before it in its batch have theirs. */
    private void decide(KoraException error) {
      outcome = error;
      state = DONE;
    }
  }
}
