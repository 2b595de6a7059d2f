package dev.kora.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.Test;

/**
 * Properties of the mutation semantics over random small trees and mutations. Keys come from a small
 * alphabet (with non-ASCII, a supplementary character and one whose UTF-16 and UTF-8 orders differ),
 * so paths collide often: leaf writes at ancestors, deletes above and below writes, nulls and empty
 * objects in merges, arrays.
 */
class MutationPropertiesTest {

  private static final int TRIES = 300;
  private static final List<String> KEYS =
      List.of("a", "b", "\u00e9", "\uD83D\uDE00", "\uE000");
  /** Stands for a JSON null inside generated maps. */
  private static final Object NULL = new Object();

  // ---- generators ----

  private static Arbitrary<Object> leaves() {
    return Arbitraries.oneOf(
        Arbitraries.integers().between(-2, 3).map(i -> (Object) i),
        Arbitraries.of("x", "y", "\u00e9", "").map(s -> (Object) s),
        Arbitraries.of(true, false).map(b -> (Object) b),
        Arbitraries.of(1.5, -0.25, 3.0).map(d -> (Object) d),
        Arbitraries.integers().between(0, 3).map(MutationPropertiesTest::array));
  }

  /** A fresh array each time: arrays are leaves, and may hold anything, objects included. */
  private static Object array(int kind) {
    return switch (kind) {
      case 0 -> new JsonArray();
      case 1 -> new JsonArray().add(1);
      case 2 -> new JsonArray().add(1).add("x").addNull();
      default -> new JsonArray().add(new JsonObject().put("a", 1)).add(new JsonArray());
    };
  }

  /** Mostly "a" and "b", so that paths in trees and mutations collide often. */
  private static Arbitrary<String> keys() {
    return Arbitraries.frequencyOf(Tuple.of(6, Arbitraries.just(KEYS.get(0))),
        Tuple.of(4, Arbitraries.just(KEYS.get(1))), Tuple.of(1, Arbitraries.of(KEYS.subList(2, 5))));
  }

  private static Arbitrary<JsonObject> objects(Arbitrary<Object> values) {
    return Arbitraries.maps(keys(), values).ofMaxSize(3).map(map -> {
      JsonObject object = new JsonObject();
      map.forEach((key, value) -> object.put(key, value == NULL ? null : value));
      return object;
    });
  }

  /** Raw trees, possibly with empty branches (pruned by {@link #trees()}). */
  private static Arbitrary<JsonObject> rawTree(int depth) {
    Arbitrary<Object> values = depth <= 1 ? leaves()
        : Arbitraries.frequencyOf(Tuple.of(3, leaves()),
            Tuple.of(3, rawTree(depth - 1).map(o -> (Object) o)));
    return objects(values);
  }

  @Provide
  Arbitrary<JsonObject> trees() {
    return rawTree(4).map(MutationPropertiesTest::prune);
  }

  private static Arbitrary<JsonObject> rawMerge(int depth) {
    List<Tuple.Tuple2<Integer, Arbitrary<Object>>> choices = new ArrayList<>(List.of(
        Tuple.of(5, leaves()),
        Tuple.of(1, Arbitraries.just(NULL)),
        Tuple.of(1, Arbitraries.create(JsonObject::new).map(o -> (Object) o))));
    if (depth > 1) {
      choices.add(Tuple.of(5, rawMerge(depth - 1).map(o -> (Object) o)));
    }
    return objects(Arbitraries.frequencyOf(choices));
  }

  private static Arbitrary<JsonObject> rawDelete(int depth) {
    Arbitrary<Object> one = Arbitraries.just(1);
    if (depth <= 1) {
      return objects(one);
    }
    return objects(Arbitraries.frequencyOf(Tuple.of(3, one),
        Tuple.of(1, Arbitraries.create(JsonObject::new).map(o -> (Object) o)),
        Tuple.of(2, rawDelete(depth - 1).map(o -> (Object) o))));
  }

