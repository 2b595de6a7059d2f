package dev.kora.node.impl.cluster;

import dev.kora.tree.Path;

/**
 * The names a cluster's members share: event bus addresses and the reserved rows of the tree.
 * Everything a member sends another is JSON ({@link CommitBatch}, {@link ClusterCoordinator}'s
 * requests), so members of one version understand each other without codecs.
 */
final class ClusterAddresses {

  /** Where the leader publishes every {@link CommitBatch}. */
  static final String COMMITS = "kora.cluster.commits";

  /**
   * The row holding the leader's epoch (a number, raised by every takeover); the leader's store is
   * fenced on it ({@link dev.kora.storage.Fence}).
   */
  static final Path EPOCH = Path.of("kora:cluster", "epoch");

  /** The row naming the member that leads (its member id), written with the epoch, for operators. */
  static final Path LEADER = Path.of("kora:cluster", "leader");

  private ClusterAddresses() {
  }

  /**
   * @param member a member id
   * @return the address where that member takes forwarded writes and barrier requests
   */
  static String member(String member) {
    return "kora.cluster.member." + member;
  }
}
