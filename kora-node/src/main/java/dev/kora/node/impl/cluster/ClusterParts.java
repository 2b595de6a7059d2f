package dev.kora.node.impl.cluster;

import dev.kora.node.core.NodeMetrics;
import dev.kora.node.impl.DefaultNodeCore;
import dev.kora.storage.Store;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.cluster.ClusterManager;

/**
 * Makes a clustered node's parts ({@link DefaultNodeCore.Parts}): the {@link ClusterCoordinator}
 * (one commit order for every member), its {@link ClusterFeed} and the {@link ClusterJobLeases}.
 * docs/cluster.md explains the design.
 */
public final class ClusterParts {

  private final ClusterCoordinator coordinator;
  private final DefaultNodeCore.Parts parts;

  private ClusterParts(ClusterCoordinator coordinator, DefaultNodeCore.Parts parts) {
    this.coordinator = coordinator;
    this.parts = parts;
  }

  /**
   * Checks that a node can join a cluster on this Vert.x instance and store.
   *
   * @param vertx the node's Vert.x instance
   * @param store the opened store
   * @param changeLog whether the change log is on
   * @throws IllegalArgumentException when Vert.x is not clustered, the store cannot fence its writes
   *     (Cassandra, or a store only one node can open: SQLite, memory — their fences guard nothing
   *     other nodes share) or the change log is off (members replay missed commits from it)
   */
  public static void check(Vertx vertx, Store store, boolean changeLog) {
    if (!vertx.isClustered()) {
      throw new IllegalArgumentException("clusterSize is set but the node's Vert.x instance is not"
          + " clustered: build it with a cluster manager (kora serve --cluster does)");
    }
    String kind = store.describe();
    if (kind.startsWith("sqlite") || kind.startsWith("memory")) {
      throw new IllegalArgumentException("a cluster needs a store its nodes share (postgres,"
          + " mysql or cassandra); " + kind + " belongs to one node");
    }
    if (!store.fences()) {
      throw new IllegalArgumentException("a cluster needs a store that can fence writes (postgres,"
          + " mysql or cassandra); " + kind + " cannot");
    }
    if (!changeLog) {
      throw new IllegalArgumentException("a cluster needs the change log (changeLog: true): members"
          + " replay the commits they missed from it");
    }
  }

  /**
   * Makes the parts; call on the node's context.
   *
   * @param vertx the clustered Vert.x instance
   * @param context the node's context
   * @param store the shared store, checked with {@link #check}
   * @param version the last version committed, as the store keeps it
   * @param settings cluster size, timeouts and the sequencer's limits
   * @param metrics the node's metrics
   * @return the parts; {@link #start()} them once the node's listeners are in place
   */
  public static ClusterParts create(Vertx vertx, Context context, Store store, long version,
      ClusterCoordinator.Settings settings, NodeMetrics metrics) {
    ClusterManager manager = ((VertxInternal) vertx).clusterManager();
    ClusterMembers members = new ClusterMembers(vertx, manager, settings.clusterSize());
    ClusterFeed feed = new ClusterFeed(vertx, store, version);
    ClusterCoordinator coordinator = new ClusterCoordinator(vertx, context, store, members, feed,
        settings, metrics);
    return new ClusterParts(coordinator, new DefaultNodeCore.Parts(coordinator, feed,
        new ClusterJobLeases(vertx, coordinator)));
  }

  /** @return the parts for {@link DefaultNodeCore} */
  public DefaultNodeCore.Parts parts() {
    return parts;
  }

  /**
   * Starts taking the other members' requests and following the member list (this node may then
   * take the lead).
   *
   * @return completes once this member's event bus addresses are registered in the cluster
   */
  public Future<Void> start() {
    return coordinator.start();
  }
}
