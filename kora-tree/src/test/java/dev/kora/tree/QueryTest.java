package dev.kora.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class QueryTest {

  private static final String EMOJI = "\uD83D\uDE00";

  private static JsonObject json(String text) {
    return new JsonObject(text);
  }

  private static KoraException refused(String query) {
    return assertThrows(KoraException.class, () -> Query.fromJson(json(query)));
  }

  @Test
  void parsesSeveralPathsWithOptions() {
    Query q = Query.fromJson(json("{\"todos\": {\"limit\": 10}, \"users\": {\"dax\": {}}}"));
    assertEquals(List.of(
        new Query.Entry(Path.of("todos"), new QueryOptions(null, null, 10, false)),
        new Query.Entry(Path.of("users", "dax"), QueryOptions.WHOLE)), q.entries());
    assertFalse(q.entries().get(0).options().isWhole());
    assertTrue(q.entries().get(1).options().isWhole());
  }

  @Test
  void emptyQueryIsTheWholeRoot() {
    Query q = Query.fromJson(new JsonObject());
    assertEquals(List.of(new Query.Entry(Path.ROOT, QueryOptions.WHOLE)), q.entries());
    assertEquals(new JsonObject(), q.toJson());
  }

  @Test
  void optionsAtTheRoot() {
    Query q = Query.fromJson(json("{\"min\": \"b\", \"limit\": 2}"));
    assertEquals(List.of(new Query.Entry(Path.ROOT, new QueryOptions("b", null, 2, false))),
        q.entries());
    assertEquals(json("{\"min\": \"b\", \"limit\": 2}"), q.toJson());
  }

  @Test
  void allOptions() {
    Query q = Query.fromJson(json(
        "{\"a\": {\"b\": {\"min\": \"k1\", \"max\": \"k9\", \"limit\": 3, \"subscribe\": true}}}"));
    assertEquals(new QueryOptions("k1", "k9", 3, true), q.entries().get(0).options());
    assertEquals(Path.of("a", "b"), q.entries().get(0).path());
  }

  @Test
  void nullOptionsAreUnset() {
    Query q = Query.fromJson(json(
        "{\"a\": {\"min\": null, \"max\": null, \"limit\": null, \"subscribe\": null}}"));
    assertEquals(QueryOptions.WHOLE, q.entries().get(0).options());
  }

  @Test
  void limitAsNumberOrDigitString() {
    assertEquals(10, Query.fromJson(json("{\"t\": {\"limit\": 10}}")).entries().get(0).options()
        .limit());
    assertEquals(10, Query.fromJson(json("{\"t\": {\"limit\": \"10\"}}")).entries().get(0)
        .options().limit());
    assertEquals(10, Query.fromJson(json("{\"t\": {\"limit\": 10.0}}")).entries().get(0)
        .options().limit());
    assertEquals(0, Query.fromJson(json("{\"t\": {\"limit\": 0}}")).entries().get(0).options()
        .limit());
    assertEquals(Integer.MAX_VALUE, Query.fromJson(json("{\"t\": {\"limit\": \"2147483647\"}}"))
        .entries().get(0).options().limit());
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "1.5", "-0.5", "\"-1\"", "\"1.5\"", "\"\"", "\"ten\"", "\" 1\"",
      "true", "[1]", "2147483648", "\"2147483648\"", "\"99999999999\"", "1e20", "\"\\u0661\""})
  void badLimitsAreInvalidQueries(String limit) {
    KoraException e = refused("{\"todos\": {\"limit\": " + limit + "}}");
    assertEquals(ErrorCode.INVALID_QUERY, e.code());
    assertTrue(e.getMessage().contains("limit"), e.getMessage());
    assertTrue(e.getMessage().contains("todos"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"t\": {\"offset\": 1}}", "{\"t\": {\"Limit\": 1}}",
      "{\"t\": {\"limit\": 1, \"order\": \"desc\"}}", "{\"t\": 5}", "{\"t\": {\"min\": 1}}",
      "{\"t\": {\"max\": true}}", "{\"t\": {\"subscribe\": \"true\"}}",
      "{\"t\": {\"subscribe\": 1}}", "{\"t\": {\"min\": [\"a\"]}}"})
  void unknownOptionsAndWrongTypesAreInvalidQueries(String query) {
    assertEquals(ErrorCode.INVALID_QUERY, refused(query).code());
  }

  @Test
  void unknownOptionMessageNamesIt() {
    KoraException e = refused("{\"todos\": {\"offset\": 1}}");
    assertTrue(e.getMessage().contains("offset"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"todos\": {\"limit\": 10, \"t1\": {}}}",
      "{\"a\": {\"b\": {\"min\": \"x\", \"c\": {\"limit\": 1}}}}", "{\"a\": {}, \"limit\": 5}"})
  void mixingOptionsAndChildPathsIsInvalid(String query) {
    KoraException e = refused(query);
    assertEquals(ErrorCode.INVALID_QUERY, e.code());
    assertTrue(e.getMessage().contains("mixes"), e.getMessage());
  }

  @Test
  void badKeysAndDepthInQueries() {
    assertEquals(ErrorCode.INVALID_KEY, refused("{\"a/b\": {}}").code());
    assertEquals(ErrorCode.INVALID_KEY, refused("{\"a\": {\"\": {}}}").code());
    assertEquals(ErrorCode.INVALID_KEY, refused("{\"a\": {\"\\u0001\": {\"x\": {}}}}").code());
    String deep = "{\"k\":".repeat(33) + "{}" + "}".repeat(33);
    assertEquals(ErrorCode.TOO_DEEP, refused(deep).code());
    String deepest = "{\"k\":".repeat(32) + "{}" + "}".repeat(32);
    assertEquals(32, Query.fromJson(json(deepest)).entries().get(0).path().size());
  }

  @Test
  void inRangeUsesUtf8ByteOrder() {
    QueryOptions options = new QueryOptions("\u00e9", "\uFFFF", null, false);
    assertFalse(options.inRange("z"));
    assertTrue(options.inRange("\u00e9"), "min is inclusive");
    assertTrue(options.inRange("\u00e9a"));
    assertTrue(options.inRange("\uE000"));
    assertFalse(options.inRange("\uFFFF"), "max is exclusive");
    assertFalse(options.inRange(EMOJI), "an emoji sorts after U+FFFF in UTF-8");

    QueryOptions fromEmoji = new QueryOptions(EMOJI, null, null, false);
    assertTrue(fromEmoji.inRange(EMOJI));
    assertTrue(fromEmoji.inRange("\uD83D\uDE01"));
    assertFalse(fromEmoji.inRange("\uFFFF"), "U+FFFF sorts before an emoji in UTF-8");
    assertFalse(fromEmoji.inRange("\uE000"));

    QueryOptions toEmoji = new QueryOptions(null, EMOJI, null, false);
    assertTrue(toEmoji.inRange("\uFFFD"));
    assertFalse(toEmoji.inRange(EMOJI));

    assertTrue(QueryOptions.WHOLE.inRange("anything"));
    QueryOptions empty = new QueryOptions("b", "b", null, false);
    assertFalse(empty.inRange("b"));
    assertFalse(empty.inRange("a"));
  }

  @Test
  void nonAsciiMinAndMaxParse() {
    Query q = Query.fromJson(json("{\"\u00e9\": {\"min\": \"\u00e9t\u00e9\", \"max\": \"" + EMOJI
        + "\"}}"));
    assertEquals(new QueryOptions("\u00e9t\u00e9", EMOJI, null, false),
        q.entries().get(0).options());
    assertEquals(Path.of("\u00e9"), q.entries().get(0).path());
  }

  static Stream<String> roundTrips() {
    return Stream.of("{}", "{\"todos\": {\"limit\": 10}, \"users\": {\"dax\": {}}}",
        "{\"a\": {\"b\": {\"min\": \"\u00e9\", \"max\": \"" + EMOJI + "\", \"limit\": 0, "
            + "\"subscribe\": true}, \"c\": {}}, \"d\": {\"subscribe\": true}}",
        "{\"limit\": 3}", "{\"min\": {}}", "{\"x\": {\"y\": {\"z\": {\"max\": \"m\"}}}}");
  }

  @ParameterizedTest
  @MethodSource("roundTrips")
  void toJsonRoundTrips(String text) {
    Query q = Query.fromJson(json(text));
    assertEquals(json(text), q.toJson());
    assertEquals(q, Query.fromJson(q.toJson()));
    assertEquals(q, Query.fromJson(new JsonObject(q.toString())));
    assertEquals(q.hashCode(), Query.fromJson(q.toJson()).hashCode());
  }

  @Test
  void limitStringBecomesANumberOnTheWire() {
    Query q = Query.fromJson(json("{\"t\": {\"limit\": \"5\"}}"));
    assertEquals(json("{\"t\": {\"limit\": 5}}"), q.toJson());
  }

  @Test
  void subscribeFalseIsOmittedOnTheWire() {
    Query q = Query.fromJson(json("{\"t\": {\"subscribe\": false}}"));
    assertEquals(json("{\"t\": {}}"), q.toJson());
  }

  @Test
  void subscribingSetsSubscribeEverywhere() {
    Query q = Query.fromJson(json("{\"todos\": {\"limit\": 10}, \"users\": {\"dax\": {}}}"))
        .subscribing();
    for (Query.Entry entry : q.entries()) {
      assertTrue(entry.options().subscribe());
    }
    assertEquals(json("{\"todos\": {\"limit\": 10, \"subscribe\": true},"
        + " \"users\": {\"dax\": {\"subscribe\": true}}}"), q.toJson());
    assertEquals(10, q.entries().get(0).options().limit());
  }

  @Test
  void ofChecksOverlaps() {
    Query.Entry a = new Query.Entry(Path.of("a"), QueryOptions.WHOLE);
    Query.Entry ab = new Query.Entry(Path.of("a", "b"), QueryOptions.WHOLE);
    Query.Entry root = new Query.Entry(Path.ROOT, QueryOptions.WHOLE);
    Query.Entry c = new Query.Entry(Path.of("c"), new QueryOptions(null, null, 1, false));
    assertEquals(ErrorCode.INVALID_QUERY,
        assertThrows(KoraException.class, () -> Query.of(List.of(a, ab))).code());
    assertEquals(ErrorCode.INVALID_QUERY,
        assertThrows(KoraException.class, () -> Query.of(List.of(c, root))).code());
    assertEquals(ErrorCode.INVALID_QUERY,
        assertThrows(KoraException.class, () -> Query.of(List.of(a, a))).code());
    Query q = Query.of(List.of(ab, c));
    assertEquals(List.of(ab, c), q.entries());
    assertEquals(json("{\"a\": {\"b\": {}}, \"c\": {\"limit\": 1}}"), q.toJson());
    assertEquals(Query.of(Path.of("a"), QueryOptions.WHOLE), Query.of(List.of(a)));
    assertThrows(UnsupportedOperationException.class, () -> q.entries().clear());
  }

  @Test
  void optionsToJsonHoldsOnlyWhatIsSet() {
    assertEquals(new JsonObject(), QueryOptions.WHOLE.toJson());
    assertEquals(json("{\"max\": \"z\"}"), new QueryOptions(null, "z", null, false).toJson());
    assertNull(QueryOptions.WHOLE.withSubscribe(true).limit());
    assertTrue(QueryOptions.WHOLE.withSubscribe(true).isWhole());
    assertEquals(QueryOptions.WHOLE, QueryOptions.WHOLE.withSubscribe(true).withSubscribe(false));
  }
}
