package dev.kora.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Rule unit tests as {@code ./kora rules test} runs them: outcomes, failures, bad case files. */
class RuleCasesTest {

  private final RuleSet rules = RuleSet.parse(RuleDecisionsTest.RULES, "test");

  @Test
  void eachCaseIsDecidedAsTheNodeDecides() {
    List<RuleCases.Outcome> outcomes = RuleCases.run(rules, """
        {"cases": [
          {"name": "own profile", "auth": {"sub": "dax"}, "operation": "read",
           "path": "profiles/dax/email", "expect": "allow"},
          {"name": "anonymous name", "auth": null, "operation": "read",
           "path": "profiles/dax/name", "expect": "deny"},
          {"name": "todo without title", "auth": {"sub": "dax"}, "operation": "write",
           "path": "todos/dax/t1", "value": {"done": true}, "expect": "deny"},
          {"name": "todo with title", "auth": {"sub": "dax"}, "operation": "write",
           "path": "todos/dax/t1", "value": {"title": "milk"}, "expect": "allow"},
          {"name": "done on a stored todo", "auth": {"sub": "dax"}, "operation": "write",
           "path": "todos/dax/t1/done", "value": true,
           "data": {"todos": {"dax": {"t1": {"title": "milk"}}}}, "expect": "allow"},
          {"name": "a wrong expectation", "auth": {"sub": "eve"}, "operation": "delete",
           "path": "todos/dax/t1", "expect": "allow"}
        ]}
        """);
    assertEquals(6, outcomes.size());
    for (int i = 0; i < 5; i++) {
      assertTrue(outcomes.get(i).passed(), outcomes.get(i).toString());
    }
    RuleCases.Outcome wrong = outcomes.get(5);
    assertFalse(wrong.passed());
    assertEquals("deny", wrong.actual());
    assertTrue(wrong.reason().contains("no write rule allows changing todos/dax/t1"),
        wrong.reason());
  }

  @Test
  void aCasesFileOfTheWrongShapeIsRefusedNamingTheCase() {
    assertThrows(IllegalArgumentException.class, () -> RuleCases.run(rules, "[]"));
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> RuleCases.run(rules, "{\"cases\": [{\"name\": \"x\", \"operation\": \"read\","
            + " \"path\": \"a\", \"expect\": \"maybe\"}]}"));
    assertTrue(bad.getMessage().startsWith("case 0 (x)"), bad.getMessage());
    assertThrows(IllegalArgumentException.class, () -> RuleCases.run(rules,
        "{\"cases\": [{\"operation\": \"eat\", \"path\": \"a\", \"expect\": \"allow\"}]}"));
  }
}
