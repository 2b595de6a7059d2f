package dev.kora.tree;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Combines a sequence of mutations into one, one at a time, in time linear in what each adds (plus a
 * logarithmic lookup): {@link #add} them in commit order, then {@link #result()} has the same effect
 * as applying them in that order (Riptide's {@code Mutation.combine}, which {@link Mutation#combine}
 * runs through this class). A wide delete or leaf write erases the narrower merges and deletes under
 * it; a leaf written and then written under becomes a delete of that path plus the later write.
 *
 * <p>One effect cannot be carried by a merge/delete mutation: writing under a path removes a leaf
 * stored at that path (a leaf becomes a branch), and when a later delete then removes what was
 * written there, the combined mutation no longer writes under the path, so a tree that held a leaf at
 * it keeps the leaf. Example: on {@code {"x": 1}}, merge {@code x/y = 2} then delete {@code x/y}
 * leaves {@code {}}, but the combination ("delete x/y") leaves {@code {"x": 1}}. Deleting the path
 * instead would be wrong for a tree where it holds other children. Such paths are reported by
 * {@link #unsettled()}: a client that resumes must get their current value (a delete of the path and
 * its data), which only the store knows. PROTOCOL.md's resume rule ({@code since}) is built on this.
 *
 * <p>Not thread-safe; a combiner is used by one reader at a time.
 */
public final class MutationCombiner {

  private final NavigableSet<Path> deletes = new TreeSet<>();
  private final NavigableMap<Path, Object> writes = new TreeMap<>();
  private final NavigableSet<Path> lostClears = new TreeSet<>();
  private int added;

  /**
   * Adds the next mutation of the sequence.
   *
   * @param next a mutation applied after every one added before
   * @return this combiner
   */
  public MutationCombiner add(Mutation next) {
    if (next.isEmpty()) {
      return this;
    }
    added++;
    for (Path path : next.deletes()) {
      if (removeContained(writes.navigableKeySet(), path)) {
        // The removed writes also cleared leaves above the deleted path; the delete does not.
        for (int length = path.size() - 1; length > 0; length--) {
          lostClears.add(path.prefix(length));
        }
      }
      deletes.add(path);
    }
    for (LeafWrite write : next.writes()) {
      Path path = write.path();
      removeContained(writes.navigableKeySet(), path);
      for (int length = path.size() - 1; length > 0; length--) {
        Path ancestor = path.prefix(length);
        if (writes.remove(ancestor) != null) {
          // The earlier leaf at the ancestor was erased when this write went under it.
          deletes.add(ancestor);
        }
      }
      writes.put(path, write.value());
    }
    return this;
  }

  /** @return how many non-empty mutations were added */
  public int added() {
    return added;
  }

  /** @return the combined mutation so far; the combiner can go on being added to */
  public Mutation result() {
    List<Path> keptDeletes = new ArrayList<>();
    Path lastKept = null;
    for (Path path : deletes) {
      if (lastKept != null && lastKept.contains(path)) {
        continue;
      }
      if (writtenAtOrAbove(path)) {
        continue;
      }
      keptDeletes.add(path);
      lastKept = path;
    }
    List<LeafWrite> keptWrites = new ArrayList<>(writes.size());
    writes.forEach((path, value) -> keptWrites.add(new LeafWrite(path, value)));
    return Mutation.fromFlat(keptDeletes, keptWrites);
  }

  /**
   * The paths where the sequence cleared a leaf that {@link #result()} does not clear: a write under
   * the path, later deleted, while the combination writes nothing at, under or above the path and
   * deletes nothing at or above it. Applying the combination to a tree that held a leaf at such a
   * path keeps that leaf, where applying the sequence would not.
   *
   * @return the outermost such paths (none contains another), in path order; empty in the common case.
   *     A client that re-reads each (a delete of it, then its current data) converges; one that can
   *     only check which paths are absent needs {@link #unsettledUnder} instead.
   */
  public List<Path> unsettled() {
    List<Path> result = new ArrayList<>();
    Path lastKept = null;
    for (Path path : lostClears) {
      if (lastKept != null && lastKept.contains(path)) {
        continue;
      }
      if (writtenAtOrUnder(path) || writtenAtOrAbove(path) || deletedAtOrAbove(path)) {
        continue;
      }
      result.add(path);
      lastKept = path;
    }
    return result;
  }

  /**
   * Every unsettled path at or under {@code scope}, not only the outermost: for a client that holds
   * the subtree at {@code scope} and can only check whether each path is absent now (not re-read
   * it), as a resume does. Its copy converges when, after the combination, it deletes each of these
   * paths that is absent from the data: the one leaf it may hold on a path's chain was cleared
   * exactly when that path is here and absent. Example: after {@code r/a = 9} and {@code r/b = 1},
   * merging {@code r/a/x = 1} then deleting {@code r/a/x} gives {@code [r, r/a]} under {@code r};
   * {@code r} is present ({@code r/b}), {@code r/a} absent, so the client deletes {@code r/a}.
   *
   * @param scope the path the client holds, e.g. {@code r}; the root for the whole tree
   * @return the paths in path order (an ancestor before its descendants); empty in the common case
   */
  public List<Path> unsettledUnder(Path scope) {
    List<Path> result = new ArrayList<>();
    for (Path path : lostClears.tailSet(scope, true)) {
      if (!scope.contains(path)) {
        break;
      }
      if (!writtenAtOrUnder(path) && !writtenAtOrAbove(path) && !deletedAtOrAbove(path)) {
        result.add(path);
      }
    }
    return result;
  }

  /** Removes every path in {@code paths} that {@code prefix} contains (itself included). */
  private static boolean removeContained(NavigableSet<Path> paths, Path prefix) {
    boolean removed = false;
    Iterator<Path> tail = paths.tailSet(prefix, true).iterator();
    while (tail.hasNext()) {
      if (!prefix.contains(tail.next())) {
        break;
      }
      tail.remove();
      removed = true;
    }
    return removed;
  }

  private boolean writtenAtOrAbove(Path path) {
    for (int length = path.size(); length > 0; length--) {
      if (writes.containsKey(path.prefix(length))) {
        return true;
      }
    }
    return false;
  }

  private boolean writtenAtOrUnder(Path path) {
    Path next = writes.ceilingKey(path);
    return next != null && path.contains(next);
  }

  private boolean deletedAtOrAbove(Path path) {
    for (int length = path.size(); length > 0; length--) {
      if (deletes.contains(path.prefix(length))) {
        return true;
      }
    }
    return false;
  }
}
