package dev.kora.storage.cassandra;

import dev.kora.storage.cassandra.CassandraRedo.Kind;
import dev.kora.storage.cassandra.CassandraRedo.Op;
import dev.kora.storage.spi.PathEncoding;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongSupplier;

/**
 * Turns the mutations of one {@link CassandraStore#write} call into CQL statements, in three groups
 * run one after the other:
 *
 * <ol>
 *   <li>{@link #listed}: partition keys added to the list of partitions, every one with the
 *       highest timestamp of the write, so that a partition holding a live row of this write is
 *       always listed whatever else is written concurrently;</li>
 *   <li>{@link #data}: the deletes and inserts on the data table, one increasing timestamp each in
 *       mutation order, deletes before writes — Cassandra orders by timestamp, and at equal
 *       timestamps a tombstone would win over an insert;</li>
 *   <li>{@link #unlisted}: partitions removed from the list because the write deleted them whole,
 *       at the timestamp of that delete (so a later write that listed them again wins).</li>
 * </ol>
 *
 * <p>Deleting a subtree that spans partitions (a path shallower than the partition depth) deletes
 * every partition under it: the store first reads their keys from the list ({@link #spanning}), and
 * the plan adds the partitions that earlier mutations of the same write created. A leaf write must
 * also delete leaves at its ancestors; an ancestor shallower than the depth has a partition of its
 * own, and the store reads from the list which of those exist ({@link #shallowAncestors}) so that a
 * write inside one partition stays a single-partition batch (no batch log, no batch size limit)
 * unless such a leaf really is there. Not thread-safe; one plan per write.
 */
final class CassandraWritePlan {

  private final CassandraLayout layout;
  private final Path failAt;

  /** The operations on the data table, in order. */
  final List<Op> data = new ArrayList<>();
  final Set<String> listed = new LinkedHashSet<>();
  final Map<String, Long> unlisted = new LinkedHashMap<>();
  /** Removals of ranges of partition keys from the list ({@link Kind#UNLIST_RANGE}). */
  final List<Op> unlistedRanges = new ArrayList<>();
  /** The timestamp of the list additions: above every data timestamp. */
  long listTimestamp;

  /** Paths shallower than the depth whose subtrees the write deletes (their partitions needed). */
  final Set<Path> spanning = new LinkedHashSet<>();
  /** Partition keys of leaves shallower than the depth that written leaves would replace. */
  final Set<String> shallowAncestors = new LinkedHashSet<>();
  private Set<String> listedAncestors = Set.of();

  /** Partitions this write inserts into, for deletes of spanning subtrees later in the write. */
  private final NavigableSet<String> created = new TreeSet<>(Path.KEY_ORDER);

  /**
   * @param failAt a path whose leaf write is turned into an insert that Cassandra refuses (for the
   *     failure-injection tests), or null
   */
  CassandraWritePlan(CassandraLayout layout, Path failAt) {
    this.layout = layout;
    this.failAt = failAt;
  }

  /**
   * @return every operation of the built plan in the order the groups run: the list additions, the
   *     data, the list removals
   */
  List<Op> ops() {
    List<Op> all = new ArrayList<>(listed.size() + data.size() + unlisted.size()
        + unlistedRanges.size());
    listed.forEach(part -> all.add(new Op(Kind.LIST, part, null, null, listTimestamp)));
    all.addAll(data);
    unlisted.forEach((part, timestamp) -> all.add(new Op(Kind.UNLIST, part, null, null,
        timestamp)));
    all.addAll(unlistedRanges);
    return all;
  }

  /**
   * Finds what the store must read from the list of partitions before {@link #build}: fills
   * {@link #spanning} and {@link #shallowAncestors}.
   */
  void prepare(List<Mutation> mutations) {
    if (layout.depth() == 1) {
      return;
    }
    for (Mutation mutation : mutations) {
      Set<Path> deletes = new HashSet<>(mutation.deletes());
      for (Path path : deletes) {
        if (layout.spansPartitions(path)) {
          spanning.add(path);
        }
      }
      for (LeafWrite write : mutation.writes()) {
        Path path = write.path();
        int deleted = deletedFrom(deletes, path);
        if (layout.spansPartitions(path) && deleted > path.size()) {
          spanning.add(path);
        }
        for (int length = 1; length < Math.min(Math.min(path.size(), layout.depth()), deleted);
            length++) {
          shallowAncestors.add(layout.partition(path.prefix(length)));
        }
      }
    }
  }

