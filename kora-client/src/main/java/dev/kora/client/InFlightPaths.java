package dev.kora.client;

import dev.kora.tree.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The paths that writes in flight touch, to tell whether another write overlaps one of them (one
 * path containing the other). Writes with no overlapping path commute: the tree ends the same
 * whichever commits first, so only those may be in flight together (see {@link Outbox}).
 */
final class InFlightPaths {

  /** Paths written or deleted by writes in flight, with how many writes touch each. */
  private final Map<Path, Integer> touched = new HashMap<>();
  /** Proper ancestors of those paths, counted the same way. */
  private final Map<Path, Integer> ancestors = new HashMap<>();

  /**
   * @param paths a write's paths
   * @param ancestors their proper ancestors ({@link #ancestorsOf})
   * @return whether any of {@code paths} overlaps a path in flight
   */
  boolean overlaps(List<Path> paths, List<Path> ancestors) {
    for (Path path : paths) {
      if (this.ancestors.containsKey(path) || touched.containsKey(path)) {
        return true;
      }
    }
    for (Path ancestor : ancestors) {
      if (touched.containsKey(ancestor)) {
        return true;
      }
    }
    return false;
  }

  /** @return the distinct proper ancestors of {@code paths}, the root included */
  static List<Path> ancestorsOf(List<Path> paths) {
    java.util.Set<Path> result = new java.util.LinkedHashSet<>();
    for (Path path : paths) {
      for (int length = 0; length < path.size(); length++) {
        result.add(path.prefix(length));
      }
    }
    return List.copyOf(result);
  }

  void add(List<Path> paths, List<Path> ancestors) {
    for (Path path : paths) {
      touched.merge(path, 1, Integer::sum);
    }
    for (Path ancestor : ancestors) {
      this.ancestors.merge(ancestor, 1, Integer::sum);
    }
  }

  void remove(List<Path> paths, List<Path> ancestors) {
    for (Path path : paths) {
      touched.computeIfPresent(path, (key, count) -> count == 1 ? null : count - 1);
    }
    for (Path ancestor : ancestors) {
      this.ancestors.computeIfPresent(ancestor, (key, count) -> count == 1 ? null : count - 1);
    }
  }

  void clear() {
    touched.clear();
    ancestors.clear();
  }
}