  /** Wire-form mutations before normalization: nulls, empty objects, overlapping parts. */
  @Provide
  Arbitrary<JsonObject> rawMutations() {
    return Combinators.combine(rawMerge(4), rawDelete(3), Arbitraries.integers().between(0, 3))
        .as((merge, delete, parts) -> {
          JsonObject json = new JsonObject();
          if (parts != 2) {
            json.put("merge", merge);
          }
          if (parts != 1) {
            json.put("delete", delete);
          }
          return json;
        });
  }

  @Provide
  Arbitrary<Mutation> mutations() {
    return rawMutations().map(Mutation::fromJson);
  }

  @Provide
  Arbitrary<Path> paths() {
    return keys().list().ofMinSize(1).ofMaxSize(4).map(Path::of);
  }

  // ---- helpers ----

  /** Removes empty objects, bottom up. */
  private static JsonObject prune(JsonObject tree) {
    JsonObject result = new JsonObject();
    for (Map.Entry<String, Object> entry : tree) {
      Object value = entry.getValue();
      if (value instanceof JsonObject) {
        JsonObject child = prune((JsonObject) value);
        if (!child.isEmpty()) {
          result.put(entry.getKey(), child);
        }
      } else {
        result.put(entry.getKey(), value);
      }
    }
    return result;
  }

  /** The subtree at {@code path} kept as a tree from the root, as a subscribed client holds it. */
  private static JsonObject subtreeCopy(JsonObject tree, Path path) {
    Object value = Tree.get(tree, path);
    JsonObject copy = new JsonObject();
    if (value != null) {
      JsonObject node = copy;
      for (int i = 0; i < path.size() - 1; i++) {
        JsonObject child = new JsonObject();
        node.put(path.key(i), child);
        node = child;
      }
      node.put(path.lastKey(), value instanceof JsonObject ? ((JsonObject) value).copy()
          : value instanceof JsonArray ? ((JsonArray) value).copy() : value);
    }
    return copy;
  }

  /**
   * A deliberately naive reading of PROTOCOL.md on the raw wire form, independent of Mutation's
   * normalization: remove every path marked 1 in delete and every null in merge, then write every
   * merge leaf (making branches on the way), then drop empty objects.
   */
  private static JsonObject naiveApply(JsonObject tree, JsonObject raw) {
    JsonObject result = tree.copy();
    walk(raw.getJsonObject("delete", new JsonObject()), Path.ROOT,
        (path, one) -> naiveRemove(result, path));
    JsonObject merge = raw.getJsonObject("merge", new JsonObject());
    walk(merge, Path.ROOT, (path, value) -> {
      if (value == null) {
        naiveRemove(result, path);
      }
    });
    walk(merge, Path.ROOT, (path, value) -> {
      if (value != null) {
        naiveSet(result, path, value);
      }
    });
    return prune(result);
  }

  /** Visits every non-object value of a raw tree, nulls included. */
  private static void walk(JsonObject raw, Path base, BiConsumer<Path, Object> visitor) {
    for (Map.Entry<String, Object> entry : raw) {
      Path path = base.child(entry.getKey());
      if (entry.getValue() instanceof JsonObject) {
        walk((JsonObject) entry.getValue(), path, visitor);
      } else {
        visitor.accept(path, entry.getValue());
      }
    }
  }

  private static void naiveRemove(JsonObject tree, Path path) {
    JsonObject node = tree;
    for (int i = 0; i < path.size() - 1; i++) {
      if (!(node.getValue(path.key(i)) instanceof JsonObject)) {
        return;
      }
      node = node.getJsonObject(path.key(i));
    }
    node.remove(path.lastKey());
  }

  private static void naiveSet(JsonObject tree, Path path, Object leaf) {
    JsonObject node = tree;
    for (int i = 0; i < path.size() - 1; i++) {
      if (!(node.getValue(path.key(i)) instanceof JsonObject)) {
        node.put(path.key(i), new JsonObject());
      }
      node = node.getJsonObject(path.key(i));
    }
    node.put(path.lastKey(), leaf instanceof JsonArray ? ((JsonArray) leaf).copy() : leaf);
  }

