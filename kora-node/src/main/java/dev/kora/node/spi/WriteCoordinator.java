package dev.kora.node.spi;

import dev.kora.tree.Mutation;
import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * Orders a node's writes and commits them: the one place that decides the commit order and the
 * versions. The local implementation ({@code Sequencer}) orders the writes of one node; a cluster
 * replaces it with one that keeps one order for every node. Whatever the implementation, each
 * committed mutation is handed to the {@link CommitFeed} in version order.
 *
 * <p>Threading: confined to the node's context; every method must be called there and never blocks.
 */
public interface WriteCoordinator {

  /** @return the version of the last committed mutation, 0 before the first */
  long version();

  /**
   * Queues a mutation that passed validation and the interceptors. Its version is written with it,
   * in the same transaction, with its change log entry and its id.
   *
   * @param mutation the mutation to commit, not empty
   * @param id the client's id of the mutation ({@code "<client id>:<sequence>"}, checked), or null;
   *     the caller has made sure it was not committed before
   * @return its version once durable (versions only increase, across restarts too); fails with {@code store_unavailable} when the store fails or too
   *     many mutations wait, {@code closed} after {@link #close()}, or the store's code for a mutation
   *     that fails on its own (e.g. {@code too_large}); a failed mutation has written nothing
   */
  Future<Long> submit(Mutation mutation, String id);

  /**
   * {@link #submit(Mutation, String)} for a mutation whose id may have been committed already
   * somewhere the caller could not see (in a cluster: a resend that reached another member than
   * the first send). A coordinator that orders writes of several nodes then checks the id where the
   * order is decided, and fails the future with {@link CommittedBefore} (carrying the first
   * commit's version) instead of committing the mutation twice.
   *
   * @param mutation the mutation to commit, not empty
   * @param id the client's id of the mutation, or null
   * @param resend whether the client sent it before (the caller looked it up and did not find it)
   * @return as {@link #submit(Mutation, String)}, or failed with {@link CommittedBefore}
   */
  default Future<Long> submit(Mutation mutation, String id, boolean resend) {
    return submit(mutation, id);
  }

  /**
   * Runs an operation while no write is in flight and none starts until it completes: when it starts,
   * every mutation submitted before it is committed and handed to the feed, and no later one is.
   * Subscribing reads run here, so their answer and the pushes that follow fit with no gap and no
   * overlap.
   *
   * @param operation started on the node's context; its outcome is passed through
   * @return the operation's future; fails with {@code closed} after {@link #close()}
   */
  <T> Future<T> barrier(Supplier<Future<T>> operation);

  /**
   * @return whether this node commits writes itself now: always on a node alone; in a cluster, only
   *     on the leader. Work that writes the store directly (trimming the change log) runs only here.
   */
  default boolean ordersWrites() {
    return true;
  }

  /**
   * Waits until this node has handed a version to its feed, for a client that saw it elsewhere (a
   * {@code since} from another member of a cluster). A node alone has every version it will ever
   * have: it answers at once, and the caller then refuses a version ahead of {@link #version()}.
   *
   * @param version a version a client names
   * @return completes once {@link #version()} reached it, or when waiting longer makes no sense
   *     (never fails)
   */
  default Future<Void> reached(long version) {
    return Future.succeededFuture();
  }

  /** Refuses new work; what is waiting is still committed. */
  void close();

  /** @return completes once every waiting mutation and barrier has finished */
  Future<Void> drain();
}
