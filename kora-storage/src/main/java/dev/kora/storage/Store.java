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
   * Writes mutations in order, each atomic and durable on its own, and isolates their failures: the
   * store commits them together in as few transactions as it chooses (group commit), and a mutation
   * that fails on its own — a constraint or trigger, a path too long for the store
   * ({@code too_large}), an internal statement error — fails alone while the others are committed.
   * This is where a batch of independent mutations (the node's sequencer) gets failures isolated;
   * the caller need not retry anything one by one. {@link #write} keeps its all-or-none contract for
   * callers that need a whole batch or nothing (import, copy).
   *
   * <p>Order: mutation {@code i + 1} is applied after mutation {@code i} (when both succeed, a
   * reader never sees {@code i + 1} without {@code i}); the futures complete on the caller's
   * context, in list order: a future completes only after those before it.
   *
   * <p>Errors, per future: a failure of the mutation's own, with the code the store reports for it
   * (e.g. {@code too_large}, {@code internal}), only that mutation written nothing; {@code
   * store_unavailable} when the store cannot be reached, does not answer within its operation
   * timeout or is closed — then every mutation not yet committed fails with it, while earlier ones
   * may have succeeded. A failed mutation does not stop the ones after it: each is tried on its own.
   * An empty mutation succeeds without writing.
   *
   * <p>Drivers get this from {@link dev.kora.storage.spi.StoreBase}.
   *
   * @param mutations mutations in commit order; an empty list gives an empty list
   * @return one future per mutation, in the same order; each completes once that mutation is
   *     durable, or failed
   */
  List<Future<Void>> writeEach(List<Mutation> mutations);

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

  /**
   * @return whether this store can fence its writes ({@link #fence}); every driver does:
   *     PostgreSQL and MySQL/MariaDB with a locking read of the fence's row, Cassandra with a
   *     lightweight transaction on its fence table, SQLite and memory (for tests) in their one
   *     writer
   */
  default boolean fences() {
    return false;
  }

  /**
   * Sets (or clears) the fence every later write transaction checks first: {@link #write} and each
   * group of {@link #writeEach} lock the fence's row and fail with {@code fenced}, writing nothing,
   * when it does not hold the fence's value. Writes already committed are not affected; a group
   * being committed when the fence is set may check the old one. The call itself does no I/O: a
   * driver that needs some to take a fence over (Cassandra reads, completes and claims its fence
   * row) does it before the first write transaction that checks the new fence, and that write
   * fails with {@code fenced} when the fence does not hold.
   *
   * @param fence the condition, or null for none (the default)
   * @throws UnsupportedOperationException when {@link #fences()} is false
   */
  default void fence(Fence fence) {
    throw new UnsupportedOperationException("the store " + describe() + " cannot fence writes");
  }

  /** @return a short description for logs, e.g. {@code sqlite:/var/kora/kora.db}; never a password */
  String describe();
}
