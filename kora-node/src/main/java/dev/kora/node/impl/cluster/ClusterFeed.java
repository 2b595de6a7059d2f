package dev.kora.node.impl.cluster;

import dev.kora.node.spi.CommitFeed;
import dev.kora.storage.Store;
import dev.kora.storage.changelog.ChangeLog;
import dev.kora.tree.Mutation;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A clustered node's {@link CommitFeed}: hands every mutation the cluster commits, whichever node
 * received it, to this node's listeners (its fan-out, the event bus), in version order, each once.
 *
 * <p>Commits arrive two ways. The leader's own commits are {@link #deliver delivered} as its
 * sequencer settles them. Every other node gets them as {@link CommitBatch batches} the leader
 * publishes on the event bus; a batch names the version committed just before its first commit, so
 * a node that missed one (a lost message, a new leader, a partition that healed) sees the gap and
 * reads the missing commits from the change log in the shared store ({@code kora:log}: every commit
 * is there before it is published). When the log was trimmed past this node's version the commits
 * cannot be replayed: the node then tells its listeners ({@link Listener#missed}: the fan-out closes
 * its subscribers' connections, who subscribe again and get a full answer) and goes on from the
 * log's version.
 *
 * <p>Confined to the node's context.
 */
final class ClusterFeed implements CommitFeed {

  private static final System.Logger LOG = System.getLogger(ClusterFeed.class.getName());
  /** Change log entries read per store round trip while catching up. */
  private static final int CATCH_UP_PAGE = 1_000;

  private final Vertx vertx;
  private final Store store;
  private final List<Listener> listeners = new ArrayList<>();
  private final ArrayDeque<CommitBatch> waiting = new ArrayDeque<>();
  private final TreeMap<Long, List<Promise<Void>>> awaited = new TreeMap<>();
  private long delivered;
  private boolean catchingUp;

  /**
   * @param vertx for timers
   * @param store the shared store, whose change log fills gaps
   * @param version the last version committed when the node started (every commit up to it is in
   *     the store the node reads from)
   */
  ClusterFeed(Vertx vertx, Store store, long version) {
    this.vertx = vertx;
    this.store = store;
    this.delivered = version;
  }

  @Override
  public void listen(Listener listener) {
    listeners.add(listener);
  }

  /** @return the last version handed to the listeners */
  long delivered() {
    return delivered;
  }

  /**
   * Hands one commit to the listeners, unless it was handed before.
   *
   * @param mutation what was committed
   * @param version its version
   */
  void deliver(Mutation mutation, long version) {
    if (version <= delivered) {
      return;
    }
    delivered = version;
    for (Listener listener : listeners) {
      listener.committed(mutation, version);
    }
    release();
  }

  /**
   * Takes a batch the leader published.
   *
   * @param batch its commits, in order, and the version committed before them
   */
  void received(CommitBatch batch) {
    if (catchingUp) {
      waiting.add(batch);
      return;
    }
    if (batch.previous() > delivered) {
      waiting.add(batch);
      catchUp(batch.previous());
      return;
    }
    for (CommitBatch.Commit commit : batch.commits()) {
      deliver(commit.mutation(), commit.version());
    }
  }

  /**
   * @param version a version this node must have handed to its listeners
   * @param timeoutMs how long to wait, ms
   * @return completes once it has; fails when the wait times out. A version not seen within a
   *     moment is looked for in the change log (its batch may have been lost)
   */
  Future<Void> await(long version, long timeoutMs) {
    if (version <= delivered) {
      return Future.succeededFuture();
    }
    Promise<Void> promise = Promise.promise();
    awaited.computeIfAbsent(version, v -> new ArrayList<>(1)).add(promise);
    long lookTimer = vertx.setTimer(Math.min(500, timeoutMs / 2), id -> {
      if (!promise.future().isComplete()) {
        catchUp(version);
      }
    });
    long failTimer = vertx.setTimer(timeoutMs, id -> promise.tryFail(
        new IllegalStateException("version " + version + " was not received within " + timeoutMs
            + " ms (this node has " + delivered + ")")));
    return promise.future().andThen(done -> {
      vertx.cancelTimer(lookTimer);
      vertx.cancelTimer(failTimer);
    });
  }

  /**
   * Reads the commits after this node's version from the change log and delivers them, then the
   * batches that waited meanwhile.
   *
   * @param target the version to reach at least
   */
  void catchUp(long target) {
    if (catchingUp || target <= delivered) {
      return;
    }
    catchingUp = true;
    long from = delivered;
    ChangeLog.open(store, from).compose(cursor -> readAll(cursor, from)
        .eventually(() -> cursor.close()))
        .onComplete(done -> {
          catchingUp = false;
          if (done.failed()) {
            LOG.log(System.Logger.Level.WARNING, "cluster: reading missed commits after version "
                + delivered + " failed, trying again: " + done.cause());
            vertx.setTimer(200, id -> catchUp(target));
            return;
          }
          List<CommitBatch> batches = new ArrayList<>(waiting);
          waiting.clear();
          for (CommitBatch batch : batches) {
            received(batch);
          }
        });
  }

  /**
   * Delivers every entry of the cursor; when the log turns out to have been trimmed past
   * {@code from}, entries this node needed are gone, so it resets its subscribers.
   */
  private Future<Void> readAll(ChangeLog.Cursor cursor, long from) {
    return cursor.next(CATCH_UP_PAGE).compose(entries -> {
      if (entries.isEmpty()) {
        return cursor.finish().map(counters -> {
          if (counters.trimmed() > from) {
            LOG.log(System.Logger.Level.WARNING, "cluster: the change log was trimmed through "
                + counters.trimmed() + " but this node had only " + from
                + "; its subscribers are reset");
            delivered = Math.max(delivered, counters.version());
            for (Listener listener : listeners) {
              listener.missed();
            }
            release();
          }
          return null;
        });
      }
      for (ChangeLog.Entry entry : entries) {
        deliver(entry.mutation(), entry.version());
      }
      return readAll(cursor, from);
    });
  }

  /** Completes the waits for versions now delivered. */
  private void release() {
    while (!awaited.isEmpty() && awaited.firstKey() <= delivered) {
      Map.Entry<Long, List<Promise<Void>>> first = awaited.pollFirstEntry();
      first.getValue().forEach(Promise::tryComplete);
    }
  }
}
