package dev.kora.storage;

import dev.kora.tree.Path;

/**
 * A condition a store checks at the start of every write transaction: the leaf at {@link #path()}
 * holds {@link #value()} (or is absent when the value is null). The store locks that row for the
 * transaction, so a writer that changes the row (taking the store over) and a fenced writer's
 * transactions are serialized: once the row has changed, every later transaction of the fenced
 * writer fails with {@code fenced} and writes nothing. This is the fencing token of a cluster's
 * leader (docs/cluster.md: the leader's epoch at {@code kora:cluster/epoch}); it follows the
 * fencing-token scheme of Kleppmann, "How to do distributed locking" (2016).
 *
 * @param path the row checked, e.g. {@code kora:cluster/epoch}
 * @param value the leaf's JSON text as stored ({@code dev.kora.tree.LeafCodec}), e.g. {@code 7};
 *     null when the leaf must be absent
 */
public record Fence(Path path, String value) {

  public Fence {
    if (path == null) {
      throw new IllegalArgumentException("a fence needs a path");
    }
  }
}
