package dev.kora.node.impl.cluster;

import dev.kora.node.spi.JobLeases;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The job leases of a cluster: one cluster-wide map (the cluster manager's, a Hazelcast IMap behind
 * Vert.x's {@code AsyncMap}) from job id to the member running it. A lease is granted only when no
 * member holds it, so one effect job runs on one member at a time. When a member leaves, the leader
 * removes the leases it held and runs every pending job again ({@link #onOrphans}): the departed
 * member's jobs are taken over. Jobs run at least once: a job whose member died after running it but
 * before deleting it runs again, as on a single node after a crash.
 *
 * <p>Threading: called on the node's context; the map answers there.
 */
final class ClusterJobLeases implements JobLeases {

  private static final System.Logger LOG = System.getLogger(ClusterJobLeases.class.getName());
  private static final String MAP = "kora.job.leases";

  private final Vertx vertx;
  private final ClusterCoordinator coordinator;

  /**
   * @param vertx the clustered Vert.x instance
   * @param coordinator tells this member's id, the members, and when leases may be orphaned
   */
  ClusterJobLeases(Vertx vertx, ClusterCoordinator coordinator) {
    this.vertx = vertx;
    this.coordinator = coordinator;
  }

  private Future<AsyncMap<String, String>> map() {
    return vertx.sharedData().getAsyncMap(MAP);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Granted when no member holds it, or this member does (a release of an earlier run that did
   * not land: the scheduler asks only for jobs it is not running).
   */
  @Override
  public Future<Boolean> acquire(String jobId) {
    String self = coordinator.self();
    return map().compose(map -> map.putIfAbsent(jobId, self))
        .map(holder -> holder == null || holder.equals(self));
  }

  @Override
  public Future<Void> release(String jobId) {
    return map().compose(map -> map.removeIfPresent(jobId, coordinator.self())).mapEmpty();
  }

  @Override
  public void onOrphans(Runnable rescan) {
    coordinator.onOrphans(() -> dropLeasesOfDeparted().onComplete(done -> {
      if (done.failed()) {
        LOG.log(System.Logger.Level.WARNING, "cluster: clearing the job leases of departed"
            + " members failed: " + done.cause());
      }
      rescan.run();
    }));
  }

  /** Removes the leases held by members no longer in the cluster. */
  private Future<Void> dropLeasesOfDeparted() {
    Set<String> live = new HashSet<>(coordinator.members());
    return map().compose(map -> map.entries().compose(entries -> {
      List<Future<Boolean>> removed = new ArrayList<>();
      for (Map.Entry<String, String> lease : entries.entrySet()) {
        if (!live.contains(lease.getValue())) {
          removed.add(map.removeIfPresent(lease.getKey(), lease.getValue()));
        }
      }
      return Future.join(removed).mapEmpty();
    }));
  }
}
