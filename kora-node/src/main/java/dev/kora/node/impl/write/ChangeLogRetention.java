package dev.kora.node.impl.write;

import dev.kora.storage.Store;
import dev.kora.storage.changelog.ChangeLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Keeps the change log within its bounds ({@link Policy}): every interval it removes the oldest
 * entries — those more than {@code maxEntries} versions behind the last one, or committed more than
 * {@code maxAgeMs} ago — with their ids, in store writes of at most {@value #BATCH} entries, so that
 * no write waits long behind one. Each trim moves the counter {@code kora:log/trimmed} on in the same
 * transaction, which is how a resume knows whether the log still reaches back to its {@code since}.
 * Also sets the log up when a node starts ({@link #recover}). Confined to the node's context.
 */
public final class ChangeLogRetention {

  /** Most entries removed by one store write. */
  static final int BATCH = 1_000;
  /** Most batches removed by one round, so that a round ends even while writes go on. */
  static final int MAX_BATCHES_PER_ROUND = 100;

  /**
   * The change log's settings.
   *
   * @param on whether commits write log entries
   * @param maxEntries most entries kept, at least 1
   * @param maxAgeMs longest time an entry is kept, ms
   * @param intervalMs time between two trims, ms
   */
  public record Policy(boolean on, long maxEntries, long maxAgeMs, long intervalMs) {
  }

  private final Vertx vertx;
  private final Store store;
  private final Policy policy;
  private final LongSupplier version;
  private final java.util.function.BooleanSupplier active;
  private long timer = -1;
  private Future<Integer> running = Future.succeededFuture(0);

  /**
   * @param vertx for the timer
   * @param store the store
   * @param policy the bounds
   * @param version the node's last committed version
   * @param active whether this node trims now: the node that commits writes (in a cluster, the
   *     leader; its store is fenced, so a trim of a node that lost the lead writes nothing)
   */
  public ChangeLogRetention(Vertx vertx, Store store, Policy policy, LongSupplier version,
      java.util.function.BooleanSupplier active) {
    this.active = active;
    this.vertx = vertx;
    this.store = store;
    this.policy = policy;
    this.version = version;
  }

  /**
   * Reads the last committed version when a node starts. With the log on, when the last commit has
   * no entry (the log was off then), every version up to it is declared gone from the log, so that
   * no resume is answered from a log with holes.
   *
   * @param store the store
   * @param on whether the log is on
   * @return the last committed version (0 for a new store); fails with {@code store_unavailable}
   */
  public static Future<Long> recover(Store store, boolean on) {
    return ChangeLog.counters(store).compose(counters -> {
      if (!on || counters.version() <= counters.trimmed()) {
        return Future.succeededFuture(counters.version());
      }
      return ChangeLog.hasEntry(store, counters.version()).compose(present -> present
          ? Future.succeededFuture(counters.version())
          : store.write(List.of(ChangeLog.markTrimmed(counters.version())))
              .map(counters.version()));
    });
  }

  /** Starts trimming every {@link Policy#intervalMs}. */
  public void start() {
    timer = vertx.setPeriodic(policy.intervalMs(), id -> {
      if (running.isComplete() && active.getAsBoolean()) {
        running = trim();
      }
    });
  }

  /** Stops the timer; a trim in progress finishes. */
  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  /**
   * Removes what is beyond the bounds now.
   *
   * @return how many entries were removed; fails with the store's error (the next round retries)
   */
  public Future<Integer> trim() {
    return trimBatches(0, 0);
  }

  private Future<Integer> trimBatches(int batches, int removed) {
    if (batches == MAX_BATCHES_PER_ROUND) {
      return Future.succeededFuture(removed);
    }
    long keepFrom = policy.on() ? version.getAsLong() - policy.maxEntries() + 1 : Long.MAX_VALUE;
    long keepAfterMs = System.currentTimeMillis() - policy.maxAgeMs();
    return ChangeLog.open(store, 0).compose(cursor -> cursor.next(BATCH)
        .eventually(cursor::close)).compose(entries -> {
          List<ChangeLog.Entry> beyond = new ArrayList<>();
          for (ChangeLog.Entry entry : entries) {
            if (entry.version() >= keepFrom && entry.atMs() >= keepAfterMs) {
              break;
            }
            beyond.add(entry);
          }
          if (beyond.isEmpty()) {
            return Future.succeededFuture(removed);
          }
          return store.write(List.of(ChangeLog.trim(beyond, policy.on())))
              .compose(v -> beyond.size() < entries.size() || entries.size() < BATCH
                  ? Future.succeededFuture(removed + beyond.size())
                  : trimBatches(batches + 1, removed + beyond.size()));
        });
  }
}
