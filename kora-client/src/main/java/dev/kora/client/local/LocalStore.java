package dev.kora.client.local;

import dev.kora.tree.Mutation;
import dev.kora.tree.Path;

/**
 * Where a {@link dev.kora.client.KoraClient} keeps what must outlive a connection (and, for a durable
 * store, the application): the data of each subscribed path with the version it reflects, and the
 * outbox of writes not yet confirmed. The client calls one store from one thread at a time, in order;
 * a {@link #blocking()} store is called on a worker thread, never on an event loop.
 *
 * <p>Every implementation passes {@code LocalStoreTestBase} (kora-client's test-jar), the SPI's one
 * conformance suite. Two ship: {@link MemoryLocalStore} (the default; nothing survives the JVM) and
 * {@link SqliteLocalStore} (one SQLite file).
 */
public interface LocalStore extends AutoCloseable {

  /** @return whether calls may block (disk I/O); the client then calls from a worker thread */
  boolean blocking();

  /**
   * Reads everything back, creating the client's identity on first use.
   *
   * @return the client id, the last outbox sequence number ever used, the cached paths and the
   *     outbox in order
   * @throws LocalStoreException when the store cannot be read
   */
  LocalState load();

  /**
   * Applies a change to the cached copy of a subscribed path and records its version in the same
   * step (atomically, for a durable store).
   *
   * @param path the subscribed path, e.g. {@code [todos]}
   * @param change the change, restricted to {@code path} (paths from the root, e.g.
   *     {@code {"merge":{"todos":{"t1":{"done":true}}},"delete":{}}}); a full answer carries a delete
   *     of {@code path} itself first
   * @param version the node's version the copy reflects afterwards
   */
  void apply(Path path, Mutation change, long version);

  /**
   * Forgets a path's cached copy (the application unsubscribed).
   *
   * @param path the subscribed path
   */
  void forget(Path path);

  /**
   * Appends a write to the outbox, durably before returning for a durable store, and records its
   * sequence number as used.
   *
   * @param write the write; its sequence is greater than every earlier one
   */
  void enqueue(PendingWrite write);

  /**
   * Records that the node committed a queued write.
   *
   * @param sequence the write's sequence number
   * @param version the version the node answered
   */
  void acknowledge(long sequence, long version);

  /**
   * Removes a write from the outbox (confirmed and reflected in every cached copy, or refused).
   *
   * @param sequence the write's sequence number; an unknown one is ignored
   */
  void remove(long sequence);

  /** Releases the store's resources; later calls fail. */
  @Override
  void close();

  /**
   * A write in the outbox.
   *
   * @param sequence its place in the client's order, from 1
   * @param id its idempotency id, e.g. {@code "c9f0...:17"} (docs/protocol.md, exactly-once writes)
   * @param mutation the mutation
   * @param version the version the node answered, or null while unconfirmed
   */
  record PendingWrite(long sequence, String id, Mutation mutation, Long version) {
  }
}