  /**
   * Builds the statements.
   *
   * @param mutations the mutations, in order
   * @param partitionsUnder for each path of {@link #spanning}, the listed partition keys under it
   * @param listedAncestors the keys of {@link #shallowAncestors} that are listed
   * @param clock the store's timestamps, strictly increasing
   */
  void build(List<Mutation> mutations, Map<Path, List<String>> partitionsUnder,
      Set<String> listedAncestors, LongSupplier clock) {
    this.listedAncestors = listedAncestors;
    for (Mutation mutation : mutations) {
      Set<Path> deletes = new HashSet<>();
      for (Path path : mutation.deletes()) {
        deleteSubtree(path, partitionsUnder, clock.getAsLong());
        deletes.add(path);
      }
      // Within one mutation the writes never overlap each other, so what a delete of the same
      // mutation removed stays removed: skip deleting it again.
      Set<Path> ancestorsDone = new HashSet<>();
      for (LeafWrite write : mutation.writes()) {
        Path path = write.path();
        int deleted = deletedFrom(deletes, path);
        if (deleted > path.size()) {
          deleteSubtree(path, partitionsUnder, clock.getAsLong());
        }
        for (int length = 1; length < Math.min(path.size(), deleted); length++) {
          Path ancestor = path.prefix(length);
          if (ancestorsDone.add(ancestor)) {
            deleteLeaf(ancestor, clock.getAsLong());
          }
        }
        insert(path, write.valueJson(), clock.getAsLong());
      }
    }
    listTimestamp = clock.getAsLong();
    listed.forEach(unlisted::remove);
  }

  /**
   * @return the length of the shortest prefix of {@code path} (the path itself included) that one
   *     of the mutation's deletes removed, or {@code path.size() + 1} when none did
   */
  private static int deletedFrom(Set<Path> deletes, Path path) {
    if (!deletes.isEmpty()) {
      for (int length = 1; length <= path.size(); length++) {
        if (deletes.contains(path.prefix(length))) {
          return length;
        }
      }
    }
    return path.size() + 1;
  }

  private void deleteSubtree(Path path, Map<Path, List<String>> partitionsUnder, long timestamp) {
    String part = layout.partition(path);
    if (!layout.spansPartitions(path)) {
      String clustering = layout.clustering(path);
      if (clustering.isEmpty()) {
        deletePartition(part, timestamp);
      } else {
        data.add(new Op(Kind.DELETE_RANGE, part, clustering, PathEncoding.subtreeEnd(clustering),
            timestamp));
      }
      return;
    }
    String end = PathEncoding.subtreeEnd(part);
    Set<String> parts = new TreeSet<>(Path.KEY_ORDER);
    List<String> known = partitionsUnder.get(path);
    if (known != null) {
      parts.addAll(known);
    }
    parts.addAll(created.subSet(part, true, end, false));
    for (String each : parts) {
      data.add(new Op(Kind.DELETE_PARTITION, each, null, null, timestamp));
      listed.remove(each);
      unlisted.remove(each);
    }
    created.removeAll(parts);
    unlistedRanges.add(new Op(Kind.UNLIST_RANGE, part, end, null, timestamp));
  }

  /** Deletes the leaf row at an ancestor of a written leaf, if there is one. */
  private void deleteLeaf(Path path, long timestamp) {
    if (layout.spansPartitions(path)) {
      // a shallow leaf is alone in its partition, which is listed if the leaf is there
      String part = layout.partition(path);
      if (listedAncestors.contains(part) || created.contains(part)) {
        deletePartition(part, timestamp);
      }
    } else {
      data.add(new Op(Kind.DELETE_ROW, layout.partition(path), layout.clustering(path), null,
          timestamp));
    }
  }

  private void deletePartition(String part, long timestamp) {
    data.add(new Op(Kind.DELETE_PARTITION, part, null, null, timestamp));
    listed.remove(part);
    created.remove(part);
    unlisted.put(part, timestamp);
  }

  private void insert(Path path, String json, long timestamp) {
    String part = layout.partition(path);
    String clustering = layout.clustering(path);
    if (path.equals(failAt)) {
      // Cassandra refuses clustering keys over 65,535 bytes when it executes the batch
      clustering = clustering + "x".repeat(70_000);
    }
    data.add(new Op(Kind.INSERT, part, clustering, json, timestamp));
    listed.add(part);
    created.add(part);
  }
}
