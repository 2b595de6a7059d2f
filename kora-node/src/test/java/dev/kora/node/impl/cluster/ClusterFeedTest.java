package dev.kora.node.impl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kora.node.spi.CommitFeed;
import dev.kora.storage.Store;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.Stores;
import dev.kora.storage.changelog.ChangeLog;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The commit feed of a clustered node on its own, over a store whose change log holds commits
 * 1 to 10 (written as the leader writes them): batches in order are delivered; a batch after a gap
 * makes the feed read the missed commits from the log first, in order, each once; old and repeated
 * batches change nothing; a version awaited but never received is looked for in the log; and a log
 * trimmed past the node's version makes it tell its listeners that commits were missed.
 */
class ClusterFeedTest {

  private Vertx vertx;
  private Store store;
  private io.vertx.core.Context context;
  private final List<Long> delivered = new CopyOnWriteArrayList<>();
  private final AtomicInteger missed = new AtomicInteger();

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    store = Stores.open(vertx, new StoreOptions().setUrl("memory")).await();
    List<Mutation> commits = new ArrayList<>();
    for (long version = 1; version <= 10; version++) {
      Mutation mutation = write(version);
      commits.add(mutation.plusLeaves(ChangeLog.commitRows(version, mutation.encode(), null,
          System.currentTimeMillis(), true)));
    }
    store.write(commits).await();
  }

  @AfterEach
  void tearDown() {
    store.close().await();
    vertx.close().await();
  }

  private static Mutation write(long version) {
    return Mutation.merge(Path.of("r", "k" + version), version);
  }

  private ClusterFeed feed(long version) {
    ClusterFeed feed = new ClusterFeed(vertx, store, version);
    feed.listen(new CommitFeed.Listener() {
      @Override
      public void committed(Mutation mutation, long at) {
        assertEquals(write(at), mutation, "the commit of version " + at);
        delivered.add(at);
      }

      @Override
      public void missed() {
        missed.incrementAndGet();
      }
    });
    return feed;
  }

  /**
   * Runs on the feed's context (it is confined to one, as on a node) and waits until the feed
   * delivered a version.
   */
  private void onContext(ClusterFeed feed, Runnable action, long until) {
    Future.<Void>future(promise -> context.runOnContext(v -> {
      action.run();
      feed.await(until, 5_000).onComplete(promise);
    })).await();
  }

  private static CommitBatch batch(long previous, long... versions) {
    List<CommitBatch.Commit> commits = new ArrayList<>();
    for (long version : versions) {
      commits.add(new CommitBatch.Commit(version, write(version)));
    }
    return new CommitBatch(previous, commits);
  }

  @Test
  void batchesAfterAGapAreDeliveredAfterTheMissedCommitsFromTheLog() {
    ClusterFeed feed = feed(2);
    onContext(feed, () -> feed.received(batch(2, 3, 4)), 4);
    assertEquals(List.of(3L, 4L), delivered, "in order");
    // 5 and 6 were lost: the batch of 7 names 6 as the version before it, and the feed reads what
    // the log holds after 4 (here up to 10: commits are in the log before they are published)
    onContext(feed, () -> feed.received(batch(6, 7)), 10);
    assertEquals(List.of(3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), delivered,
        "the missed ones from the log, in order, first");
    // old, repeated and heartbeat batches change nothing
    onContext(feed, () -> {
      feed.received(batch(2, 3, 4));
      feed.received(batch(6, 7));
      feed.received(batch(10));
    }, 10);
    assertEquals(List.of(3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), delivered);
    assertEquals(0, missed.get());
  }

  @Test
  void aVersionNotReceivedIsLookedForInTheLog() {
    ClusterFeed feed = feed(0);
    onContext(feed, () -> { }, 10);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), delivered,
        "no batch came: the wait read the log");
  }

  @Test
  void aLogTrimmedPastTheNodeMakesItsListenersStartOver() {
    List<ChangeLog.Entry> oldest = ChangeLog.open(store, 0).compose(cursor -> cursor.next(4)
        .eventually(cursor::close)).await();
    store.write(List.of(ChangeLog.trim(oldest, true))).await();
    ClusterFeed feed = feed(2);
    onContext(feed, () -> feed.received(batch(10, 11)), 11);
    assertEquals(1, missed.get(), "the listeners were told that commits 3 and 4 are gone");
    assertEquals(List.of(5L, 6L, 7L, 8L, 9L, 10L, 11L), delivered,
        "the commits the log still holds, then the batch");
  }
}
