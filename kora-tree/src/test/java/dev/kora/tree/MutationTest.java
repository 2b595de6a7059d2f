package dev.kora.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MutationTest {

  private static JsonObject json(String text) {
    return new JsonObject(text);
  }

  private static String codeOf(String mutationJson) {
    return assertThrows(KoraException.class, () -> Mutation.fromJson(json(mutationJson))).code();
  }

  // ---- validation ----

  static Stream<Arguments> invalidMutations() {
    String deep = "{\"k\":".repeat(33) + "1" + "}".repeat(33);
    String deepDelete = "{\"k\":".repeat(33) + "1" + "}".repeat(33);
    String deepNull = "{\"k\":".repeat(33) + "null" + "}".repeat(33);
    return Stream.of(
        Arguments.of("{\"delete\":{\"a\":2}}", ErrorCode.INVALID_MUTATION),
        Arguments.of("{\"delete\":{\"a\":0}}", ErrorCode.INVALID_MUTATION),
        Arguments.of("{\"delete\":{\"a\":1.5}}", ErrorCode.INVALID_MUTATION),
        Arguments.of("{\"delete\":{\"a\":true}}", ErrorCode.INVALID_MUTATION),
        Arguments.of("{\"delete\":{\"a\":\"1\"}}", ErrorCode.INVALID_MUTATION),
        Arguments.of("{\"delete\":{\"a\":null}}", ErrorCode.INVALID_MUTATION),
        Arguments.of("{\"delete\":{\"a\":[1]}}", ErrorCode.INVALID_MUTATION),
        Arguments.of("{\"delete\":{\"a\":{\"b\":{\"c\":2}}}}", ErrorCode.INVALID_MUTATION),
        Arguments.of("{\"merge\":{},\"set\":{}}", ErrorCode.INVALID_MUTATION),
        Arguments.of("{\"type\":\"mutation\"}", ErrorCode.INVALID_MUTATION),
        Arguments.of("{\"merge\":[1]}", ErrorCode.INVALID_MUTATION),
        Arguments.of("{\"merge\":\"x\"}", ErrorCode.INVALID_MUTATION),
        Arguments.of("{\"merge\":1}", ErrorCode.INVALID_MUTATION),
        Arguments.of("{\"delete\":[]}", ErrorCode.INVALID_MUTATION),
        Arguments.of("{\"delete\":true}", ErrorCode.INVALID_MUTATION),
        Arguments.of("{\"merge\":{\"a\":{\"b\":{\"c/d\":1}}}}", ErrorCode.INVALID_KEY),
        Arguments.of("{\"merge\":{\"a\":{\"b\":{\"\":1}}}}", ErrorCode.INVALID_KEY),
        Arguments.of("{\"merge\":{\"a\":{\"b\":{\"x\\u0000\":1}}}}", ErrorCode.INVALID_KEY),
        Arguments.of("{\"merge\":{\"a\":{\"b\":{\"x\\u007f\":null}}}}", ErrorCode.INVALID_KEY),
        Arguments.of("{\"merge\":{\"a\":{\"b\":{\"\\ud83d\":{}}}}}", ErrorCode.INVALID_KEY),
        Arguments.of("{\"delete\":{\"a\":{\"b\":{\"c/d\":1}}}}", ErrorCode.INVALID_KEY),
        Arguments.of("{\"delete\":{\"a\":{\"\\n\":1}}}", ErrorCode.INVALID_KEY),
        Arguments.of("{\"merge\":{\"" + "x".repeat(769) + "\":1}}", ErrorCode.INVALID_KEY),
        Arguments.of("{\"merge\":" + deep + "}", ErrorCode.TOO_DEEP),
        Arguments.of("{\"delete\":" + deepDelete + "}", ErrorCode.TOO_DEEP),
        Arguments.of("{\"merge\":" + deepNull + "}", ErrorCode.TOO_DEEP));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("invalidMutations")
  void invalidMutationsAreRefusedWithTheirCode(String mutation, String code) {
    assertEquals(code, codeOf(mutation));
  }

  @Test
  void errorMessagesNameThePlace() {
    KoraException e = assertThrows(KoraException.class,
        () -> Mutation.fromJson(json("{\"delete\":{\"a\":{\"b\":2}}}")));
    assertTrue(e.getMessage().contains("a/b"), e.getMessage());
    e = assertThrows(KoraException.class,
        () -> Mutation.fromJson(json("{\"merge\":{\"a\":{\"b/c\":1}}}")));
    assertTrue(e.getMessage().contains("b/c"), e.getMessage());
    e = assertThrows(KoraException.class, () -> Mutation.fromJson(json("{\"sets\":{}}")));
    assertTrue(e.getMessage().contains("sets"), e.getMessage());
  }

  @Test
  void depth32IsAllowed() {
    String deep = "{\"k\":".repeat(32) + "1" + "}".repeat(32);
    Mutation m = Mutation.fromJson(json("{\"merge\":" + deep + ",\"delete\":" + deep + "}"));
    assertEquals(32, m.writes().get(0).path().size());
    assertEquals(32, m.deletes().get(0).size());
  }

  @Test
  void nonJsonValuesAreRefused() {
    KoraException e = assertThrows(KoraException.class,
        () -> Mutation.of(new JsonObject().put("a", (Object) new StringBuilder("x")), null));
    assertEquals(ErrorCode.INVALID_MUTATION, e.code());
  }

  // ---- normalization ----

  @Test
  void nullsMoveToDeletesAndEmptyObjectsDisappear() {
    Mutation m = Mutation.fromJson(json(
        "{\"merge\":{\"a\":{\"b\":null,\"c\":{},\"d\":{\"e\":{}}},\"f\":1,\"g\":null},"
            + "\"delete\":{\"h\":{},\"i\":{\"j\":{}}}}"));
    assertEquals(json("{\"f\":1}"), m.merge());
    assertEquals(json("{\"a\":{\"b\":1},\"g\":1}"), m.delete());
  }

  @Test
  void nullUnderAWideDeleteKeepsTheWideDelete() {
    Mutation m = Mutation.fromJson(json(
        "{\"merge\":{\"a\":{\"b\":{\"c\":null}}},\"delete\":{\"a\":1}}"));
    assertEquals(json("{\"a\":1}"), m.delete());
    assertEquals(List.of(Path.of("a")), m.deletes());
  }

  @Test
  void nullOverANarrowDeleteWidensIt() {
    Mutation m = Mutation.fromJson(json("{\"merge\":{\"a\":null},\"delete\":{\"a\":{\"b\":1}}}"));
    assertEquals(json("{\"a\":1}"), m.delete());
  }

  @Test
  void emptyMutationsAreTheEmptyMutation() {
    for (String text : List.of("{}", "{\"merge\":{}}", "{\"delete\":{}}",
        "{\"merge\":null,\"delete\":null}", "{\"merge\":{\"a\":{}},\"delete\":{\"b\":{\"c\":{}}}}")) {
      Mutation m = Mutation.fromJson(json(text));
      assertTrue(m.isEmpty(), text);
      assertSame(Mutation.empty(), m, text);
      assertEquals(json("{\"merge\":{},\"delete\":{}}"), m.toJson());
    }
    assertTrue(Mutation.of(null, null).isEmpty());
    assertFalse(Mutation.merge(Path.of("a"), 1).isEmpty());
  }

  @Test
  void deleteLeafOneIsStoredAsOne() {
    Mutation m = Mutation.fromJson(json("{\"delete\":{\"a\":1.0,\"b\":1}}"));
    assertEquals(1, m.delete().getValue("a"));
    assertEquals(json("{\"a\":1,\"b\":1}"), m.delete());
  }

  @Test
  void plainMapsAndListsAreAccepted() {
    Map<String, Object> inner = new HashMap<>();
    inner.put("b", List.of(1, 2));
    inner.put("c", null);
    Map<String, Object> merge = new HashMap<>();
    merge.put("a", inner);
    Mutation m = Mutation.of(new JsonObject(merge), null);
    assertEquals(List.of(new LeafWrite(Path.of("a", "b"), new JsonArray().add(1).add(2))),
        m.writes());
    assertEquals(List.of(Path.of("a", "c")), m.deletes());
  }

  @Test
  void inputsAreNotChangedAndOutputsAreCopies() {
    JsonObject merge = json("{\"a\":{\"b\":null,\"c\":[1]}}");
    JsonObject delete = json("{\"d\":1}");
    JsonObject mergeBefore = merge.copy();
    Mutation m = Mutation.of(merge, delete);
    assertEquals(mergeBefore, merge);
    merge.getJsonObject("a").getJsonArray("c").add(2);
    delete.put("e", 1);
    assertEquals(json("{\"a\":{\"c\":[1]}}"), m.merge(), "the array was copied in");
    assertEquals(json("{\"a\":{\"b\":1},\"d\":1}"), m.delete());
    m.merge().put("x", 1);
    m.delete().put("y", 1);
    m.toJson().getJsonObject("merge").put("z", 1);
    assertEquals(json("{\"merge\":{\"a\":{\"c\":[1]}},\"delete\":{\"a\":{\"b\":1},\"d\":1}}"),
        m.toJson());
  }

  // ---- flat views ----

  @Test
  void writesAndDeletesAreFlatViewsInTreeOrder() {
    Mutation m = Mutation.fromJson(json("{\"merge\":{\"todos\":{\"t1\":{\"title\":\"milk\","
        + "\"done\":false,\"tags\":[\"a\",\"b\"]},\"t2\":{\"n\":2.5}},\"x\":\"y\"},"
        + "\"delete\":{\"todos\":{\"t3\":1,\"t4\":{\"z\":1}},\"w\":1}}"));
    assertEquals(List.of(
        new LeafWrite(Path.of("todos", "t1", "title"), "milk"),
        new LeafWrite(Path.of("todos", "t1", "done"), false),
        new LeafWrite(Path.of("todos", "t1", "tags"), new JsonArray().add("a").add("b")),
        new LeafWrite(Path.of("todos", "t2", "n"), 2.5),
        new LeafWrite(Path.of("x"), "y")), m.writes());
    assertEquals(List.of(Path.of("todos", "t3"), Path.of("todos", "t4", "z"), Path.of("w")),
        m.deletes());
    assertSame(m.writes(), m.writes(), "computed once");
    assertThrows(UnsupportedOperationException.class, () -> m.writes().clear());
    assertThrows(UnsupportedOperationException.class, () -> m.deletes().clear());
    assertEquals("\"milk\"", m.writes().get(0).valueJson());
    assertEquals("[\"a\",\"b\"]", m.writes().get(2).valueJson());
  }

  @Test
  void fromFlatRebuildsTheTrees() {
    Mutation m = Mutation.fromJson(json(
        "{\"merge\":{\"a\":{\"b\":1,\"c\":[true]}},\"delete\":{\"d\":{\"e\":1},\"f\":1}}"));
    assertEquals(m, Mutation.fromFlat(m.deletes(), m.writes()));
    assertSame(Mutation.empty(), Mutation.fromFlat(List.of(), List.of()));
    assertEquals(ErrorCode.INVALID_MUTATION, assertThrows(KoraException.class,
        () -> Mutation.fromFlat(List.of(Path.ROOT), List.of())).code());
  }

  @Test
  void fromFlatKeepsAWideDeleteWhateverTheOrder() {
    Mutation wideFirst = Mutation.fromFlat(List.of(Path.of("a"), Path.of("a", "b")), List.of());
    Mutation narrowFirst = Mutation.fromFlat(List.of(Path.of("a", "b"), Path.of("a")), List.of());
    JsonObject tree = json("{\"a\":{\"b\":1,\"c\":2},\"d\":3}");
    assertEquals(json("{\"d\":3}"), wideFirst.apply(tree));
    assertEquals(json("{\"d\":3}"), narrowFirst.apply(tree));
    assertEquals(json("{\"a\":1}"), wideFirst.delete());
    assertEquals(json("{\"a\":1}"), narrowFirst.delete());
  }

  // ---- factories ----

  @Test
  void mergeFactory() {
    assertEquals(json("{\"merge\":{\"a\":{\"b\":1}},\"delete\":{}}"),
        Mutation.merge(Path.of("a", "b"), 1).toJson());
    assertEquals(json("{\"merge\":{\"a\":{\"b\":{\"c\":\"x\"}}},\"delete\":{}}"),
        Mutation.merge(Path.of("a", "b"), json("{\"c\":\"x\",\"d\":{}}")).toJson());
    assertEquals(json("{\"merge\":{},\"delete\":{\"a\":{\"b\":1}}}"),
        Mutation.merge(Path.of("a", "b"), null).toJson());
    assertEquals(json("{\"merge\":{\"a\":{\"b\":[1]}},\"delete\":{}}"),
        Mutation.merge(Path.of("a", "b"), List.of(1)).toJson());
    assertEquals(json("{\"merge\":{\"x\":1},\"delete\":{\"y\":1}}"),
        Mutation.merge(Path.ROOT, json("{\"x\":1,\"y\":null}")).toJson());
    assertTrue(Mutation.merge(Path.of("a"), new JsonObject()).isEmpty());
    for (Object leaf : new Object[] {1, "x", true, new JsonArray(), null}) {
      assertEquals(ErrorCode.INVALID_MUTATION,
          assertThrows(KoraException.class, () -> Mutation.merge(Path.ROOT, leaf)).code());
    }
  }

  @Test
  void deleteFactory() {
    assertEquals(json("{\"merge\":{},\"delete\":{\"a\":{\"b\":1}}}"),
        Mutation.delete(Path.of("a", "b")).toJson());
    assertEquals(ErrorCode.INVALID_MUTATION,
        assertThrows(KoraException.class, () -> Mutation.delete(Path.ROOT)).code());
  }

  @Test
  void replaceFactory() {
    JsonObject tree = json("{\"a\":{\"b\":{\"old\":1,\"keep\":2}},\"c\":3}");
    Mutation branch = Mutation.replace(Path.of("a", "b"), json("{\"new\":4}"));
    assertEquals(json("{\"merge\":{\"a\":{\"b\":{\"new\":4}}},\"delete\":{\"a\":{\"b\":1}}}"),
        branch.toJson());
    assertEquals(json("{\"a\":{\"b\":{\"new\":4}},\"c\":3}"), branch.apply(tree));

    Mutation leaf = Mutation.replace(Path.of("a", "b"), "v");
    assertEquals(json("{\"a\":{\"b\":\"v\"},\"c\":3}"), leaf.apply(tree));

    Mutation nothing = Mutation.replace(Path.of("a", "b"), new JsonObject());
    assertEquals(json("{\"c\":3}"), nothing.apply(tree));
    Mutation nullValue = Mutation.replace(Path.of("a", "b"), null);
    assertEquals(json("{\"c\":3}"), nullValue.apply(tree));

    assertEquals(ErrorCode.INVALID_MUTATION, assertThrows(KoraException.class,
        () -> Mutation.replace(Path.ROOT, json("{\"a\":1}"))).code());
  }

  // ---- wire form ----

  @Test
  void toJsonAlwaysHasBothParts() {
    for (Mutation m : List.of(Mutation.empty(), Mutation.merge(Path.of("a"), 1),
        Mutation.delete(Path.of("a")))) {
      JsonObject wire = m.toJson();
      assertEquals(2, wire.size(), wire.encode());
      assertTrue(wire.getValue("merge") instanceof JsonObject, wire.encode());
      assertTrue(wire.getValue("delete") instanceof JsonObject, wire.encode());
      assertEquals(m, Mutation.fromJson(wire));
      assertEquals(m, Mutation.fromJson(new JsonObject(m.toString())));
    }
    assertEquals("{\"merge\":{},\"delete\":{}}", Mutation.empty().toString());
  }

  @Test
  void equalsAndHashCode() {
    Mutation a = Mutation.fromJson(json("{\"merge\":{\"a\":1,\"b\":2}}"));
    Mutation b = Mutation.fromJson(json("{\"merge\":{\"b\":2,\"a\":1}}"));
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertFalse(a.equals(Mutation.fromJson(json("{\"merge\":{\"a\":1}}"))));
    assertFalse(a.equals(a.toJson()));
  }

  // ---- apply ----

  @Test
  void applyCopiesAndApplyToChangesInPlace() {
    Mutation m = Mutation.fromJson(json("{\"merge\":{\"a\":{\"b\":[1]}},\"delete\":{\"c\":1}}"));
    JsonObject tree = json("{\"c\":{\"d\":1},\"e\":2}");
    JsonObject result = m.apply(tree);
    assertEquals(json("{\"c\":{\"d\":1},\"e\":2}"), tree);
    assertEquals(json("{\"a\":{\"b\":[1]},\"e\":2}"), result);
    assertSame(tree, m.applyTo(tree));
    assertEquals(result, tree);
    tree.getJsonObject("a").getJsonArray("b").add(2);
    assertEquals(json("{\"a\":{\"b\":[1]}}"), m.merge(), "applied arrays are copies");
  }

  // ---- combine, layers, inflate, restrict, touches ----

  @Test
  void combineWithEmptyIsIdentity() {
    Mutation m = Mutation.merge(Path.of("a"), 1);
    assertSame(m, m.combine(Mutation.empty()));
    assertSame(m, Mutation.empty().combine(m));
  }

  @Test
  void layersAreRelativeAndOrderedParentsFirst() {
    Mutation m = Mutation.fromJson(json("{\"merge\":{\"b\":{\"x\":1},\"a\":{\"y\":{\"z\":2}}},"
        + "\"delete\":{\"c\":{\"d\":1}}}"));
    Map<Path, Mutation> layers = m.layers();
    assertEquals(List.of(Path.ROOT, Path.of("a"), Path.of("a", "y"), Path.of("b"), Path.of("c")),
        new ArrayList<>(layers.keySet()), "children in key byte order, depth first");
    assertEquals(m, layers.get(Path.ROOT));
    assertEquals(Mutation.fromJson(json("{\"merge\":{\"z\":2}}")), layers.get(Path.of("a", "y")));
    assertEquals(Mutation.fromJson(json("{\"delete\":{\"d\":1}}")), layers.get(Path.of("c")));
    // With no delete above a branch, its layer moved back to its path is the mutation restricted there.
    layers.forEach((path, layer) -> assertEquals(m.restrictTo(path), layer.inflate(path)));
  }

  @Test
  void inflateThenRestrictGivesBackTheMutation() {
    Mutation m = Mutation.fromJson(json("{\"merge\":{\"a\":1,\"b\":{\"c\":[2]}},"
        + "\"delete\":{\"d\":1}}"));
    Path at = Path.of("users", "\u00e9");
    Mutation inflated = m.inflate(at);
    assertEquals(inflated, inflated.restrictTo(at));
    assertSame(m, m.inflate(Path.ROOT));
    assertSame(Mutation.empty(), Mutation.empty().inflate(at));
    assertTrue(inflated.restrictTo(Path.of("users", "e")).isEmpty());
  }

  @Test
  void restrictToTheRootIsTheWholeMutation() {
    Mutation m = Mutation.merge(Path.of("a"), 1);
    assertSame(m, m.restrictTo(Path.ROOT));
  }

  @Test
  void touches() {
    Mutation m = Mutation.fromJson(json("{\"merge\":{\"a\":{\"b\":1}},\"delete\":{\"c\":1}}"));
    assertTrue(m.touches(Path.ROOT));
    assertTrue(m.touches(Path.of("a")));
    assertTrue(m.touches(Path.of("a", "b")));
    assertTrue(m.touches(Path.of("a", "b", "deeper")));
    assertTrue(m.touches(Path.of("c", "x")));
    assertFalse(m.touches(Path.of("a", "c")));
    assertFalse(m.touches(Path.of("ab")));
    assertFalse(Mutation.empty().touches(Path.ROOT));
  }

  // ---- diff ----

  @Test
  void diffTreatsEqualNumbersAsEqual() {
    assertTrue(Mutation.diff(json("{\"a\":1}"), new JsonObject().put("a", 1L)).isEmpty());
    assertTrue(Mutation.diff(json("{\"a\":[1,\"x\"]}"), json("{\"a\":[1,\"x\"]}")).isEmpty());
  }

  @Test
  void diffLeavesItsArgumentsAlone() {
    JsonObject from = json("{\"a\":{\"b\":1},\"c\":2}");
    JsonObject to = json("{\"a\":3,\"d\":{\"e\":4}}");
    Mutation diff = Mutation.diff(from, to);
    assertEquals(json("{\"a\":{\"b\":1},\"c\":2}"), from);
    assertEquals(json("{\"a\":3,\"d\":{\"e\":4}}"), to);
    assertEquals(to, diff.apply(from));
    assertNotSame(to, diff.apply(from));
  }
  @Test
  void numbersThatJsonCannotCarryBackAreRefusedHoweverTheyArrive() {
    for (Object value : new Object[] {Double.NaN, Double.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        new java.math.BigDecimal("1e400"), new JsonArray().add(Double.NaN)}) {
      KoraException e = assertThrows(KoraException.class,
          () -> Mutation.merge(Path.of("a", "b"), value), String.valueOf(value));
      assertEquals(ErrorCode.INVALID_MUTATION, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("a/b"), e.getMessage());
    }
  }

  @Test
  void exactNumbersAreKept() {
    java.math.BigInteger big = new java.math.BigInteger("123456789012345678901234567890");
    java.math.BigDecimal decimal = new java.math.BigDecimal("0.1000000000000000000001");
    Mutation mutation = Mutation.merge(Path.of("a"), new JsonObject().put("b", big).put("c", decimal));
    assertEquals(big, LeafCodec.decode(mutation.writes().get(0).valueJson()));
    assertEquals(List.of("123456789012345678901234567890", "0.1000000000000000000001"),
        mutation.writes().stream().map(LeafWrite::valueJson).toList());
  }

  @Test
  void loneSurrogatesAreRefusedInValuesAndKeys() {
    assertEquals(ErrorCode.INVALID_MUTATION, assertThrows(KoraException.class,
        () -> Mutation.merge(Path.of("a"), "\ud800")).code());
    assertEquals(ErrorCode.INVALID_MUTATION, assertThrows(KoraException.class,
        () -> Mutation.merge(Path.of("a"), new JsonArray().add(new JsonObject().put("k\udfff", 1))))
        .code());
    assertEquals(ErrorCode.INVALID_KEY, assertThrows(KoraException.class,
        () -> Mutation.merge(Path.ROOT, new JsonObject().put("\udfff", 1))).code());
    assertFalse(LeafValues.hasLoneSurrogate("\ud83d\ude00 ok"));
    assertTrue(LeafValues.hasLoneSurrogate("\ude00\ud83d"));
  }
}