  // ---- properties ----

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void applyingMatchesTheNaiveReadingOfTheRules(@ForAll("trees") JsonObject tree,
      @ForAll("rawMutations") JsonObject raw) {
    assertEquals(naiveApply(tree, raw), Mutation.fromJson(raw).apply(tree), raw::encode);
  }

  /**
   * The one thing {@code combine} cannot express. Writing under a leaf turns the leaf into a branch
   * (the leaf goes); if a later mutation deletes that write, the branch empties and disappears. So
   * "write q/x, then delete q/x" removes a leaf at q but only q/x under a branch at q, and no
   * merge+delete mutation does both: combine keeps {@code delete q/x}, the safe choice (it never
   * removes other data), which leaves the leaf at q standing. This returns every such q: a leaf at a
   * strict ancestor of a delete in a later mutation that covers a write in an earlier one.
   */
  private static List<Path> staleLeafCandidates(JsonObject tree, List<Mutation> sequence) {
    List<JsonObject> before = new ArrayList<>();
    JsonObject state = tree.copy();
    for (Mutation m : sequence) {
      before.add(state.copy());
      m.applyTo(state);
    }
    List<Path> result = new ArrayList<>();
    for (int i = 0; i < sequence.size(); i++) {
      for (int j = i + 1; j < sequence.size(); j++) {
        for (LeafWrite write : sequence.get(i).writes()) {
          for (Path deleted : sequence.get(j).deletes()) {
            if (!deleted.contains(write.path())) {
              continue;
            }
            for (int length = 1; length < deleted.size(); length++) {
              Object value = Tree.get(before.get(i), deleted.prefix(length));
              if (value != null && !(value instanceof JsonObject)) {
                result.add(deleted.prefix(length));
              }
            }
          }
        }
      }
    }
    return result;
  }

