package dev.kora.interceptors;

import dev.kora.tree.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pattern over paths, written with {@code /} between segments:
 *
 * <ul>
 *   <li>a literal key matches itself: {@code todos};</li>
 *   <li>{@code *} matches any one key: {@code todos/*};</li>
 *   <li>{@code {name}} matches any one key and captures it: {@code user:todos/{user}/{id}} matched
 *       against {@code user:todos/dax/t1} captures {@code user=dax, id=t1};</li>
 *   <li>{@code **}, only as the last segment, matches zero or more keys: {@code cities/**} matches
 *       {@code cities} and everything under it; {@code **} alone matches every path.</li>
 * </ul>
 *
 * Immutable and thread-safe.
 */
public final class PathPattern {

  /** Matches every path. */
  public static final PathPattern ANY = parse("**");

  private final String text;
  private final String[] segments;
  private final String[] captureNames;
  private final boolean anyDepthTail;

  private PathPattern(String text, String[] segments, String[] captureNames, boolean anyDepthTail) {
    this.text = text;
    this.segments = segments;
    this.captureNames = captureNames;
    this.anyDepthTail = anyDepthTail;
  }

  /**
   * @param pattern e.g. {@code user:todos/{user}/*}; the empty string matches only the root
   * @return the pattern
   * @throws IllegalArgumentException for {@code **} before the last segment, an empty capture name or
   *     a literal that is not a valid key
   */
  public static PathPattern parse(String pattern) {
    List<String> parts = new ArrayList<>();
    for (String part : pattern.split("/", -1)) {
      if (!part.isEmpty()) {
        parts.add(part);
      }
    }
    boolean tail = !parts.isEmpty() && parts.get(parts.size() - 1).equals("**");
    if (tail) {
      parts.remove(parts.size() - 1);
    }
    String[] segments = new String[parts.size()];
    String[] names = new String[parts.size()];
    for (int i = 0; i < parts.size(); i++) {
      String part = parts.get(i);
      if (part.equals("**")) {
        throw new IllegalArgumentException("'**' may only end a pattern: " + pattern);
      }
      if (part.startsWith("{") && part.endsWith("}")) {
        String name = part.substring(1, part.length() - 1);
        if (name.isEmpty()) {
          throw new IllegalArgumentException("empty capture name in pattern: " + pattern);
        }
        names[i] = name;
        segments[i] = null;
      } else if (part.equals("*")) {
        segments[i] = null;
      } else {
        Path.checkKey(part);
        segments[i] = part;
      }
    }
    return new PathPattern(pattern, segments, names, tail);
  }

  /**
   * @param index a segment's position, from 0
   * @return the literal key the pattern requires there, e.g. {@code todos} at 0 for
   *     {@code todos/{user}/**}; null where any key matches ({@code *}, a capture, or past the fixed
   *     segments)
   */
  public String literalAt(int index) {
    return index < segments.length ? segments[index] : null;
  }

  /**
   * @return whether the pattern ends with {@code **}: a path it matches has every path under it
   *     matched too
   */
  public boolean endsWithAnyDepth() {
    return anyDepthTail;
  }

  /**
   * @return the names of the pattern's captures in order, e.g. {@code [user, id]} for
   *     {@code user:todos/{user}/{id}}; empty when it captures nothing
   */
  public List<String> captureNames() {
    List<String> names = new ArrayList<>();
    for (String name : captureNames) {
      if (name != null) {
        names.add(name);
      }
    }
    return names;
  }

  /**
   * @param path a path
   * @return whether it matches
   */
  public boolean matches(Path path) {
    return match(path) != null;
  }

  /**
   * @param path a path
   * @return the captured keys by name (empty when the pattern captures nothing), or null when the path
   *     does not match
   */
  public Map<String, String> match(Path path) {
    if (anyDepthTail ? path.size() < segments.length : path.size() != segments.length) {
      return null;
    }
    Map<String, String> captures = null;
    for (int i = 0; i < segments.length; i++) {
      String key = path.key(i);
      if (segments[i] != null) {
        if (!segments[i].equals(key)) {
          return null;
        }
      } else if (captureNames[i] != null) {
        if (captures == null) {
          captures = new LinkedHashMap<>();
        }
        captures.put(captureNames[i], key);
      }
    }
    return captures == null ? Collections.emptyMap() : captures;
  }

  /**
   * @param path a path
   * @return whether some path this pattern matches lies strictly under {@code path} — used to find
   *     writes above a pattern that reach into it (a wide delete or leaf write)
   */
  public boolean reachesBelow(Path path) {
    if (path.size() >= segments.length) {
      return false;
    }
    for (int i = 0; i < path.size(); i++) {
      if (segments[i] != null && !segments[i].equals(path.key(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * @param path a path shorter than the pattern, for which {@link #reachesBelow} holds
   * @return the keys the pattern's captures would bind within {@code path}
   */
  public Map<String, String> partialCaptures(Path path) {
    Map<String, String> captures = new LinkedHashMap<>();
    for (int i = 0; i < Math.min(path.size(), segments.length); i++) {
      if (captureNames[i] != null) {
        captures.put(captureNames[i], path.key(i));
      }
    }
    return captures;
  }

  @Override
  public String toString() {
    return text;
  }
}
