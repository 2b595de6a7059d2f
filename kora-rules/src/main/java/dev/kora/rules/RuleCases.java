package dev.kora.rules;

import dev.kora.interceptors.Identity;
import dev.kora.interceptors.Session;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Tree;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Unit tests of a rules file ({@code ./kora rules test RULES CASES}): each case names who asks, what
 * and where, the data before, and the expected decision. A cases file:
 *
 * <pre>{@code
 * {"cases": [
 *   {"name": "owner reads a todo", "auth": {"sub": "dax"}, "operation": "read",
 *    "path": "todos/dax/t1", "expect": "allow"},
 *   {"name": "a title is needed", "auth": {"sub": "dax"}, "operation": "write",
 *    "path": "todos/dax/t1", "value": {"done": true}, "data": {}, "expect": "deny"},
 *   {"name": "stranger deletes", "auth": null, "operation": "delete", "path": "todos/dax/t1",
 *    "data": {"todos": {"dax": {"t1": {"title": "milk"}}}}, "expect": "deny"}
 * ]}
 * }</pre>
 *
 * {@code auth} is the token's claims ({@code sub} the user) or null for an anonymous client;
 * {@code operation} is {@code read} (is the path readable), {@code write} (merge {@code value} at
 * {@code path}) or {@code delete}; {@code data} is the whole tree before, from the root (default
 * empty); {@code now} is ms since the epoch (default the current time); {@code expect} is
 * {@code allow} or {@code deny}. Decisions are exactly the node's (the same {@link ReadCheck} and
 * {@link WriteCheck}).
 */
public final class RuleCases {

  /**
   * The outcome of one case.
   *
   * @param name the case's name (or its index)
   * @param expected what the case expects: {@code allow} or {@code deny}
   * @param actual what the rules decided
   * @param reason why a write was refused, or null
   */
  public record Outcome(String name, String expected, String actual, String reason) {
    /** @return whether the rules decided as expected */
    public boolean passed() {
      return expected.equals(actual);
    }
  }

  private RuleCases() {
  }

  /**
   * @param rules the rules under test
   * @param casesJson the cases file's text, shaped as in the class comment
   * @return one outcome per case, in order
   * @throws IllegalArgumentException for a cases file of the wrong shape, naming the case and field
   */
  public static List<Outcome> run(RuleSet rules, String casesJson) {
    JsonArray cases;
    try {
      cases = new JsonObject(casesJson).getJsonArray("cases");
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalArgumentException("a cases file is a JSON object {\"cases\": [...]}: "
          + e.getMessage());
    }
    if (cases == null) {
      throw new IllegalArgumentException("a cases file is a JSON object {\"cases\": [...]}");
    }
    List<Outcome> outcomes = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      if (!(cases.getValue(i) instanceof JsonObject)) {
        throw new IllegalArgumentException("case " + i + " is not an object");
      }
      outcomes.add(runCase(rules, i, cases.getJsonObject(i)));
    }
    return outcomes;
  }

  private static Outcome runCase(RuleSet rules, int index, JsonObject json) {
    String name = json.getString("name", "case " + index);
    String where = "case " + index + " (" + name + ")";
    String expect = json.getString("expect");
    if (!"allow".equals(expect) && !"deny".equals(expect)) {
      throw new IllegalArgumentException(where + ": \"expect\" must be \"allow\" or \"deny\"");
    }
    Path path;
    try {
      path = Path.parse(json.getString("path", ""));
    } catch (KoraException | ClassCastException e) {
      throw new IllegalArgumentException(where + ": bad \"path\": " + e.getMessage());
    }
    Session session = Session.client("rules-test");
    Object auth = json.getValue("auth");
    if (auth instanceof JsonObject claims) {
      session.authenticate(new Identity(claims.getString("sub"), claims, 0));
    } else if (auth != null) {
      throw new IllegalArgumentException(where + ": \"auth\" must be an object of claims or null");
    }
    long now = json.getLong("now", System.currentTimeMillis());
    JsonObject data = json.getJsonObject("data", new JsonObject());
    String operation = json.getString("operation", "");
    switch (operation) {
      case "read" -> {
        boolean readable = new ReadCheck(rules, session, now).readable(path);
        return new Outcome(name, expect, readable ? "allow" : "deny", null);
      }
      case "write", "delete" -> {
        Mutation mutation;
        try {
          mutation = operation.equals("delete") ? Mutation.delete(path)
              : Mutation.merge(path, json.getValue("value"));
        } catch (KoraException e) {
          throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
        Future<Void> decided = new WriteCheck(rules, mutation, session, now,
            at -> Future.succeededFuture(at.isRoot() ? data.copy() : Tree.get(data, at))).run();
        return new Outcome(name, expect, decided.succeeded() ? "allow" : "deny",
            decided.failed() ? decided.cause().getMessage() : null);
      }
      default -> throw new IllegalArgumentException(where
          + ": \"operation\" must be read, write or delete");
    }
  }
}
