package dev.kora.cli.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.cli.cluster.ClusterProcesses.Member;
import dev.kora.storage.Store;
import dev.kora.testkit.Eventually;
import dev.kora.testkit.TestSocket;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The load of the cluster tests and its checks: writers ({@link ClusterWriter}) and subscribers
 * ({@link ClusterWatcher}) on every member, and, once the writers stopped, the checks against the
 * change log the cluster wrote ({@link ClusterHistory}): one commit order, the invariant for every
 * subscriber, convergence of every subscriber and every member's answer.
 */
final class ClusterLoad {

  private final Vertx vertx;
  private final ClusterProcesses cluster;
  private final List<ClusterWriter> writers = new ArrayList<>();
  private final List<ClusterWatcher> watchers = new ArrayList<>();

  ClusterLoad(Vertx vertx, ClusterProcesses cluster) {
    this.vertx = vertx;
    this.cluster = cluster;
  }

  List<ClusterWriter> writers() {
    return writers;
  }

  /** Subscribes one more watcher on every running member. */
  void subscribeEverywhere(String label) {
    for (Member member : cluster.members()) {
      if (member.alive()) {
        ClusterWatcher watcher = new ClusterWatcher(label + "@" + member.index(), member.index());
        watcher.subscribe(TestSocket.connect(vertx, member.host(), member.port()).await(), null);
        watchers.add(watcher);
      }
    }
  }

  /** Starts one writer on every member. */
  void startWriters() {
    for (Member member : cluster.members()) {
      ClusterWriter writer = new ClusterWriter(vertx, member.index(),
          TestSocket.connect(vertx, member.host(), member.port()).await(),
          new Random(member.index() * 7919L));
      writer.start();
      writers.add(writer);
    }
  }

  /** Resubscribes, on {@code other}, with {@code since}, the watchers of a member that died. */
  void resumeWatchersOf(int dead, Member other) {
    for (ClusterWatcher watcher : watchers) {
      if (watcher.member == dead) {
        watcher.subscribe(TestSocket.connect(vertx, other.host(), other.port()).await(),
            watcher.received());
      }
    }
  }

  /**
   * Waits until every writer whose member is alive, except those of {@code excluded}, had a write
   * acknowledged that it sent after {@code since} (20 s at most).
   *
   * @param excluded a member index whose writers are not waited for, or -1
   * @param since a {@link System#nanoTime()}
   * @return ms from {@code since} until the last of those acknowledgments
   */
  long awaitWritesAfter(int excluded, long since) {
    long deadline = since + TimeUnit.SECONDS.toNanos(20);
    long latest = since;
    for (ClusterWriter writer : writers) {
      if (writer.member == excluded || writer.socket.isClosed()) {
        continue;
      }
      while (writer.lastAcknowledgedSentAt.get() <= since && System.nanoTime() < deadline) {
        sleep(20);
      }
      latest = Math.max(latest, writer.lastAcknowledgedAt.get());
      assertTrue(writer.lastAcknowledgedSentAt.get() > since, "the writer on member "
          + writer.member + " got no write acknowledged within 20 s");
    }
    return TimeUnit.NANOSECONDS.toMillis(latest - since);
  }

  /** Stops the writers and waits until no write of theirs is in flight. */
  void stopWriters() {
    for (ClusterWriter writer : writers) {
      writer.stop = true;
    }
    for (ClusterWriter writer : writers) {
      writer.idle().await();
    }
  }

  /**
   * Writes once more through {@code member} and waits until every live watcher has received it, then
   * checks everything against the change log.
   *
   * @return the data at {@code r} in the end, as {@code {"r": ...}}
   */
  JsonObject settleAndCheck(Member member, Store store) {
    TestSocket last = TestSocket.connect(vertx, member.host(), member.port()).await();
    long lastVersion = last.write(new JsonObject().put("merge", new JsonObject().put("r",
        new JsonObject().put("done", true)))).await();
    List<ClusterWatcher> alive = new ArrayList<>();
    for (ClusterWatcher watcher : watchers) {
      if (!watcher.socket.isClosed()) {
        alive.add(watcher);
      }
    }
    Eventually.poll(vertx, 20_000, "every live subscriber to reach version " + lastVersion,
        () -> Future.succeededFuture(alive.stream().allMatch(
            watcher -> watcher.received() >= lastVersion)), reached -> reached).await();
    last.close().await();

    ClusterHistory history = ClusterHistory.read(store);
    history.checkAcknowledged(writers);
    TreeMap<Long, JsonObject> states = history.statesOfR();
    // Cassandra's reads are not snapshots (the only store of the cluster tests whose are not)
    boolean snapshotReads = !store.describe().startsWith("cassandra:");
    for (ClusterWatcher watcher : watchers) {
      watcher.check(states, snapshotReads);
    }
    JsonObject finalState = states.lastEntry().getValue();
    for (ClusterWatcher watcher : alive) {
      assertEquals(finalState, watcher.copy, watcher.name + " ends equal to the data");
    }
    for (Member running : cluster.members()) {
      if (running.alive()) {
        TestSocket reader = TestSocket.connect(vertx, running.host(), running.port()).await();
        JsonObject answer = reader.query(new JsonObject().put("r", new JsonObject())).await();
        assertEquals(finalState, new JsonObject().put("r",
            answer.getJsonObject("merge").getJsonObject("r")),
            "member " + running.index() + " answers the data");
        reader.close().await();
      }
    }
    return finalState;
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
