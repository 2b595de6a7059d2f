package dev.kora.tree;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/**
 * A location in the tree: the list of keys from the root, e.g. {@code ["user:info", "dax", "name"]}.
 * Written with {@code /} between keys over REST ({@code user:info/dax/name}). The empty path is the
 * {@link #ROOT root}.
 *
 * <p>Key rules (Firebase Realtime Database's limits are the model): a key is a non-empty string of at
 * most {@value #MAX_KEY_BYTES} UTF-8 bytes, valid Unicode (no lone surrogate), with no ASCII control
 * character (0x00–0x1F, 0x7F) and no {@code /}. A path has at most {@value #MAX_DEPTH} keys. Breaking
 * a rule throws {@link InvalidPathException} with code {@code invalid_key} or {@code too_deep}.
 *
 * <p>Paths are immutable values, safe to share between threads. They order by their keys, each key
 * compared by its UTF-8 bytes ({@link #KEY_ORDER}), which is the order of children in the tree and of
 * {@code min}, {@code max} and {@code limit} in queries.
 */
public final class Path implements Comparable<Path> {

  /** Most UTF-8 bytes in one key. */
  public static final int MAX_KEY_BYTES = 768;
  /** Most keys in one path. */
  public static final int MAX_DEPTH = 32;

  /** The path with no keys: the whole tree. */
  public static final Path ROOT = new Path(new String[0]);

  /**
   * Orders keys by their UTF-8 bytes. Comparing code points gives the same order as comparing UTF-8
   * bytes, without encoding.
   */
  public static final Comparator<String> KEY_ORDER = Path::compareKeys;

  private final String[] keys;
  private int hash;

  private Path(String[] keys) {
    this.keys = keys;
  }

  /**
   * @param keys the keys from the root, e.g. {@code Path.of("todos", "t1")}
   * @return the path
   * @throws InvalidPathException if a key breaks the key rules or there are too many keys
   */
  public static Path of(String... keys) {
    String[] copy = keys.clone();
    checkDepth(copy.length);
    for (String key : copy) {
      checkKey(key);
    }
    return copy.length == 0 ? ROOT : new Path(copy);
  }

  /**
   * @param keys the keys from the root
   * @return the path
   * @throws InvalidPathException if a key breaks the key rules or there are too many keys
   */
  public static Path of(List<String> keys) {
    return of(keys.toArray(new String[0]));
  }

  /**
   * Parses the REST form: keys separated by {@code /}, each percent-decoded. Empty segments (leading,
   * trailing or doubled slashes) are ignored, so {@code ""} and {@code "/"} are the root.
   *
   * @param text e.g. {@code "user:info/dax/first%20name"}
   * @return the path {@code ["user:info", "dax", "first name"]}
   * @throws InvalidPathException if a decoded key breaks the key rules, the path is too deep, or a
   *     percent escape is malformed or its bytes are not UTF-8 (code {@code invalid_key})
   */
  public static Path parse(String text) {
    List<String> keys = new ArrayList<>();
    for (String segment : text.split("/", -1)) {
      if (segment.isEmpty()) {
        continue;
      }
      keys.add(decodeSegment(segment));
    }
    return of(keys);
  }

