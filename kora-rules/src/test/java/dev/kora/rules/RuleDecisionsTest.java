package dev.kora.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.interceptors.Identity;
import dev.kora.interceptors.Session;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Tree;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The decisions of a rules file, without a node: what is readable and what an answer or push keeps,
 * which writes are allowed, {@code validate} with {@code newData}, {@code data}, captures,
 * {@code auth == null}, {@code now}, and the errors of files that do not compile.
 */
class RuleDecisionsTest {

  static final String RULES = """
      {"rules": [
        {"path": "profiles/{user}/**",
         "read": "auth != null && auth.sub == user",
         "write": "auth != null && auth.sub == user"},
        {"path": "profiles/{user}/name", "read": "auth != null"},
        {"path": "public/**", "read": "true", "write": "auth != null && auth.role == 'admin'"},
        {"path": "todos/{user}/**", "read": "auth != null && auth.sub == user",
         "write": "auth != null && auth.sub == user"},
        {"path": "todos/{user}/{id}",
         "validate": "has(newData.title) && type(newData.title) == string && size(newData.title) <= 20"},
        {"path": "claims/{key}", "write": "data == null",
         "read": "auth != null && now < 4102444800000"}
      ]}
      """;

  private final RuleSet rules = RuleSet.parse(RULES, "test");

  static Session user(String name, String role) {
    JsonObject claims = new JsonObject().put("sub", name);
    if (role != null) {
      claims.put("role", role);
    }
    return Session.client("c-" + name).authenticate(new Identity(name, claims, 0));
  }

  static final Session ANONYMOUS = Session.client("anonymous");

  private boolean readable(Session session, String path) {
    return new ReadCheck(rules, session, System.currentTimeMillis()).readable(Path.parse(path));
  }

  private Future<Void> write(Session session, Mutation mutation, JsonObject before) {
    List<Path> reads = new ArrayList<>();
    return new WriteCheck(rules, mutation, session, System.currentTimeMillis(), path -> {
      reads.add(path);
      return Future.succeededFuture(path.isRoot() ? before.copy() : Tree.get(before, path));
    }).run();
  }

  private static String code(Future<Void> decided) {
    assertTrue(decided.isComplete(), "decided at once with a synchronous reader");
    return decided.succeeded() ? "allow" : ((KoraException) decided.cause()).code();
  }

  @Test
  void readingCascadesFromTheMatchedPathAndNothingWithoutARuleIsReadable() {
    Session dax = user("dax", null);
    assertTrue(readable(dax, "profiles/dax"));
    assertTrue(readable(dax, "profiles/dax/email/home"), "a grant covers the subtree");
    assertFalse(readable(dax, "profiles/bob/email"), "another user's profile");
    assertTrue(readable(dax, "profiles/bob/name"), "a field rule grants one field");
    assertFalse(readable(ANONYMOUS, "profiles/bob/name"), "auth is null for an anonymous client");
    assertTrue(readable(ANONYMOUS, "public/news/1"));
    assertFalse(readable(dax, "profiles"), "the parent of granted paths is not readable");
    assertFalse(readable(dax, "secrets/x"), "no rule, no read");
    assertTrue(readable(dax, "claims/k"), "now is ms since the epoch");
  }

  @Test
  void answersAndPushesKeepOnlyReadableLeaves() {
    Session dax = user("dax", null);
    ReadCheck check = new ReadCheck(rules, dax, System.currentTimeMillis());
    Mutation change = Mutation.fromJson(new JsonObject("""
        {"merge": {"profiles": {"dax": {"email": "d@x"}, "bob": {"name": "Bob", "email": "b@x"}},
                   "secrets": {"x": 1}, "public": {"n": 1}},
         "delete": {"profiles": {"bob": {"old": 1}}, "secrets": {"y": 1}}}
        """));
    Mutation seen = check.filter(change);
    assertEquals(Mutation.fromJson(new JsonObject("""
        {"merge": {"profiles": {"dax": {"email": "d@x"}, "bob": {"name": "Bob"}},
                   "public": {"n": 1}}}
        """)), seen, "bob's email, the secrets and deletes of what dax cannot see are gone");
    Mutation wide = Mutation.delete(Path.parse("profiles/bob"));
    assertSame(wide, check.filter(wide), "dax may hold bob's name: the delete reaches her");
    assertEquals(Mutation.delete(Path.parse("profiles/bob")), check.filter(Mutation.merge(
        Path.parse("profiles/bob"), "gone")), "a leaf dax may not read replaces bob's profile,"
        + " whose name she may have: she learns only that it is gone");
    Mutation allPublic = Mutation.merge(Path.parse("public/a"), 1);
    assertSame(allPublic, check.filter(allPublic), "nothing to hide: the same part");
    assertTrue(new ReadCheck(rules, ANONYMOUS, 0).filter(Mutation.merge(Path.parse(
        "profiles/bob/email"), "x")).isEmpty());
    JsonObject answer = new JsonObject("{\"profiles\": {\"bob\": {\"name\": \"Bob\", \"age\": 3}}}");
    assertEquals(new JsonObject("{\"profiles\": {\"bob\": {\"name\": \"Bob\"}}}"),
        check.filterTree(answer, false));
  }

  @Test
  void aQueryOfAPathUnderWhichNothingCanBeReadIsRefused() {
    ReadCheck check = new ReadCheck(rules, ANONYMOUS, 0);
    assertTrue(check.mayShowAnything(Path.parse("profiles")), "profiles/*/name may be readable");
    assertTrue(check.mayShowAnything(Path.ROOT));
    assertFalse(check.mayShowAnything(Path.parse("secrets")));
    assertFalse(check.mayShowAnything(Path.parse("profiles/bob/email")));
  }

