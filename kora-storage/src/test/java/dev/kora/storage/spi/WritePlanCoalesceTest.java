package dev.kora.storage.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@link WritePlan#coalesce}: fewer, larger plans with exactly the effect of the plans applied one by
 * one, checked on a row model of the table against random mutation sequences.
 */
class WritePlanCoalesceTest {

  private static final char S = PathEncoding.SEPARATOR;

  /** Applies plans to rows as a store does: ranges and points deleted, then upserts. */
  private static void apply(List<WritePlan> plans, NavigableMap<String, String> rows) {
    for (WritePlan plan : plans) {
      for (WritePlan.Range range : plan.ranges()) {
        rows.subMap(range.from(), true, range.to(), false).clear();
      }
      for (String point : plan.points()) {
        rows.remove(point);
      }
      for (WritePlan.Row row : plan.upserts()) {
        rows.put(row.path(), row.valueJson());
      }
    }
  }

  private static List<WritePlan> plans(Mutation... mutations) {
    return WritePlan.of(List.of(mutations), 1000, "test");
  }

  @Test
  void siblingWritesBecomeOnePlanAndTheirAncestorsAreDeletedOnce() {
    List<WritePlan> coalesced = WritePlan.coalesce(plans(
        Mutation.merge(Path.of("bench", "w", "k1"), 1),
        Mutation.merge(Path.of("bench", "w", "k2"), 2),
        Mutation.merge(Path.of("bench", "w", "k3"), 3)));
    assertEquals(1, coalesced.size());
    assertEquals(List.of("bench" + S, "bench" + S + "w" + S), coalesced.get(0).points());
    assertEquals(3, coalesced.get(0).ranges().size());
    assertEquals(3, coalesced.get(0).upserts().size());
  }

  @Test
  void aRowWrittenTwiceIsUpsertedOnceWithTheLaterValue() {
    List<WritePlan> coalesced = WritePlan.coalesce(plans(
        Mutation.merge(Path.of("a", "x"), 1),
        Mutation.merge(Path.of("a", "y"), 2),
        Mutation.merge(Path.of("a", "x"), 3)));
    assertEquals(1, coalesced.size());
    assertEquals(List.of(new WritePlan.Row("a" + S + "x" + S, "3"),
        new WritePlan.Row("a" + S + "y" + S, "2")), coalesced.get(0).upserts());
  }

  @Test
  void aDeleteOfAnEarlierUpsertStartsANewPlan() {
    List<WritePlan> coalesced = WritePlan.coalesce(plans(
        Mutation.merge(Path.of("a", "b"), 1),
        Mutation.delete(Path.of("a")),
        Mutation.merge(Path.of("a", "c"), 2)));
    assertEquals(2, coalesced.size());
    NavigableMap<String, String> rows = new TreeMap<>();
    apply(coalesced, rows);
    assertEquals(new TreeMap<>(java.util.Map.of("a" + S + "c" + S, "2")), rows);
  }

  @Test
  void aWriteUnderAnEarlierLeafStartsANewPlanAndDeletesTheLeaf() {
    NavigableMap<String, String> rows = new TreeMap<>();
    apply(WritePlan.coalesce(plans(
        Mutation.merge(Path.of("a"), 1),
        Mutation.merge(Path.of("a", "b"), 2),
        Mutation.merge(Path.of("a"), 3),
        Mutation.merge(Path.of("a", "b", "c"), 4))), rows);
    assertEquals(new TreeMap<>(java.util.Map.of("a" + S + "b" + S + "c" + S, "4")), rows);
  }

  @Test
  void aPointDeleteIsKeptWhenTheRowWasWrittenAgainInBetween() {
    NavigableMap<String, String> rows = new TreeMap<>();
    apply(WritePlan.coalesce(plans(
        Mutation.merge(Path.of("p", "x"), 1),
        Mutation.merge(Path.of("p"), "leaf"),
        Mutation.merge(Path.of("p", "y"), 2))), rows);
    assertEquals(new TreeMap<>(java.util.Map.of("p" + S + "y" + S, "2")), rows);
  }

  @Test
  void randomSequencesHaveTheSameEffectAsPlanByPlan() {
    Random random = new Random(20261122);
    String[] keys = {"a", "b", "c", "é", "\uD83D\uDE00", "\uE000"};
    for (int round = 0; round < 2_000; round++) {
      NavigableMap<String, String> start = new TreeMap<>();
      apply(plans(randomMutation(random, keys), randomMutation(random, keys),
          randomMutation(random, keys)), start);
      List<Mutation> mutations = new ArrayList<>();
      for (int i = random.nextInt(12); i >= 0; i--) {
        mutations.add(randomMutation(random, keys));
      }
      List<WritePlan> plans = WritePlan.of(mutations, 1000, "test");
      NavigableMap<String, String> oneByOne = new TreeMap<>(start);
      apply(plans, oneByOne);
      NavigableMap<String, String> coalesced = new TreeMap<>(start);
      apply(WritePlan.coalesce(plans), coalesced);
      assertEquals(oneByOne, coalesced, "round " + round + ": " + mutations);
      for (WritePlan plan : WritePlan.coalesce(plans)) {
        assertEquals(plan.upserts().size(), plan.upserts().stream().map(WritePlan.Row::path)
            .distinct().count(), "each row upserted once per plan");
      }
    }
  }

  private static Mutation randomMutation(Random random, String[] keys) {
    List<String> path = new ArrayList<>();
    for (int depth = 1 + random.nextInt(3); depth > 0; depth--) {
      path.add(keys[random.nextInt(keys.length)]);
    }
    Path at = Path.of(path.toArray(new String[0]));
    return random.nextInt(4) == 0 ? Mutation.delete(at) : Mutation.merge(at, random.nextInt(100));
  }
}
