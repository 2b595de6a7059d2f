package dev.kora.storage;

import dev.kora.tree.Mutation;
import io.vertx.core.Future;
import java.util.List;

/**
 * Where the tree is kept: a store holds the leaves as flat rows (path, JSON value) and writes
 * mutations atomically. Tree assembly, query options and subscriptions live above it, once, for every
 * store. Open one with {@link Stores#open(io.vertx.core.Vertx, StoreOptions)}.
 *
 * <p>Threading: every method may be called from any thread, event loops included, and never blocks;
 * blocking drivers run their work on worker threads. Futures complete on the caller's context where
 * there is one.
 *
 * <p>Failures: a store that cannot be reached, or does not answer within its configured timeout,
 * fails the future with {@link dev.kora.tree.KoraException} code {@code store_unavailable}.
 */
public interface Store {

  /**
   * Writes mutations in order in one atomic, durable transaction: when the future succeeds all of them
   * are stored and survive a crash; when it fails none of them is. For each mutation, deletes apply
   * before writes; writing a leaf at P removes every row under P and the leaf rows at P's ancestors.
   * Concurrent calls are serialized by the store; the node's sequencer calls it one batch at a time.
   *
   * @param mutations mutations in commit order, none empty-checked; an empty list succeeds at once
   * @return completes once durable
   */
  Future<Void> write(List<Mutation> mutations);

  /**
   * Opens a cursor on the leaves of a range, in path order.
   *
   * @param range which rows
   * @return the cursor; close it when done
   */
  Future<LeafCursor> read(ReadRange range);

  /**
   * Frees connections and files. Writes that completed stay durable; calls after close fail with
   * {@code store_unavailable}.
   *
   * @return completes once closed
   */
  Future<Void> close();

  /** @return a short description for logs, e.g. {@code sqlite:/var/kora/kora.db}; never a password */
  String describe();
}
