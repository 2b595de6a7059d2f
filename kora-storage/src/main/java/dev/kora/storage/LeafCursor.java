package dev.kora.storage;

import io.vertx.core.Future;
import java.util.List;

/**
 * Rows of a {@link Store#read(ReadRange) range read}, pulled in batches so that a subtree of any size
 * is read with bounded memory. Rows arrive in path order (keys by UTF-8 bytes). Not thread-safe: call
 * {@link #next(int)} again only after the previous future completed. Always {@link #close()} it, also
 * after the last batch, to free the connection it may hold.
 */
public interface LeafCursor {

  /**
   * @param maxRows the largest batch wanted, at least 1
   * @return the next rows, at most {@code maxRows}; an empty list once the range is exhausted. Fails
   *     with {@link dev.kora.tree.KoraException} code {@code store_unavailable} if the store is gone.
   */
  Future<List<StoredLeaf>> next(int maxRows);

  /** @return completes when the cursor's resources are freed; closing twice is harmless */
  Future<Void> close();
}
