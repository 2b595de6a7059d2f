package dev.kora.storage.cassandra;

import dev.kora.storage.spi.PathEncoding;
import dev.kora.tree.Path;

/**
 * Where a leaf lives: its path's first {@code depth} keys, encoded by {@link PathEncoding}, are the
 * partition key ({@code part}) and the remaining keys, encoded the same way, the clustering key
 * ({@code path}). A leaf shallower than the depth has its whole path as partition key and the empty
 * string as clustering key; such a partition holds that one row only. So the encoded full path is
 * always {@code part + path}, and the byte order of {@code part} (the list of partitions) followed
 * by {@code path} (within each) is the tree's order. Immutable and thread-safe.
 *
 * <p>Example with depth 1: {@code todos/t1/title} is partition {@code "todos\u0001"}, clustering
 * key {@code "t1\u0001title\u0001"}; {@code motd} is partition {@code "motd\u0001"}, clustering key
 * {@code ""}. With depth 2, {@code todos} alone would be partition {@code "todos\u0001"} with
 * clustering key {@code ""}, and {@code todos/t1/title} partition {@code "todos\u0001t1\u0001"}.
 */
final class CassandraLayout {

  private final int depth;

  /** @param depth keys in a full partition key, at least 1 */
  CassandraLayout(int depth) {
    this.depth = depth;
  }

  /** @return keys in a full partition key */
  int depth() {
    return depth;
  }

  /** @return the partition key of the leaf at {@code path} (not the root) */
  String partition(Path path) {
    return PathEncoding.encode(path.prefix(Math.min(depth, path.size())));
  }

  /** @return the clustering key of the leaf at {@code path} within its partition */
  String clustering(Path path) {
    return path.size() <= depth ? "" : PathEncoding.encode(path.suffix(depth));
  }

  /**
   * @return whether the subtree of {@code path} spans several partitions (the path is shallower
   *     than the depth, the root included), so that reading or deleting it goes through the list of
   *     partitions
   */
  boolean spansPartitions(Path path) {
    return path.size() < depth;
  }

  /** @return the path of a stored row */
  static Path path(String partition, String clustering) {
    return PathEncoding.decode(partition + clustering);
  }
}
