package dev.kora.storage;

import dev.kora.tree.Path;
import java.util.Objects;

/**
 * The rows a {@link Store#read(ReadRange) read} returns: every leaf at or under {@code base} — a leaf at
 * {@code base} itself included — whose first key below {@code base} lies in
 * {@code [fromChild, toChild)} by UTF-8 byte order. For base {@code cities}, fromChild {@code "b"} and
 * toChild {@code "d"}, that is every leaf under {@code cities/b...} and {@code cities/c...}. A leaf at
 * {@code base} itself is returned only when no bound is set.
 *
 * @param base the subtree; the root reads everything
 * @param fromChild first child key included, or null for no lower bound
 * @param toChild child key to stop before, or null for no upper bound
 */
public record ReadRange(Path base, String fromChild, String toChild) {

  public ReadRange {
    Objects.requireNonNull(base, "base");
  }

  /**
   * @param base a subtree
   * @return the range of the whole subtree
   */
  public static ReadRange subtree(Path base) {
    return new ReadRange(base, null, null);
  }

  /** @return whether neither bound is set */
  public boolean isWhole() {
    return fromChild == null && toChild == null;
  }
}
