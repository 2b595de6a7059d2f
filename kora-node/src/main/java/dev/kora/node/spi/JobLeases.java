package dev.kora.node.spi;

import io.vertx.core.Future;

/**
 * Who may run a durable effect job now. Jobs are stored in the tree with the write that caused them
 * and run at least once; with several nodes on one store, a lease keeps two nodes from running the
 * same job at once, and lets another node take over the jobs of one that died. The local
 * implementation grants every lease (one node runs every job); a cluster replaces it.
 *
 * <p>Threading: called on the node's context; never blocks.
 */
public interface JobLeases {

  /**
   * Asks for a job's lease. The scheduler asks only for jobs this node is not running, so a lease
   * this node holds already (its release did not land, e.g. the cluster did not answer) is granted.
   *
   * @param jobId the job's id, its key under {@code kora:jobs}
   * @return true when this node holds the lease and may run the job now, false when another node
   *     holds it; fails when the cluster could not be asked (the scheduler asks again later)
   */
  Future<Boolean> acquire(String jobId);

  /**
   * Gives a lease back once the job has finished (succeeded, failed for good, or waits for a retry).
   *
   * @param jobId the job's id
   * @return completes once the lease is given back (or was not held by this node); fails when the
   *     cluster could not be asked (the scheduler asks again later)
   */
  Future<Void> release(String jobId);

  /**
   * Registers what to do when leases may have been orphaned: in a cluster, when a member that may
   * have held leases left (its jobs must be taken over), and when a node starts leading. The local
   * implementation never calls it.
   *
   * @param rescan runs every pending job stored under {@code kora:jobs} again; each still asks for
   *     its lease, so jobs running elsewhere are left alone
   */
  default void onOrphans(Runnable rescan) {
  }
}
