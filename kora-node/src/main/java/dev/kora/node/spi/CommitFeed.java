package dev.kora.node.spi;

import dev.kora.tree.Mutation;

/**
 * Where pushes come from: every committed mutation with its version, in version order. The local
 * implementation passes on what this node's {@link WriteCoordinator} commits; a cluster's passes on
 * what every node commits, so that each node pushes every change to its own subscribers. The fan-out
 * to subscribers and the event bus's {@code kora.tree.committed} listen here.
 *
 * <p>Threading: listeners are added and called on the node's context.
 */
public interface CommitFeed {

  /** Receives committed mutations in version order, on the node's context. */
  @FunctionalInterface
  interface Listener {

    /**
     * @param mutation what was committed, as written (interceptor additions and effect jobs included)
     * @param version its version, greater than the previous one's (a mutation that failed leaves
     *     its number unused)
     */
    void committed(Mutation mutation, long version);

    /**
     * The feed skipped commits it could not hand over (a clustered node that missed commits the
     * change log no longer holds): what a listener built on seeing every commit must start over.
     * Commits after the gap follow through {@link #committed}. The default does nothing.
     */
    default void missed() {
    }
  }

  /**
   * @param listener called for every later commit, after the listeners added before it
   */
  void listen(Listener listener);
}
