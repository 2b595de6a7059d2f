package dev.kora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kora rules test RULES CASES}: the todo example's rules pass their cases; a failing case, a
 * rules file that does not compile and a missing file end with status 1 and say why.
 */
class RulesCommandTest {

  private static final String TODO_RULES = "../interceptor-examples/rules/todo.rules.json";
  private static final String TODO_CASES = "../interceptor-examples/rules/todo.cases.json";

  @TempDir
  Path folder;

  @Test
  void theTodoRulesPassTheirCases() {
    CliTest.Run run = CliTest.kora("rules", "test", TODO_RULES, TODO_CASES);
    assertEquals(0, run.exit(), run.out() + run.err());
    assertTrue(run.out().contains("16 of 16 cases passed (6 rules in"), run.out());
    assertTrue(run.out().contains("ok    a blank title is refused: deny"), run.out());
  }

  @Test
  void aFailingCaseEndsWithStatusOneAndSaysWhy() throws Exception {
    Path cases = folder.resolve("cases.json");
    Files.writeString(cases, """
        {"cases": [{"name": "bob writes dax's todo", "auth": {"sub": "bob"},
                    "operation": "write", "path": "user:todos/dax/t1",
                    "value": {"title": "x"}, "expect": "allow"}]}
        """);
    CliTest.Run run = CliTest.kora("rules", "test", TODO_RULES, cases.toString());
    assertEquals(1, run.exit());
    assertTrue(run.out().contains("FAIL  bob writes dax's todo: expected allow, got deny"
        + " (no write rule allows changing user:todos/dax/t1/title)"), run.out());
    assertTrue(run.out().contains("0 of 1 cases passed"), run.out());
  }

  @Test
  void anInvalidRulesFileOrAMissingFileIsAnError() throws Exception {
    Path rules = folder.resolve("rules.json");
    Files.writeString(rules, "{\"rules\": [{\"path\": \"a/{x}\", \"read\": \"x ==\"}]}");
    CliTest.Run run = CliTest.kora("rules", "test", rules.toString(), TODO_CASES);
    assertEquals(1, run.exit());
    assertTrue(run.err().contains("invalid rules in " + rules) && run.err().contains(
        "rule 0 (a/{x}): read:"), run.err());
    CliTest.Run missing = CliTest.kora("rules", "test", folder.resolve("none.json").toString(),
        TODO_CASES);
    assertEquals(1, missing.exit());
    assertTrue(missing.err().startsWith("kora: "), missing.err());
  }
}