  /**
   * Percent-decodes one segment: each run of {@code %XX} escapes must be valid UTF-8 (bad bytes are
   * refused, not replaced by U+FFFD); every other character, {@code +} included, stands for itself.
   */
  private static String decodeSegment(String segment) {
    if (segment.indexOf('%') < 0) {
      return segment;
    }
    StringBuilder out = new StringBuilder(segment.length());
    int i = 0;
    while (i < segment.length()) {
      if (segment.charAt(i) != '%') {
        out.append(segment.charAt(i++));
        continue;
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      while (i < segment.length() && segment.charAt(i) == '%') {
        int high = i + 2 < segment.length() ? hexDigit(segment.charAt(i + 1)) : -1;
        int low = high < 0 ? -1 : hexDigit(segment.charAt(i + 2));
        if (low < 0) {
          throw new InvalidPathException(ErrorCode.INVALID_KEY,
              "malformed percent escape in path segment '" + printable(segment) + "'");
        }
        bytes.write(high * 16 + low);
        i += 3;
      }
      try {
        out.append(StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes.toByteArray())));
      } catch (CharacterCodingException e) {
        throw new InvalidPathException(ErrorCode.INVALID_KEY,
            "percent escapes in path segment '" + printable(segment) + "' are not valid UTF-8");
      }
    }
    return out.toString();
  }

  private static int hexDigit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  /**
   * Checks one key against the key rules.
   *
   * @param key the key
   * @throws InvalidPathException with code {@code invalid_key} naming the key and the rule it breaks
   */
  public static void checkKey(String key) {
    if (key == null || key.isEmpty()) {
      throw new InvalidPathException(ErrorCode.INVALID_KEY, "key must not be empty");
    }
    int bytes = 0;
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x20 || c == 0x7F) {
        throw new InvalidPathException(ErrorCode.INVALID_KEY, "key '" + printable(key)
            + "' contains the control character 0x" + Integer.toHexString(c));
      }
      if (c == '/') {
        throw new InvalidPathException(ErrorCode.INVALID_KEY, "key '" + key + "' contains '/'");
      }
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < key.length()
          && Character.isLowSurrogate(key.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new InvalidPathException(ErrorCode.INVALID_KEY,
            "key '" + printable(key) + "' is not valid Unicode (lone surrogate)");
      } else {
        bytes += 3;
      }
    }
    if (bytes > MAX_KEY_BYTES) {
      throw new InvalidPathException(ErrorCode.INVALID_KEY, "key '" + key.substring(0, 32)
          + "...' is " + bytes + " UTF-8 bytes long; the limit is " + MAX_KEY_BYTES);
    }
  }

  private static void checkDepth(int depth) {
    if (depth > MAX_DEPTH) {
      throw new InvalidPathException(ErrorCode.TOO_DEEP,
          "path has " + depth + " keys; the limit is " + MAX_DEPTH);
    }
  }

  private static String printable(String key) {
    StringBuilder out = new StringBuilder();
    for (char c : key.toCharArray()) {
      if (c < 0x20 || c == 0x7F || Character.isSurrogate(c)) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * @param key a key to append
   * @return this path extended by one key
   * @throws InvalidPathException if the key breaks the rules or the path would be too deep
   */
  public Path child(String key) {
    checkKey(key);
    checkDepth(keys.length + 1);
    return childOfCheckedKey(key);
  }

  /**
   * {@link #child} for a key already checked, e.g. one of a {@link Mutation}'s trees, which were
   * checked when the mutation was built: no second pass over its characters.
   */
  Path childOfCheckedKey(String key) {
    String[] next = Arrays.copyOf(keys, keys.length + 1);
    next[keys.length] = key;
    return new Path(next);
  }

  /**
   * @param suffix keys to append
   * @return this path followed by the keys of {@code suffix}
   * @throws InvalidPathException if the result would be too deep
   */
  public Path concat(Path suffix) {
    if (suffix.keys.length == 0) {
      return this;
    }
    checkDepth(keys.length + suffix.keys.length);
    String[] next = Arrays.copyOf(keys, keys.length + suffix.keys.length);
    System.arraycopy(suffix.keys, 0, next, keys.length, suffix.keys.length);
    return new Path(next);
  }

  /** @return the path without its last key; the root's parent is the root */
  public Path parent() {
    return keys.length <= 1 ? ROOT : new Path(Arrays.copyOf(keys, keys.length - 1));
  }

  /**
   * @param length how many leading keys to keep, 0 to {@link #size()}
   * @return the ancestor (or this path) made of the first {@code length} keys
   */
  public Path prefix(int length) {
    if (length < 0 || length > keys.length) {
      throw new IndexOutOfBoundsException("prefix of " + length + " keys of a path of "
          + keys.length);
    }
    if (length == keys.length) {
      return this;
    }
    return length == 0 ? ROOT : new Path(Arrays.copyOf(keys, length));
  }

  /**
   * @param start how many leading keys to drop
   * @return the keys after the first {@code start}, e.g. {@code a/b/c}.suffix(1) = {@code b/c}
   */
  public Path suffix(int start) {
    if (start == 0) {
      return this;
    }
    return start >= keys.length ? ROOT : new Path(Arrays.copyOfRange(keys, start, keys.length));
  }

  /** @return the number of keys; 0 for the root */
  public int size() {
    return keys.length;
  }

  /** @return whether this is the root */
  public boolean isRoot() {
    return keys.length == 0;
  }

  /**
   * @param index 0-based position
   * @return the key at that position
   */
  public String key(int index) {
    return keys[index];
  }

  /** @return the last key, or null for the root */
  public String lastKey() {
    return keys.length == 0 ? null : keys[keys.length - 1];
  }

  /** @return the keys, unmodifiable */
  public List<String> keys() {
    return Collections.unmodifiableList(Arrays.asList(keys));
  }

  /**
   * @param other a path
   * @return whether {@code other} equals this path or lies under it ({@code a/b} contains
   *     {@code a/b} and {@code a/b/c}, not {@code a/bc})
   */
  public boolean contains(Path other) {
    if (other.keys.length < keys.length) {
      return false;
    }
    for (int i = 0; i < keys.length; i++) {
      if (!keys[i].equals(other.keys[i])) {
        return false;
      }
    }
    return true;
  }

  /**
   * @param other a path
   * @return whether one of the two paths contains the other (one subtree holds the other)
   */
  public boolean overlaps(Path other) {
    return contains(other) || other.contains(this);
  }

  @Override
  public int compareTo(Path other) {
    int n = Math.min(keys.length, other.keys.length);
    for (int i = 0; i < n; i++) {
      int c = compareKeys(keys[i], other.keys[i]);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(keys.length, other.keys.length);
  }

  /**
   * Compares two keys by their UTF-8 bytes.
   *
   * @return negative, zero or positive as {@code a} sorts before, with or after {@code b}
   */
  public static int compareKeys(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Path && Arrays.equals(keys, ((Path) o).keys);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = Arrays.hashCode(keys);
      hash = h;
    }
    return h;
  }

  /** @return the REST form, keys joined by {@code /} with {@code %} and {@code /} percent-encoded */
  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < keys.length; i++) {
      if (i > 0) {
        out.append('/');
      }
      out.append(keys[i].replace("%", "%25"));
    }
    return out.toString();
  }
}
