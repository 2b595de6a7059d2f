package dev.kora.storage.spi;

import dev.kora.storage.ReadRange;
import dev.kora.tree.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The materialized-path layout every row store shares. A path is stored as its keys, each followed by
 * the separator U+0001, which sorts below every byte a key may hold (keys have no control characters):
 * {@code todos/t1/title} is {@code "todos\u0001t1\u0001title\u0001"}. So the byte order of encoded paths
 * is the tree's order, and a subtree is one contiguous range: every row of {@code todos/t1} lies in
 * {@code ["todos\u0001t1\u0001", "todos\u0001t1\u0002")}. Stores compare these strings by UTF-8 bytes
 * ({@code COLLATE "C"}, {@code VARBINARY}, SQLite's BINARY); in Java, {@link Path#compareKeys} gives the
 * same order.
 */
public final class PathEncoding {

  /** The separator after every key. */
  public static final char SEPARATOR = '\u0001';

  private PathEncoding() {
  }

  /**
   * @param path a path
   * @return its stored form; the root is {@code ""}
   */
  public static String encode(Path path) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < path.size(); i++) {
      out.append(path.key(i)).append(SEPARATOR);
    }
    return out.toString();
  }

  /**
   * @param encoded a stored path
   * @return the path
   */
  public static Path decode(String encoded) {
    List<String> keys = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < encoded.length(); i++) {
      if (encoded.charAt(i) == SEPARATOR) {
        keys.add(encoded.substring(start, i));
        start = i + 1;
      }
    }
    return Path.of(keys);
  }

  /**
   * @param encoded an encoded path (ending with the separator)
   * @return the smallest string above every row of its subtree: the last separator raised by one
   */
  public static String subtreeEnd(String encoded) {
    return encoded.substring(0, encoded.length() - 1) + (char) (SEPARATOR + 1);
  }

  /**
   * @param range a read range
   * @return the first stored path of the range (inclusive). With any bound set, a leaf at the base
   *     itself is left out: the bound is {@code base + fromChild + SEP}, or {@code base + SEP} when only
   *     {@code toChild} is set (above the base's own row, below every child's).
   */
  public static String lowerBound(ReadRange range) {
    String base = encode(range.base());
    if (range.isWhole()) {
      return base;
    }
    return range.fromChild() == null ? base + SEPARATOR : base + range.fromChild() + SEPARATOR;
  }

  /**
   * @param range a read range
   * @return the stored path the range stops before (exclusive), or null when the range runs to the end
   *     of the whole tree (the root without an upper bound)
   */
  public static String upperBound(ReadRange range) {
    String base = encode(range.base());
    if (range.toChild() != null) {
      return base + range.toChild() + SEPARATOR;
    }
    return range.base().isRoot() ? null : subtreeEnd(base);
  }
}
