package dev.kora.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PathTest {

  private static final String EMOJI = "\uD83D\uDE00"; // U+1F600, 4 UTF-8 bytes

  private static InvalidPathException invalidKey(String key) {
    InvalidPathException e = assertThrows(InvalidPathException.class, () -> Path.of(key));
    assertEquals(ErrorCode.INVALID_KEY, e.code());
    return e;
  }

  // ---- key rules ----

  @Test
  void emptyKeyIsInvalid() {
    InvalidPathException e = invalidKey("");
    assertTrue(e.getMessage().contains("empty"), e.getMessage());
    assertEquals(ErrorCode.INVALID_KEY,
        assertThrows(InvalidPathException.class, () -> Path.ROOT.child("")).code());
    assertEquals(ErrorCode.INVALID_KEY,
        assertThrows(InvalidPathException.class, () -> Path.of("a", null)).code());
  }

  static Stream<String> keysOfExactly768Bytes() {
    return Stream.of(
        "a".repeat(768),
        "\u00e9".repeat(384),                 // 2 bytes each
        "\u20ac".repeat(256),                 // 3 bytes each
        EMOJI.repeat(192),                    // 4 bytes each
        "a".repeat(765) + "\u20ac",
        "ab".repeat(382) + EMOJI);
  }

  @ParameterizedTest
  @MethodSource("keysOfExactly768Bytes")
  void keyOf768BytesIsValid(String key) {
    assertEquals(768, key.getBytes(StandardCharsets.UTF_8).length);
    assertEquals(key, Path.of(key).key(0));
    Path.checkKey(key);
  }

  static Stream<String> keysOf769BytesOrMore() {
    return Stream.of(
        "a".repeat(769),
        "\u00e9".repeat(384) + "a",
        "\u20ac".repeat(256) + "a",
        EMOJI.repeat(192) + "a",
        "a".repeat(766) + "\u20ac",           // 769: the last char crosses the limit
        "a".repeat(765) + EMOJI,              // 769
        "a".repeat(767) + "\u00e9");          // 769
  }

  @ParameterizedTest
  @MethodSource("keysOf769BytesOrMore")
  void keyOver768BytesIsInvalid(String key) {
    assertTrue(key.getBytes(StandardCharsets.UTF_8).length > 768);
    InvalidPathException e = invalidKey(key);
    assertTrue(e.getMessage().contains(key.substring(0, 16)), e.getMessage());
    assertTrue(e.getMessage().contains("768"), e.getMessage());
    assertTrue(e.getMessage().contains(
        String.valueOf(key.getBytes(StandardCharsets.UTF_8).length)), e.getMessage());
  }

  static IntStream controlChars() {
    return IntStream.concat(IntStream.rangeClosed(0x00, 0x1F), IntStream.of(0x7F));
  }

  @ParameterizedTest
  @MethodSource("controlChars")
  void controlCharactersAreInvalid(int c) {
    for (String key : List.of("" + (char) c, "ab" + (char) c, (char) c + "cd", "x" + (char) c + "y")) {
      InvalidPathException e = invalidKey(key);
      assertTrue(e.getMessage().contains("0x" + Integer.toHexString(c)), e.getMessage());
      // The message names the key, with the control character escaped so it stays printable.
      String printable = key.replace(String.valueOf((char) c), String.format("\\u%04x", c));
      assertTrue(e.getMessage().contains("'" + printable + "'"), e.getMessage());
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0x20, 0x7E, 0x80, 0x9F, 0xA0})
  void charactersNextToTheControlRangesAreValid(int c) {
    // 0x80-0x9F are C1 controls, not ASCII controls: the rule names only 0x00-0x1F and 0x7F.
    Path.checkKey("k" + (char) c);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/", "a/b", "/a", "a/"})
  void slashIsInvalid(String key) {
    InvalidPathException e = invalidKey(key);
    assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
    assertTrue(e.getMessage().contains("'/'"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"\uD83D", "a\uD83D", "\uDE00", "\uDE00a", "a\uDE00\uD83Db", "\uD83D\uD83D"})
  void loneSurrogatesAreInvalid(String key) {
    InvalidPathException e = invalidKey(key);
    assertTrue(e.getMessage().contains("surrogate"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", " ", "user:info", "\u00e9t\u00e9", "\u65e5\u672c", EMOJI, "a b+c%d",
      "\uE000", "\uFFFF", ".", "..", "[]", "$key", "#?&=", "\u0080"})
  void ordinaryKeysAreValid(String key) {
    assertEquals(List.of(key), Path.of(key).keys());
  }

  // ---- depth ----

  private static String[] keys(int n) {
    String[] keys = new String[n];
    Arrays.setAll(keys, i -> "k" + i);
    return keys;
  }

  @Test
  void depth32IsValidAnd33IsTooDeepViaOf() {
    assertEquals(32, Path.of(keys(32)).size());
    assertEquals(32, Path.of(Arrays.asList(keys(32))).size());
    InvalidPathException e = assertThrows(InvalidPathException.class, () -> Path.of(keys(33)));
    assertEquals(ErrorCode.TOO_DEEP, e.code());
    assertTrue(e.getMessage().contains("33") && e.getMessage().contains("32"), e.getMessage());
    assertEquals(ErrorCode.TOO_DEEP, assertThrows(InvalidPathException.class,
        () -> Path.of(Arrays.asList(keys(33)))).code());
  }

  @Test
  void depth33IsTooDeepViaChild() {
    Path p = Path.of(keys(31)).child("last");
    assertEquals(32, p.size());
    InvalidPathException e = assertThrows(InvalidPathException.class, () -> p.child("more"));
    assertEquals(ErrorCode.TOO_DEEP, e.code());
  }

  @Test
  void depth33IsTooDeepViaConcat() {
    Path left = Path.of(keys(16));
    assertEquals(32, left.concat(Path.of(keys(16))).size());
    assertSame(left, left.concat(Path.ROOT));
    InvalidPathException e = assertThrows(InvalidPathException.class,
        () -> left.concat(Path.of(keys(17))));
    assertEquals(ErrorCode.TOO_DEEP, e.code());
    assertEquals(ErrorCode.TOO_DEEP, assertThrows(InvalidPathException.class,
        () -> Path.of(keys(32)).concat(Path.of("x"))).code());
  }

  @Test
  void parseChecksDepth() {
    assertEquals(32, Path.parse(String.join("/", keys(32))).size());
    assertEquals(ErrorCode.TOO_DEEP, assertThrows(InvalidPathException.class,
        () -> Path.parse(String.join("/", keys(33)))).code());
  }

  @Test
  void aBadKeyAndTooManyKeysAreBothRefused() {
    String[] keys = keys(40);
    keys[39] = "";
    InvalidPathException e = assertThrows(InvalidPathException.class, () -> Path.of(keys));
    assertTrue(e.code().equals(ErrorCode.TOO_DEEP) || e.code().equals(ErrorCode.INVALID_KEY));
  }

  @Test
  void ofCopiesItsArray() {
    String[] keys = {"a", "b"};
    Path p = Path.of(keys);
    keys[0] = "/";
    assertEquals(List.of("a", "b"), p.keys());
    assertThrows(UnsupportedOperationException.class, () -> p.keys().set(0, "z"));
  }

  // ---- parse and toString ----

  @Test
  void parseSplitsAndPercentDecodes() {
    assertEquals(Path.of("user:info", "dax", "first name"),
        Path.parse("user:info/dax/first%20name"));
    assertEquals(Path.of("a+b"), Path.parse("a+b"), "+ is a plus, not a space");
    assertEquals(Path.of("a+b"), Path.parse("a%2Bb"));
    assertEquals(Path.of("100%"), Path.parse("100%25"));
    assertEquals(Path.of("\u00e9t\u00e9"), Path.parse("%C3%A9t%C3%A9"));
    assertEquals(Path.of("\u00e9t\u00e9"), Path.parse("\u00e9t\u00e9"));
    assertEquals(Path.of(EMOJI), Path.parse("%F0%9F%98%80"));
    assertEquals(Path.of("a", "b"), Path.parse("/a//b/"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "/", "//", "///"})
  void parseOfNothingIsTheRoot(String text) {
    assertSame(Path.ROOT, Path.parse(text));
  }

  @Test
  void encodedSlashDecodesIntoAnInvalidKey() {
    // A key can never hold '/', so an escaped slash is refused rather than split or kept.
    InvalidPathException e = assertThrows(InvalidPathException.class, () -> Path.parse("x/a%2Fb"));
    assertEquals(ErrorCode.INVALID_KEY, e.code());
    assertTrue(e.getMessage().contains("a/b"), e.getMessage());
    assertEquals(ErrorCode.INVALID_KEY,
        assertThrows(InvalidPathException.class, () -> Path.parse("a%2fb")).code());
  }

  @ParameterizedTest
  @ValueSource(strings = {"a%00b", "%1F", "%7F", "a%0A"})
  void encodedControlCharactersAreInvalid(String text) {
    assertEquals(ErrorCode.INVALID_KEY,
        assertThrows(InvalidPathException.class, () -> Path.parse(text)).code());
  }

  @ParameterizedTest
  @ValueSource(strings = {"%", "a%", "a%2", "%zz", "%g0", "a/%/b", "%-1", "%+1"})
  void malformedEscapesAreInvalidKeys(String text) {
    InvalidPathException e = assertThrows(InvalidPathException.class, () -> Path.parse(text));
    assertEquals(ErrorCode.INVALID_KEY, e.code());
  }

  @ParameterizedTest
  @ValueSource(strings = {"%FF", "%C3", "%C3%28", "a%E9b", "%ED%A0%80", "%F0%9F%98"})
  void escapesThatAreNotUtf8AreInvalidKeys(String text) {
    // Decoding must not silently turn bad bytes into U+FFFD: two different paths would become one key.
    InvalidPathException e = assertThrows(InvalidPathException.class, () -> Path.parse(text));
    assertEquals(ErrorCode.INVALID_KEY, e.code());
  }

  @Test
  void parseChecksDecodedKeyLength() {
    // 256 escaped euro signs are 768 bytes; one more byte is too long.
    String euro = "%E2%82%AC";
    assertEquals(1, Path.parse(euro.repeat(256)).size());
    assertEquals(ErrorCode.INVALID_KEY, assertThrows(InvalidPathException.class,
        () -> Path.parse(euro.repeat(256) + "a")).code());
  }

  static Stream<Path> roundTripPaths() {
    return Stream.of(Path.ROOT, Path.of("a"), Path.of("user:info", "dax", "name"),
        Path.of("100%", "%25", "%2F", "a+b", "a b", "?", "#", "&=", "%"),
        Path.of("\u00e9", EMOJI, "\uE000", "\uFFFF", "\u65e5\u672c"), Path.of(keys(32)),
        Path.of("a".repeat(768)));
  }

  @ParameterizedTest
  @MethodSource("roundTripPaths")
  void toStringRoundTripsThroughParse(Path path) {
    assertEquals(path, Path.parse(path.toString()));
  }

  @Test
  void toStringJoinsWithSlashAndEscapesPercent() {
    assertEquals("", Path.ROOT.toString());
    assertEquals("user:info/dax/name", Path.of("user:info", "dax", "name").toString());
    assertEquals("100%25/a b", Path.of("100%", "a b").toString());
  }

  // ---- order ----

  private static int utf8Compare(String a, String b) {
    return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8),
        b.getBytes(StandardCharsets.UTF_8));
  }

  private static final List<String> ORDER_KEYS = List.of("", "a", "A", "aa", "ab", "b", "z", "~",
      "\u0080", "\u00e9", "\u07ff", "\u0800", "\u65e5", "\uD7FF", "\uE000", "\uF8FF", "\uFB01",
      "\uFF5E", "\uFFFD", "\uFFFF", "\uD800\uDC00", EMOJI, "\uDBFF\uDFFF", "a" + EMOJI,
      "a\uFFFF", "a\uE000", EMOJI + "a", "\uFFFFa", "\u00e9a", "\u00e9");

  @Test
  void compareKeysIsUtf8ByteOrder() {
    for (String a : ORDER_KEYS) {
      for (String b : ORDER_KEYS) {
        assertEquals(Integer.signum(utf8Compare(a, b)), Integer.signum(Path.compareKeys(a, b)),
            () -> "compare " + escape(a) + " with " + escape(b));
        assertEquals(Integer.signum(utf8Compare(a, b)),
            Integer.signum(Path.KEY_ORDER.compare(a, b)));
      }
    }
  }

  @Test
  void privateUseAndBmpTailSortBeforeSupplementaryCharacters() {
    // In UTF-16 U+E000..U+FFFF sort after surrogates (so after emoji); in UTF-8 they sort before.
    for (String bmp : List.of("\uE000", "\uFFFD", "\uFFFF", "\uFF01")) {
      assertTrue(bmp.compareTo(EMOJI) > 0, "UTF-16 order differs");
      assertTrue(Path.compareKeys(bmp, EMOJI) < 0);
      assertTrue(Path.compareKeys(EMOJI, bmp) > 0);
      assertTrue(Path.of(bmp).compareTo(Path.of(EMOJI)) < 0);
    }
    List<String> sorted = new ArrayList<>(List.of(EMOJI, "\uFFFF", "a", "\uE000", "\u00e9"));
    sorted.sort(Path.KEY_ORDER);
    assertEquals(List.of("a", "\u00e9", "\uE000", "\uFFFF", EMOJI), sorted);
  }

  @Test
  void randomKeysSortLikeTheirUtf8Bytes() {
    java.util.Random random = new java.util.Random(42);
    int[] pool = {'a', 'b', 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x1F600,
        0x10FFFF};
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      StringBuilder key = new StringBuilder();
      int length = 1 + random.nextInt(4);
      for (int j = 0; j < length; j++) {
        key.appendCodePoint(pool[random.nextInt(pool.length)]);
      }
      keys.add(key.toString());
    }
    List<String> byBytes = new ArrayList<>(keys);
    byBytes.sort(PathTest::utf8Compare);
    List<String> byKeyOrder = new ArrayList<>(keys);
    byKeyOrder.sort(Path.KEY_ORDER);
    assertEquals(byBytes, byKeyOrder);
  }

  @Test
  void pathsOrderKeyByKeyThenByLength() {
    List<Path> paths = new ArrayList<>(List.of(Path.of("b"), Path.of("a", "z"), Path.ROOT,
        Path.of("a!"), Path.of("a"), Path.of("a", "b", "c"), Path.of("a", "b"),
        Path.of("a", EMOJI), Path.of("a", "\uFFFF")));
    Collections.shuffle(paths, new java.util.Random(1));
    Collections.sort(paths);
    assertEquals(List.of(Path.ROOT, Path.of("a"), Path.of("a", "b"), Path.of("a", "b", "c"),
        Path.of("a", "z"), Path.of("a", "\uFFFF"), Path.of("a", EMOJI), Path.of("a!"),
        Path.of("b")), paths);
    assertEquals(0, Path.of("a", "b").compareTo(Path.of("a", "b")));
  }

  private static String escape(String s) {
    StringBuilder out = new StringBuilder();
    s.chars().forEach(c -> out.append(String.format("\\u%04x", c)));
    return out.toString();
  }

  // ---- structure ----

  @Test
  void containsAndOverlaps() {
    Path ab = Path.of("a", "b");
    assertTrue(ab.contains(ab));
    assertTrue(ab.contains(Path.of("a", "b", "c")));
    assertFalse(ab.contains(Path.of("a", "bc")));
    assertFalse(ab.contains(Path.of("a")));
    assertFalse(ab.contains(Path.of("a", "c", "b")));
    assertTrue(Path.ROOT.contains(ab));
    assertTrue(Path.ROOT.contains(Path.ROOT));
    assertFalse(ab.contains(Path.ROOT));

    assertTrue(ab.overlaps(Path.of("a")));
    assertTrue(Path.of("a").overlaps(ab));
    assertTrue(ab.overlaps(Path.of("a", "b", "c", "d")));
    assertTrue(ab.overlaps(Path.ROOT));
    assertTrue(ab.overlaps(ab));
    assertFalse(ab.overlaps(Path.of("a", "c")));
    assertFalse(ab.overlaps(Path.of("ab")));
  }

  @Test
  void prefixSuffixParent() {
    Path abc = Path.of("a", "b", "c");
    assertSame(Path.ROOT, abc.prefix(0));
    assertEquals(Path.of("a"), abc.prefix(1));
    assertEquals(Path.of("a", "b"), abc.prefix(2));
    assertSame(abc, abc.prefix(3));
    assertSame(abc, abc.suffix(0));
    assertEquals(Path.of("b", "c"), abc.suffix(1));
    assertEquals(Path.of("c"), abc.suffix(2));
    assertSame(Path.ROOT, abc.suffix(3));
    assertEquals(Path.of("a", "b"), abc.parent());
    assertSame(Path.ROOT, Path.of("a").parent());
    assertSame(Path.ROOT, Path.ROOT.parent());
    for (int i = 0; i <= 3; i++) {
      assertEquals(abc, abc.prefix(i).concat(abc.suffix(i)));
    }
  }

  @Test
  void accessors() {
    Path p = Path.of("a", "b");
    assertEquals(2, p.size());
    assertFalse(p.isRoot());
    assertTrue(Path.ROOT.isRoot());
    assertEquals(0, Path.ROOT.size());
    assertEquals("a", p.key(0));
    assertEquals("b", p.lastKey());
    assertEquals(null, Path.ROOT.lastKey());
    assertEquals(List.of(), Path.ROOT.keys());
    assertEquals(Path.of("a", "b", "c"), p.child("c"));
    assertEquals(List.of("a", "b"), p.keys(), "child leaves the parent unchanged");
    assertSame(Path.ROOT, Path.of());
    assertSame(Path.ROOT, Path.of(List.of()));
  }

  @Test
  void equalsAndHashCode() {
    assertEquals(Path.of("a", "b"), Path.ROOT.child("a").child("b"));
    assertEquals(Path.of("a", "b").hashCode(), Path.ROOT.child("a").child("b").hashCode());
    assertEquals(Path.of("a", "b"), Path.parse("a/b"));
    assertFalse(Path.of("a", "b").equals(Path.of("a/b".split("/")[0])));
    assertFalse(Path.of("ab").equals(Path.of("a", "b")));
    assertFalse(Path.of("a").equals("a"));
  }
}
