package dev.kora.cli.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.cli.cluster.ClusterProcesses.Member;
import dev.kora.storage.Store;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.Stores;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A network partition: three node processes, each in a network namespace this test creates on this
 * machine (a bridge joins them and the test; PostgreSQL, which listens on loopback only, is reached
 * through a relay on the bridge), form one cluster over one PostgreSQL database while writers and
 * subscribers work on every node. The leader is cut off from the other two nodes (not from the
 * database or its clients) for a while, then the partition heals. Checked:
 *
 * <ul>
 *   <li>no split brain: nothing acknowledged is lost or reordered, nothing is committed twice
 *       (the change log holds every acknowledged write at its version, each id once);</li>
 *   <li>the cut-off node stops acknowledging writes: once it refuses one (it sees no quorum, or a
 *       commit it tried after the others took over was fenced off in the database), it
 *       acknowledges nothing more while the partition lasts;</li>
 *   <li>the majority goes on: writes through it are acknowledged while the partition lasts;</li>
 *   <li>after healing, the cut-off node takes writes again and every subscriber, including those of
 *       the cut-off node, caught up with no gap and ends equal to the data (no divergence).</li>
 * </ul>
 */
class ClusterPartitionTest {

  private static final int SIZE = 3;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  java.nio.file.Path folder;

  private Vertx vertx;
  private NetworkNamespaces hosts;
  private TcpRelay relay;
  private ClusterProcesses cluster;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    hosts = new NetworkNamespaces(SIZE);
    relay = TcpRelay.start(vertx, hosts.hostAddress(), "127.0.0.1", 5432).await();
    cluster = new ClusterProcesses(vertx, folder, SIZE, hosts);
  }

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
    if (relay != null) {
      relay.close().await();
    }
    if (hosts != null) {
      hosts.close();
    }
    vertx.close().await();
  }

  @Test
  void aCutOffLeaderAcknowledgesNothingItCannotOrderAndCatchesUpWhenHealed() throws Exception {
    String table = "partition_" + Long.toHexString(System.nanoTime());
    String local = "postgres://postgres@127.0.0.1:5432/kora_test?table=" + table;
    String relayed = "postgres://postgres@" + hosts.hostAddress() + ":" + relay.port()
        + "/kora_test?table=" + table;
    cluster.startAll(relayed).await();
    Store store = Stores.open(vertx, new StoreOptions().setUrl(local)).await();
    try {
      ClusterLoad load = new ClusterLoad(vertx, cluster);
      load.subscribeEverywhere("before");
      load.startWriters();
      Thread.sleep(1_500);

      Member leader = cluster.leader(store);
      hosts.cut(leader.index());
      long cutAt = System.nanoTime();
      // The majority takes over and goes on while the partition lasts.
      long failoverMs = load.awaitWritesAfter(leader.index(), cutAt);
      // Once the cut-off member refuses a write (it lost the quorum, or its commit was fenced off),
      // it must acknowledge nothing more while the partition lasts, and go on refusing.
      ClusterWriter isolated = load.writers().get(leader.index());
      long refusedBefore = isolated.refusals.get();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (isolated.refusals.get() == refusedBefore && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(isolated.refusals.get() > refusedBefore, "the cut-off member refuses writes ("
          + "logs in " + folder + ")");
      long acknowledgedBefore = isolated.lastAcknowledgedAt.get();
      long refusals = isolated.refusals.get();
      Thread.sleep(2_000);
      assertEquals(acknowledgedBefore, isolated.lastAcknowledgedAt.get(), "once it refused, the"
          + " cut-off member acknowledged nothing more during the partition");
      assertTrue(isolated.refusals.get() > refusals, "and it went on refusing");
      Member leading = cluster.leader(store);
      assertTrue(leading.index() != leader.index(), "another member leads during the partition");

      hosts.heal();
      long healedAt = System.nanoTime();
      long rejoinMs = load.awaitWritesAfter(-1, healedAt);
      System.out.printf("partition: leader (member %d) cut off; the others took writes again"
          + " after %d ms; healed, every member took writes again after %d ms%n", leader.index(),
          failoverMs, rejoinMs);
      Thread.sleep(1_000);
      load.stopWriters();
      load.settleAndCheck(leading, store);
    } finally {
      store.close().await();
    }
  }
}