  /**
   * Asserts that applying a combined mutation gives the result of applying the sequence in order,
   * except for the stale leaves of {@link #staleLeafCandidates}, which are the only difference allowed.
   */
  private static void assertSameEffect(JsonObject tree, List<Mutation> sequence,
      JsonObject inOrder, JsonObject combined) {
    if (inOrder.equals(combined)) {
      return;
    }
    List<Path> stale = staleLeafCandidates(tree, sequence);
    assertFalse(stale.isEmpty(), () -> "combined " + combined.encode() + " but in order "
        + inOrder.encode() + " for " + sequence + " on " + tree.encode());
    JsonObject cleaned = combined.copy();
    for (Path path : stale) {
      Object value = Tree.get(cleaned, path);
      if (value != null && !(value instanceof JsonObject)) {
        Tree.remove(cleaned, path);
      }
    }
    assertEquals(inOrder, cleaned, () -> "beyond stale leaves at " + stale + ": " + sequence
        + " on " + tree.encode());
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void combineHasTheEffectOfApplyingInOrder(@ForAll("trees") JsonObject tree,
      @ForAll("rawMutations") JsonObject rawA, @ForAll("rawMutations") JsonObject rawB) {
    Mutation a = Mutation.fromJson(rawA);
    Mutation b = Mutation.fromJson(rawB);
    JsonObject inOrder = b.apply(a.apply(tree));
    assertEquals(naiveApply(naiveApply(tree, rawA), rawB), inOrder);
    JsonObject combined = a.combine(b).apply(tree);
    TreeChecks.assertWellFormed(combined);
    assertSameEffect(tree, List.of(a, b), inOrder, combined);
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void combineIsExactWithoutWritesUnderLeaves(@ForAll("trees") JsonObject tree,
      @ForAll("mutations") Mutation a, @ForAll("mutations") Mutation b) {
    // Starting from a tree with no leaf above any path a writes, the combination is exact.
    JsonObject branchesOnly = tree.copy();
    for (LeafWrite write : a.writes()) {
      for (int length = 1; length < write.path().size(); length++) {
        Object value = Tree.get(branchesOnly, write.path().prefix(length));
        if (value != null && !(value instanceof JsonObject)) {
          Tree.remove(branchesOnly, write.path().prefix(length));
        }
      }
    }
    assertEquals(b.apply(a.apply(branchesOnly)), a.combine(b).apply(branchesOnly));
  }

  @Test
  void combineCannotRemoveALeafThatAWriteUnderItRemovedBeforeBeingDeleted() {
    // Pins the limitation described at staleLeafCandidates.
    Mutation write = Mutation.merge(Path.of("q", "x"), 0);
    Mutation delete = Mutation.delete(Path.of("q", "x"));
    JsonObject leaf = new JsonObject().put("q", 5);
    JsonObject branch = new JsonObject().put("q", new JsonObject().put("x", 1).put("y", 2));
    assertEquals(new JsonObject(), delete.apply(write.apply(leaf)));
    assertEquals(new JsonObject().put("q", new JsonObject().put("y", 2)),
        delete.apply(write.apply(branch)));
    Mutation combined = write.combine(delete);
    assertEquals(delete, combined);
    assertEquals(leaf, combined.apply(leaf), "the stale leaf stays");
    assertEquals(delete.apply(write.apply(branch)), combined.apply(branch));
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void combineIsAssociativeInEffect(@ForAll("trees") JsonObject tree,
      @ForAll("mutations") Mutation a, @ForAll("mutations") Mutation b,
      @ForAll("mutations") Mutation c) {
    List<Mutation> sequence = List.of(a, b, c);
    JsonObject inOrder = c.apply(b.apply(a.apply(tree)));
    assertSameEffect(tree, sequence, inOrder, a.combine(b).combine(c).apply(tree));
    assertSameEffect(tree, sequence, inOrder, a.combine(b.combine(c)).apply(tree));
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void combinedMutationsAreNormalized(@ForAll("mutations") Mutation a,
      @ForAll("mutations") Mutation b) {
    assertNormalized(a);
    assertNormalized(a.combine(b));
  }

  private static void assertNormalized(Mutation m) {
    assertEquals(m, Mutation.fromJson(m.toJson()), "the wire form round trips");
    TreeChecks.assertWellFormed(m.merge());
    Tree.forEachLeaf(m.delete(), Path.ROOT, (path, one) -> assertEquals(1, one, "delete leaf"));
    List<Path> deletes = m.deletes();
    for (Path p : deletes) {
      for (Path q : deletes) {
        assertTrue(p.equals(q) || !p.contains(q), () -> "deletes overlap in " + m);
      }
    }
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void diffTurnsOneTreeIntoTheOther(@ForAll("trees") JsonObject from,
      @ForAll("trees") JsonObject to, @ForAll("mutations") Mutation m) {
    assertEquals(to, Mutation.diff(from, to).apply(from));
    JsonObject changed = m.apply(from);
    assertEquals(changed, Mutation.diff(from, changed).apply(from));
    assertTrue(Mutation.diff(from, from.copy()).isEmpty());
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void applyingKeepsTheTreeWellFormed(@ForAll("trees") JsonObject tree,
      @ForAll("mutations") Mutation m) {
    TreeChecks.assertWellFormed(tree);
    JsonObject before = tree.copy();
    JsonObject after = m.apply(tree);
    assertEquals(before, tree, "apply leaves its argument alone");
    TreeChecks.assertWellFormed(after);
  }

  /**
   * What a resume relies on (PROTOCOL.md, {@code since}): a client holding the subtree at a path
   * converges by applying the combination of the later mutations restricted to the path, and then
   * the current value of each path the combiner calls unsettled (a delete of it and its data); with
   * none unsettled, the combination alone is exact.
   */
  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void aCombinationPlusTheUnsettledPathsConverges(@ForAll("trees") JsonObject tree,
      @ForAll("paths") Path path, @ForAll("mutations") Mutation a,
      @ForAll("mutations") Mutation b, @ForAll("mutations") Mutation c,
      @ForAll("mutations") Mutation d) {
    JsonObject server = tree.copy();
    MutationCombiner combiner = new MutationCombiner();
    for (Mutation m : List.of(a, b, c, d)) {
      m.applyTo(server);
      combiner.add(m.restrictTo(path));
    }
    JsonObject client = combiner.result().apply(subtreeCopy(tree, path));
    List<Path> unsettled = combiner.unsettled();
    for (Path stale : unsettled) {
      if (!path.contains(stale) && !stale.contains(path)) {
        continue;
      }
      Path reread = path.contains(stale) ? stale : path;
      Mutation.delete(reread).applyTo(client);
      Object current = Tree.get(server, reread);
      if (current != null) {
        Mutation.merge(reread, current).applyTo(client);
      }
    }
    assertEquals(subtreeCopy(server, path), client, () -> "unsettled " + unsettled + " for "
        + List.of(a, b, c, d) + " on " + tree.encode() + " at " + path);
  }

  /**
   * What a resume does (kora-node's Resume): the combination of the later mutations restricted to
   * the path, then a delete of each path of {@link MutationCombiner#unsettledUnder} that the data
   * no longer holds; the client's copy converges without re-reading any data.
   */
  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void aCombinationPlusDeletesOfTheAbsentUnsettledPathsConverges(@ForAll("trees") JsonObject tree,
      @ForAll("paths") Path path, @ForAll("mutations") Mutation a,
      @ForAll("mutations") Mutation b, @ForAll("mutations") Mutation c,
      @ForAll("mutations") Mutation d) {
    JsonObject server = tree.copy();
    MutationCombiner combiner = new MutationCombiner();
    for (Mutation m : List.of(a, b, c, d)) {
      m.applyTo(server);
      combiner.add(m.restrictTo(path));
    }
    JsonObject client = combiner.result().apply(subtreeCopy(tree, path));
    List<Path> unsettled = combiner.unsettledUnder(path);
    for (Path stale : unsettled) {
      assertTrue(path.contains(stale), () -> stale + " is not under " + path);
      if (Tree.get(server, stale) == null) {
        Mutation.delete(stale).applyTo(client);
      }
    }
    assertEquals(subtreeCopy(server, path), client, () -> "unsettled " + unsettled + " for "
        + List.of(a, b, c, d) + " on " + tree.encode() + " at " + path);
  }

  @Test
  void everyUnsettledPathUnderAScopeIsReportedNotOnlyTheOutermost() {
    // on {"r": {"a": 9, "b": 1}}: r/a/x written then deleted; r still holds b, r/a is empty
    MutationCombiner combiner = new MutationCombiner()
        .add(Mutation.merge(Path.of("r", "a", "x"), 1))
        .add(Mutation.delete(Path.of("r", "a", "x")));
    assertEquals(List.of(Path.of("r")), combiner.unsettled());
    assertEquals(List.of(Path.of("r"), Path.of("r", "a")), combiner.unsettledUnder(Path.of("r")));
    assertEquals(List.of(Path.of("r", "a")), combiner.unsettledUnder(Path.of("r", "a")));
    assertEquals(List.of(), combiner.unsettledUnder(Path.of("r", "b")));
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void withNothingUnsettledTheCombinationIsExact(@ForAll("trees") JsonObject tree,
      @ForAll("mutations") Mutation a, @ForAll("mutations") Mutation b,
      @ForAll("mutations") Mutation c) {
    MutationCombiner combiner = new MutationCombiner().add(a).add(b).add(c);
    if (combiner.unsettled().isEmpty()) {
      assertEquals(c.apply(b.apply(a.apply(tree))), combiner.result().apply(tree),
          () -> List.of(a, b, c) + " on " + tree.encode());
    }
    assertEquals(a.combine(b).combine(c).apply(tree), combiner.result().apply(tree),
        "combining at once or pairwise has one effect");
  }

  @Test
  void theLeafUnderWhichSomethingWasWrittenThenDeletedIsUnsettled() {
    // PROTOCOL.md's example: on {"x": 1}, x/y written then deleted leaves {}; the combination,
    // "delete x/y", would keep x = 1, so x must be re-read.
    MutationCombiner combiner = new MutationCombiner()
        .add(Mutation.merge(Path.of("x", "y"), 2)).add(Mutation.delete(Path.of("x", "y")));
    assertEquals(List.of(Path.of("x")), combiner.unsettled());
    assertEquals(Mutation.delete(Path.of("x", "y")), combiner.result());
    MutationCombiner settled = new MutationCombiner()
        .add(Mutation.merge(Path.of("x", "y"), 2)).add(Mutation.delete(Path.of("x", "y")))
        .add(Mutation.merge(Path.of("x", "z"), 3));
    assertEquals(List.of(), settled.unsettled(), "a later write under x clears the leaf again");
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void restrictedMutationsKeepASubscribedCopyEqual(@ForAll("trees") JsonObject tree,
      @ForAll("paths") Path path, @ForAll("mutations") Mutation a,
      @ForAll("mutations") Mutation b, @ForAll("mutations") Mutation c) {
    JsonObject server = tree.copy();
    JsonObject client = subtreeCopy(tree, path);
    for (Mutation m : List.of(a, b, c)) {
      m.applyTo(server);
      Mutation pushed = m.restrictTo(path);
      pushed.applyTo(client);
      assertEquals(Tree.get(server, path), Tree.get(client, path), () -> "after " + m);
      assertEquals(subtreeCopy(server, path), client, "the client holds nothing else");
      assertEquals(m.touches(path), !pushed.isEmpty(), () -> m + " at " + path);
    }
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void applyingTwiceIsApplyingOnce(@ForAll("trees") JsonObject tree,
      @ForAll("mutations") Mutation m) {
    JsonObject once = m.apply(tree);
    assertEquals(once, m.apply(once));
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void treeBuilderRebuildsATreeFromItsLeaves(@ForAll("trees") JsonObject tree) {
    TreeBuilder builder = new TreeBuilder();
    Tree.forEachLeaf(tree, Path.ROOT, builder::add);
    assertEquals(tree, builder.build());
    assertEquals(Tree.countLeaves(tree), builder.leafCount());
    // The leaves' JSON text, the stored form, decodes back to equal leaves.
    TreeBuilder decoded = new TreeBuilder();
    Tree.forEachLeaf(tree, Path.ROOT,
        (path, leaf) -> decoded.add(path, LeafCodec.decode(LeafCodec.encode(leaf))));
    assertEquals(tree, decoded.build());
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void layersAreTheMutationsSubtrees(@ForAll("mutations") Mutation m) {
    Map<Path, Mutation> layers = m.layers();
    assertEquals(m, layers.get(Path.ROOT));
    layers.forEach((path, layer) -> {
      Object merge = Tree.get(m.merge(), path);
      Object delete = Tree.get(m.delete(), path);
      assertEquals(merge instanceof JsonObject ? merge : new JsonObject(), layer.merge());
      assertEquals(delete instanceof JsonObject ? delete : new JsonObject(), layer.delete());
      assertTrue(merge instanceof JsonObject || delete instanceof JsonObject || path.isRoot());
    });
  }

  @Property(tries = TRIES, edgeCases = EdgeCasesMode.NONE)
  void inflatedMutationsActOnlyUnderTheirPath(@ForAll("trees") JsonObject tree,
      @ForAll("paths") Path path, @ForAll("mutations") Mutation m) {
    Mutation inflated = m.inflate(path);
    assertEquals(inflated, inflated.restrictTo(path));
    JsonObject after = inflated.apply(tree);
    // Everywhere outside the path's line nothing changes.
    for (Path other : List.of(Path.of("a", "b"), Path.of("b"), Path.of("\u00e9", "a"))) {
      if (!other.overlaps(path)) {
        assertEquals(Tree.get(tree, other), Tree.get(after, other));
      }
    }
    // Under a branch at the path, the inflated mutation acts as the mutation on that branch.
    if (Tree.get(tree, path) instanceof JsonObject) {
      Object expected = m.apply((JsonObject) Tree.get(tree, path));
      Object actual = Tree.get(after, path);
      assertEquals(((JsonObject) expected).isEmpty() ? null : expected, actual);
    }
    assertFalse(m.isEmpty() != inflated.isEmpty());
  }
}
