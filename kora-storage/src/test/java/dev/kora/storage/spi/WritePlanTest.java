package dev.kora.storage.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The shared write plan: its rows, and that applying it gives the mutation's tree. */
class WritePlanTest {

  private static final char S = PathEncoding.SEPARATOR;

  private static Mutation mutation(String json) {
    return Mutation.fromJson(new JsonObject(json));
  }

  @Test
  void deletesThenUpsertsWithTheRangesUnderLeavesAndTheirAncestors() {
    WritePlan plan = WritePlan.of(mutation("{\"delete\": {\"gone\": 1},"
        + " \"merge\": {\"a\": {\"b\": {\"c\": 1}, \"d\": \"x\"}}}"), 100, "test");
    assertEquals(List.of(
        new WritePlan.Range("gone" + S, "gone\u0002"),
        new WritePlan.Range("a" + S + "b" + S + "c" + S + "\u0002", "a" + S + "b" + S + "c\u0002"),
        new WritePlan.Range("a" + S + "d" + S + "\u0002", "a" + S + "d\u0002")), plan.ranges());
    assertEquals(List.of("a" + S, "a" + S + "b" + S), plan.points());
    assertEquals(List.of(new WritePlan.Row("a" + S + "b" + S + "c" + S, "1"),
        new WritePlan.Row("a" + S + "d" + S, "\"x\"")), plan.upserts());
    assertEquals(7, plan.size());
  }

  @Test
  void emptyMutationsArePlannedAway() {
    List<WritePlan> plans = WritePlan.of(List.of(Mutation.empty(), mutation("{\"merge\": {}}"),
        Mutation.merge(Path.of("k"), true)), 100, "test");
    assertEquals(1, plans.size());
    assertEquals(2, WritePlan.size(plans));
  }

  /** Applies plans to sorted rows, as a store does, and compares with the tree's own semantics. */
  @Test
  void applyingPlansGivesTheMutationsTree() {
    List<Mutation> mutations = List.of(
        mutation("{\"merge\": {\"a\": {\"b\": 1, \"c\": {\"d\": 2}}, \"e\": [1]}}"),
        mutation("{\"merge\": {\"a\": {\"c\": \"leaf\"}, \"e\": {\"f\": 3}}}"),
        mutation("{\"delete\": {\"a\": {\"b\": 1}}, \"merge\": {\"a\": {\"b\": {\"x\": 4}},"
            + " \"ab\": 5, \"a b\": 6}}"),
        mutation("{\"merge\": {\"a\": {\"c\": null}, \"g\": {\"h\": {\"i\": true}}}}"),
        mutation("{\"delete\": {\"g\": 1}, \"merge\": {\"g\": 7}}"));
    NavigableMap<String, String> rows = new TreeMap<>(Path::compareKeys);
    JsonObject expected = new JsonObject();
    for (WritePlan plan : WritePlan.of(mutations, Integer.MAX_VALUE, "test")) {
      plan.ranges().forEach(range -> rows.subMap(range.from(), true, range.to(), false).clear());
      plan.points().forEach(rows::remove);
      plan.upserts().forEach(row -> rows.put(row.path(), row.valueJson()));
    }
    mutations.forEach(m -> m.applyTo(expected));
    List<String> actual = new ArrayList<>();
    rows.forEach((path, value) -> actual.add(PathEncoding.decode(path) + "=" + value));
    // the separator sorts below every key byte: the subtree of "a" comes before "a b"
    assertEquals(List.of("a/b/x=4", "a b=6", "ab=5", "e/f=3", "g=7"), actual);
    assertEquals(new JsonObject("{\"a\": {\"b\": {\"x\": 4}}, \"ab\": 5, \"a b\": 6,"
        + " \"e\": {\"f\": 3}, \"g\": 7}"), expected);
  }

  @Test
  void pathsOverTheLimitAreRefusedWithTooLarge() {
    Path path = Path.of("é".repeat(10), "x");
    int bytes = PathEncoding.encode(path).getBytes(StandardCharsets.UTF_8).length;
    assertEquals(23, bytes);
    assertEquals(1, WritePlan.of(List.of(Mutation.merge(path, 1)), 23, "test").size());
    KoraException error = assertThrows(KoraException.class,
        () -> WritePlan.of(List.of(Mutation.merge(path, 1)), 22, "test"));
    assertEquals(ErrorCode.TOO_LARGE, error.code());
    assertTrue(error.getMessage().contains("23 bytes") && error.getMessage().contains("22"),
        error.getMessage());
    // deletes are ranges, never stored: no limit
    assertEquals(1, WritePlan.of(List.of(Mutation.delete(path)), 1, "test").size());
  }

  @Test
  void utf8LengthCountsEverySize() {
    for (String text : List.of("", "abc", "é", "中", "😀", "a\u0001é中😀\uffff", "\ud800x")) {
      assertEquals(text.getBytes(StandardCharsets.UTF_8).length, WritePlan.utf8Length(text), text);
    }
  }
}