  @Test
  void writesNeedAWriteRuleAtThePathOrAnAncestorForEveryChange() {
    Session dax = user("dax", null);
    JsonObject before = new JsonObject();
    assertEquals("allow", code(write(dax, Mutation.merge(Path.parse("profiles/dax/email"), "x"),
        before)));
    assertEquals(ErrorCode.DENIED, code(write(dax, Mutation.merge(Path.parse(
        "profiles/bob/email"), "x"), before)));
    assertEquals(ErrorCode.DENIED, code(write(dax, Mutation.fromJson(new JsonObject("""
        {"merge": {"profiles": {"dax": {"a": 1}, "bob": {"a": 1}}}}""")), before)),
        "one change not allowed refuses the whole mutation");
    assertEquals(ErrorCode.DENIED, code(write(dax, Mutation.delete(Path.parse("profiles")),
        before)), "a wide delete above every rule");
    assertEquals(ErrorCode.DENIED, code(write(ANONYMOUS, Mutation.merge(Path.parse("public/a"),
        1), before)));
    assertEquals("allow", code(write(user("root", "admin"), Mutation.merge(
        Path.parse("public/a"), 1), before)), "claims decide");
    assertEquals(ErrorCode.DENIED, code(write(dax, Mutation.merge(Path.parse("profiles/dax/name"),
        "Dax"), before).map(v -> null).compose(v -> write(dax, Mutation.merge(Path.parse(
        "elsewhere"), 1), before))));
  }

  @Test
  void validateSeesNewDataAndIsSkippedWhenTheValueIsGone() {
    Session dax = user("dax", null);
    JsonObject before = new JsonObject("{\"todos\": {\"dax\": {\"t1\": {\"title\": \"milk\"}}}}");
    assertEquals("allow", code(write(dax, Mutation.merge(Path.parse("todos/dax/t1/done"), true),
        before)), "newData keeps the stored title");
    assertEquals(ErrorCode.INVALID_MUTATION, code(write(dax, Mutation.merge(
        Path.parse("todos/dax/t2/done"), true), before)), "a new todo without a title");
    assertEquals(ErrorCode.INVALID_MUTATION, code(write(dax, Mutation.merge(
        Path.parse("todos/dax/t1/title"), "a title much longer than twenty"), before)));
    assertEquals("allow", code(write(dax, Mutation.delete(Path.parse("todos/dax/t1")), before)),
        "a delete leaves nothing to validate");
    assertEquals("allow", code(write(dax, Mutation.delete(Path.parse("todos/dax/t1/title")),
        new JsonObject())), "nothing there before, nothing after");
    assertEquals("allow", code(write(dax, Mutation.delete(Path.parse("todos/dax/t1/title")),
        before)), "removing the only field removes the todo: nothing left to validate");
    JsonObject done = new JsonObject("{\"todos\": {\"dax\": {\"t1\": {\"title\": \"milk\","
        + " \"done\": false}}}}");
    assertEquals(ErrorCode.INVALID_MUTATION, code(write(dax, Mutation.delete(
        Path.parse("todos/dax/t1/title")), done)), "removing the title leaves an invalid todo");
  }

  @Test
  void writeRulesSeeTheDataBefore() {
    JsonObject before = new JsonObject("{\"claims\": {\"taken\": \"bob\"}}");
    assertEquals("allow", code(write(ANONYMOUS, Mutation.merge(Path.parse("claims/free"), "me"),
        before)));
    assertEquals(ErrorCode.DENIED, code(write(ANONYMOUS, Mutation.merge(Path.parse(
        "claims/taken"), "me"), before)), "data == null is false once taken");
  }

  @Test
  void aFileThatDoesNotCompileNamesEveryProblem() {
    RulesException bad = assertThrows(RulesException.class, () -> RuleSet.parse("""
        {"rules": [
          {"path": "a/{user}", "read": "data == null"},
          {"path": "b/**/c", "read": "true"},
          {"path": "c", "write": "1 +"},
          {"path": "d", "read": "'yes'"},
          {"path": "e/{auth}", "read": "true"},
          {"path": "f", "reed": "true"},
          "g",
          {"path": "h", "validate": 5}
        ], "extra": 1}
        """, "bad.json"));
    List<String> problems = bad.problems();
    assertEquals(9, problems.size(), String.join("\n", problems));
    assertTrue(problems.get(1).startsWith("rule 0 (a/{user}): read:")
        && problems.get(1).contains("undeclared reference to 'data'"), problems.get(1));
    assertTrue(bad.getMessage().startsWith("invalid rules in bad.json"), bad.getMessage());
    assertThrows(RulesException.class, () -> RuleSet.parse("not json", "x"));
    assertThrows(RulesException.class, () -> RuleSet.parse("{\"rules\": {}}", "x"));
  }

  @Test
  void anExpressionThatFailsAtRunTimeDenies() {
    RuleSet strict = RuleSet.parse("{\"rules\": [{\"path\": \"x/**\", \"read\": \"auth.role == 'a'\","
        + " \"write\": \"auth.missing.deeper == 1\"}]}", "strict");
    assertFalse(new ReadCheck(strict, user("u", null), 0).readable(Path.parse("x/y")),
        "no role claim: an error, so false");
    assertEquals(ErrorCode.DENIED, code(new WriteCheck(strict, Mutation.merge(Path.parse("x/y"),
        1), user("u", null), 0, p -> Future.succeededFuture(null)).run()));
  }
}
