package dev.kora.rules;

import dev.kora.interceptors.Session;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Tree;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Decides one mutation of one client against the rules (see {@link RuleSet} for what they mean):
 * every changed path needs a {@code write} rule that is true at it or an ancestor, and every
 * {@code validate} rule matching a path the mutation reaches must hold where a value remains. The
 * values before the mutation are read only where an expression uses {@code data} or {@code newData}
 * (or a {@code validate} must know whether a value remains), each path once.
 */
final class WriteCheck {

  private final RuleSet rules;
  private final Mutation mutation;
  private final Object auth;
  private final long nowMs;
  private final Function<Path, Future<Object>> reader;
  private final Map<Path, Object> before = new HashMap<>();

  /**
   * @param rules the rules in force
   * @param mutation the client's mutation
   * @param session who writes
   * @param nowMs the time of the decision, ms since the epoch
   * @param reader reads the value at a path before the mutation (a subtree, a leaf or null)
   */
  WriteCheck(RuleSet rules, Mutation mutation, Session session, long nowMs,
      Function<Path, Future<Object>> reader) {
    this.rules = rules;
    this.mutation = mutation;
    this.auth = Variables.auth(session);
    this.nowMs = nowMs;
    this.reader = reader;
  }

  /**
   * @return succeeds when the mutation is allowed; fails with {@code denied} naming the first changed
   *     path no write rule allows, or {@code invalid_mutation} naming the rule whose validate
   *     expression is false and where, or the reader's failure
   */
  Future<Void> run() {
    List<Path> changed = changedPaths();
    Set<Path> reached = new LinkedHashSet<>();
    for (Path path : changed) {
      if (rules.mayValidate(path)) {
        for (int length = 0; length <= path.size(); length++) {
          reached.add(path.prefix(length));
        }
      }
    }
    // Which values must be read: where a validate rule applies, and where a write rule that uses the
    // data could grant a change no rule without data grants.
    Set<Path> toRead = new LinkedHashSet<>();
    List<Path> ungranted = new ArrayList<>();
    for (Path path : changed) {
      if (!granted(path, false)) {
        ungranted.add(path);
        for (int length = 0; length <= path.size(); length++) {
          Path prefix = path.prefix(length);
          for (RuleSet.Match match : rules.matching(prefix, RuleExpression.Kind.WRITE)) {
            if (match.rule().write().usesData()) {
              toRead.add(prefix);
            }
          }
        }
      }
    }
    for (Path path : reached) {
      if (!rules.matching(path, RuleExpression.Kind.VALIDATE).isEmpty()) {
        toRead.add(path);
      }
    }
    if (toRead.isEmpty()) {
      return decide(ungranted, reached);
    }
    List<Future<Object>> reads = new ArrayList<>();
    List<Path> order = new ArrayList<>(toRead);
    for (Path path : order) {
      reads.add(reader.apply(path));
    }
    return Future.all(reads).compose(all -> {
      for (int i = 0; i < order.size(); i++) {
        before.put(order.get(i), all.resultAt(i));
      }
      return decide(ungranted, reached);
    });
  }

  private Future<Void> decide(List<Path> ungranted, Set<Path> reached) {
    for (Path path : ungranted) {
      if (!granted(path, true)) {
        return Future.failedFuture(new KoraException(ErrorCode.DENIED,
            "no write rule allows changing " + describe(path)));
      }
    }
    for (Path path : reached) {
      List<RuleSet.Match> validators = rules.matching(path, RuleExpression.Kind.VALIDATE);
      if (validators.isEmpty()) {
        continue;
      }
      Object after = after(path);
      if (after == null) {
        continue;
      }
      for (RuleSet.Match match : validators) {
        if (!match.rule().validate().test(variables(match, path))) {
          return Future.failedFuture(new KoraException(ErrorCode.INVALID_MUTATION,
              "the validate expression of " + match.rule().describe() + " is false at "
                  + describe(path)));
        }
      }
    }
    return Future.succeededFuture();
  }

  /** Whether a write rule at the path or an ancestor grants changing it. */
  private boolean granted(Path path, boolean withData) {
    for (int length = 0; length <= path.size(); length++) {
      Path prefix = length == path.size() ? path : path.prefix(length);
      for (Rule rule : rules.candidates(prefix)) {
        RuleExpression write = rule.write();
        if (write == null || write.usesData() != withData) {
          continue;
        }
        Map<String, String> captures = rule.pattern().match(prefix);
        if (captures != null && write.test(variables(new RuleSet.Match(rule, captures), prefix))) {
          return true;
        }
      }
    }
    return false;
  }

  private Map<String, Object> variables(RuleSet.Match match, Path path) {
    Map<String, Object> variables = Variables.of(auth, nowMs, match, path);
    if (before.containsKey(path)) {
      variables.put("data", CelValues.of(before.get(path)));
      variables.put("newData", CelValues.of(after(path)));
    } else {
      variables.put("data", CelValues.NULL);
      variables.put("newData", CelValues.NULL);
    }
    return variables;
  }

  /** The value at a path after the mutation, from the value read before it. */
  private Object after(Path path) {
    Object value = before.get(path);
    JsonObject tree = new JsonObject();
    if (path.isRoot()) {
      if (value instanceof JsonObject) {
        tree = ((JsonObject) value).copy();
      }
    } else if (value != null) {
      Tree.put(tree, path, value instanceof JsonObject ? ((JsonObject) value).copy() : value);
    }
    JsonObject result = mutation.restrictTo(path).applyTo(tree);
    return path.isRoot() ? (result.isEmpty() ? null : result) : Tree.get(result, path);
  }

  private List<Path> changedPaths() {
    List<Path> changed = new ArrayList<>(mutation.deletes());
    for (LeafWrite write : mutation.writes()) {
      changed.add(write.path());
    }
    return changed;
  }

  private static String describe(Path path) {
    return path.isRoot() ? "the root" : path.toString();
  }
}
