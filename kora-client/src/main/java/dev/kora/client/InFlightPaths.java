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

  /** @return whether any of {@code paths} overlaps a path in flight */
  boolean overlaps(List<Path> paths) {
    for (Path path : paths) {
      if (ancestors.containsKey(path)) {
        return true;
      }
      for (int length = 0; length <= path.size(); length++) {
        if (touched.containsKey(length == path.size() ? path : path.prefix(length))) {
          return true;
        }
      }
    }
    return false;
  }

  void add(List<Path> paths) {
    for (Path path : paths) {
      touched.merge(path, 1, Integer::sum);
      for (int length = 0; length < path.size(); length++) {
        ancestors.merge(path.prefix(length), 1, Integer::sum);
      }
    }
  }

  void remove(List<Path> paths) {
    for (Path path : paths) {
      touched.computeIfPresent(path, (key, count) -> count == 1 ? null : count - 1);
      for (int length = 0; length < path.size(); length++) {
        ancestors.computeIfPresent(path.prefix(length), (key, count) -> count == 1 ? null
            : count - 1);
      }
    }
  }

  void clear() {
    touched.clear();
    ancestors.clear();
  }
}
