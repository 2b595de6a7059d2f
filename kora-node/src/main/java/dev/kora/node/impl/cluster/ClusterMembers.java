package dev.kora.node.impl.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.spi.cluster.ClusterManager;
import java.util.List;
import java.util.Objects;

/**
 * Who the cluster's members are and which of them should order writes, as this node sees it. The
 * members come from the Vert.x cluster manager (Hazelcast's member list, oldest member first); the
 * leader is the oldest member, but only while this node sees a quorum — a majority of the configured
 * cluster size — so that a node cut off from the others never tries to lead. Two nodes may still
 * believe they lead for a moment while views change; the store's fence (docs/cluster.md) keeps that
 * safe, this class only keeps it rare.
 *
 * <p>The list is read every {@value #POLL_MS} ms on the node's context (the cluster manager's list is
 * local, the call does not block); Vert.x keeps the cluster manager's one node listener for its own
 * event bus, so Kora does not replace it. Confined to the node's context.
 */
final class ClusterMembers {

  /** How often the member list is read, ms. */
  static final long POLL_MS = 200;

  /** What changed. */
  interface Listener {
    /**
     * @param members the members, oldest first
     * @param leader the member that should order writes, or null when this node sees no quorum
     */
    void changed(List<String> members, String leader);
  }

  private final Vertx vertx;
  private final ClusterManager manager;
  private final String self;
  private final int quorum;
  private List<String> members = List.of();
  private String leader;
  private long timer = -1;

  /**
   * @param vertx the clustered Vert.x instance
   * @param manager its cluster manager
   * @param size the configured number of nodes; the quorum is {@code size / 2 + 1}
   */
  ClusterMembers(Vertx vertx, ClusterManager manager, int size) {
    this.vertx = vertx;
    this.manager = manager;
    this.self = manager.getNodeId();
    this.quorum = size / 2 + 1;
  }

  /** @return this node's member id */
  String self() {
    return self;
  }

  /** @return the members needed to order writes */
  int quorum() {
    return quorum;
  }

  /** @return the members as last read, oldest first */
  List<String> members() {
    return members;
  }

  /** @return the member that should order writes, or null without a quorum */
  String leader() {
    return leader;
  }

  /**
   * Reads the list now and then every {@value #POLL_MS} ms, calling the listener on each change.
   *
   * @param listener called on the node's context
   */
  void start(Listener listener) {
    poll(listener);
    timer = vertx.setPeriodic(POLL_MS, id -> poll(listener));
  }

  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  private void poll(Listener listener) {
    List<String> now;
    try {
      now = manager.isActive() ? List.copyOf(manager.getNodes()) : List.of();
    } catch (RuntimeException e) {
      now = List.of(); // the cluster manager is shutting down
    }
    String leaderNow = now.size() >= quorum && !now.isEmpty() ? now.get(0) : null;
    if (!now.equals(members) || !Objects.equals(leaderNow, leader)) {
      members = now;
      leader = leaderNow;
      listener.changed(now, leaderNow);
    }
  }
}
