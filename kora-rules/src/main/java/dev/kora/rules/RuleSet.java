package dev.kora.rules;

import dev.kora.interceptors.PathPattern;
import dev.kora.tree.Path;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A compiled rules file. The file is JSON:
 *
 * <pre>{@code
 * {"rules": [
 *   {"path": "todos/{user}/**",
 *    "read": "auth != null && auth.sub == user",
 *    "write": "auth != null && auth.sub == user",
 *    "validate": "newData == null || type(newData) != map || has(newData.title)"}
 * ]}
 * }</pre>
 *
 * <p>What the rules mean (the same cascade as Firebase's security rules,
 * https://firebase.google.com/docs/rules/rules-behavior, with CEL instead of its own language):
 *
 * <ul>
 *   <li>Once a rules file is in force, nothing is allowed that no rule allows: a client reads and
 *       writes nothing without a rule.</li>
 *   <li>A path is <b>readable</b> when some rule whose pattern matches the path or one of its
 *       ancestors has a {@code read} expression that is true there. Answers and pushes carry only
 *       readable leaves; reading rights never depend on the data, so an answer and the pushes after it
 *       always agree.</li>
 *   <li>A change of a path (a leaf written, a path deleted) is <b>allowed</b> when some rule whose
 *       pattern matches the path or one of its ancestors has a {@code write} expression that is true
 *       there; a mutation is written only when every change in it is allowed.</li>
 *   <li>Every {@code validate} expression of a rule whose pattern matches a path the mutation
 *       reaches (a changed path or an ancestor of one) must be true there, unless the path's value is
 *       gone after the mutation. {@code validate} does not grant anything.</li>
 * </ul>
 *
 * Variables: {@code auth} (the session's claims, with {@code sub} the user, or {@code null} for an
 * anonymous client), {@code path} (the matched path, e.g. {@code "todos/dax/t1"}), {@code now} (ms
 * since the epoch), each capture of the pattern ({@code string}), and for {@code write} and
 * {@code validate} {@code data} (the value at the matched path before the mutation, {@code null} when
 * absent) and {@code newData} (the value after). Server-side writes and reads (the internal session)
 * are not subject to rules. Immutable and thread-safe.
 */
public final class RuleSet {

  private static final Set<String> RESERVED_NAMES =
      Set.of("auth", "path", "now", "data", "newData");
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private final List<Rule> rules;
  /** The rules whose pattern starts with any key (or matches the root), in file order. */
  private final List<Rule> anyFirstKey;
  /** By a path's first key: the rules that can match it or a path under it, in file order. */
  private final Map<String, List<Rule>> byFirstKey;

  private RuleSet(List<Rule> rules) {
    this.rules = List.copyOf(rules);
    List<Rule> general = new ArrayList<>();
    Map<String, List<Rule>> keyed = new HashMap<>();
    for (Rule rule : rules) {
      String first = rule.pattern().literalAt(0);
      if (first == null) {
        general.add(rule);
      }
    }
    for (Rule rule : rules) {
      String first = rule.pattern().literalAt(0);
      if (first != null && !keyed.containsKey(first)) {
        List<Rule> candidates = new ArrayList<>();
        for (Rule other : rules) {
          String otherFirst = other.pattern().literalAt(0);
          if (otherFirst == null || otherFirst.equals(first)) {
            candidates.add(other);
          }
        }
        keyed.put(first, List.copyOf(candidates));
      }
    }
    this.anyFirstKey = List.copyOf(general);
    this.byFirstKey = Map.copyOf(keyed);
  }

  /**
   * @param json the rules file's text, shaped as in the class comment
   * @param origin where it came from, for messages, e.g. {@code rules.json}
   * @return the compiled rules
   * @throws RulesException listing every problem: not JSON, a rule that is not an object, a missing
   *     or bad {@code path}, an unknown field, a capture named like a variable, an expression that
   *     does not compile or is not a string
   */
  public static RuleSet parse(String json, String origin) {
    List<String> problems = new ArrayList<>();
    JsonArray entries;
    try {
      JsonObject file = new JsonObject(json);
      for (String field : file.fieldNames()) {
        if (!field.equals("rules")) {
          problems.add("unknown field \"" + field + "\" (a rules file holds only \"rules\")");
        }
      }
      Object value = file.getValue("rules");
      if (!(value instanceof JsonArray)) {
        problems.add("\"rules\" must be an array of rules");
        throw new RulesException(origin, problems);
      }
      entries = (JsonArray) value;
    } catch (DecodeException e) {
      throw new RulesException(origin, List.of("not a JSON object: " + e.getMessage()));
    }
    List<Rule> rules = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      Rule rule = compile(i, entries.getValue(i), problems);
      if (rule != null) {
        rules.add(rule);
      }
    }
    if (!problems.isEmpty()) {
      throw new RulesException(origin, problems);
    }
    return new RuleSet(rules);
  }

  private static Rule compile(int index, Object entry, List<String> problems) {
    String where = "rule " + index;
    if (!(entry instanceof JsonObject object)) {
      problems.add(where + ": must be an object with \"path\" and expressions");
      return null;
    }
    Object pathText = object.getValue("path");
    if (!(pathText instanceof String)) {
      problems.add(where + ": \"path\" must be a string pattern, e.g. \"todos/{user}/**\"");
      return null;
    }
    PathPattern pattern;
    try {
      pattern = PathPattern.parse((String) pathText);
    } catch (IllegalArgumentException e) {
      problems.add(where + ": bad path pattern: " + e.getMessage());
      return null;
    }
    where = "rule " + index + " (" + pattern + ")";
    List<String> captures = pattern.captureNames();
    boolean capturesOk = true;
    Set<String> seen = new HashSet<>();
    for (String capture : captures) {
      if (!IDENTIFIER.matcher(capture).matches() || RESERVED_NAMES.contains(capture)
          || !seen.add(capture)) {
        problems.add(where + ": capture {" + capture + "} must be a distinct identifier other"
            + " than " + RESERVED_NAMES);
        capturesOk = false;
      }
    }
    for (String field : object.fieldNames()) {
      if (!Set.of("path", "read", "write", "validate").contains(field)) {
        problems.add(where + ": unknown field \"" + field
            + "\" (a rule has path, read, write and validate)");
      }
    }
    if (!capturesOk) {
      return null;
    }
    RuleExpression[] expressions = new RuleExpression[RuleExpression.Kind.values().length];
    for (RuleExpression.Kind kind : RuleExpression.Kind.values()) {
      Object source = object.getValue(kind.field);
      if (source == null) {
        continue;
      }
      if (!(source instanceof String)) {
        problems.add(where + ": " + kind.field + " must be a CEL expression in a string");
        continue;
      }
      try {
        expressions[kind.ordinal()] = RuleExpression.compile((String) source, kind, captures);
      } catch (IllegalArgumentException e) {
        problems.add(where + ": " + kind.field + ": " + e.getMessage().replace("\n", "\n    "));
      }
    }
    return new Rule(index, pattern, captures, expressions[0], expressions[1], expressions[2]);
  }

  /** @return the rules, in file order */
  List<Rule> rules() {
    return rules;
  }

  /** @return how many rules the file holds */
  public int size() {
    return rules.size();
  }

  /**
   * @param path a path
   * @return whether a rule with a {@code validate} expression may match it or a path around it
   *     (one of its candidates has one): when false, a mutation within it needs no validation
   */
  boolean mayValidate(Path path) {
    for (Rule rule : candidates(path)) {
      if (rule.validate() != null) {
        return true;
      }
    }
    return false;
  }

  /**
   * @param path a path
   * @param kind which expression the caller needs
   * @return the rules with such an expression whose pattern matches {@code path}, with the captures
   */
  List<Match> matching(Path path, RuleExpression.Kind kind) {
    List<Match> result = null;
    for (Rule rule : candidates(path)) {
      if (rule.expression(kind) == null) {
        continue;
      }
      Map<String, String> captures = rule.pattern().match(path);
      if (captures != null) {
        if (result == null) {
          result = new ArrayList<>(2);
        }
        result.add(new Match(rule, captures));
      }
    }
    return result == null ? List.of() : result;
  }

  /**
   * Whether a read rule may grant something strictly under a path where no rule granted reading at
   * the path or above: a rule whose pattern is longer than the path and agrees with it, or a rule
   * ending in {@code **} that matches the path and reads {@code path} (any other such rule decides
   * under the path as it decided at it: with the same captures, no).
   *
   * @param path a path that is not readable
   * @return whether parts of its subtree may still be readable
   */
  boolean readMayGrantBelow(Path path) {
    for (Rule rule : candidates(path)) {
      RuleExpression read = rule.read();
      if (read == null) {
        continue;
      }
      PathPattern pattern = rule.pattern();
      if (pattern.reachesBelow(path)
          || read.usesPath() && pattern.endsWithAnyDepth() && pattern.matches(path)) {
        return true;
      }
    }
    return false;
  }

  /**
   * @param path a path
   * @return the rules that can match it or a path under it (those whose first segment matches its
   *     first key), in file order; every rule for the root
   */
  List<Rule> candidates(Path path) {
    if (path.isRoot()) {
      return rules;
    }
    return byFirstKey.getOrDefault(path.key(0), anyFirstKey);
  }

  /**
   * A rule that matches a path.
   *
   * @param rule the rule
   * @param captures the keys its pattern bound
   */
  record Match(Rule rule, Map<String, String> captures) {
  }
}
