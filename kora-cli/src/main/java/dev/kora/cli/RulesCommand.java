package dev.kora.cli;

import dev.kora.rules.RuleCases;
import dev.kora.rules.RuleSet;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kora rules}: work with rules files without a node. {@code kora rules test RULES CASES}
 * compiles a rules file and runs its unit test cases (the shape of both: docs/security.md), printing
 * one line per case and a summary; the exit status is 0 when every case passed, 1 when one failed or
 * a file is invalid (the error names each problem).
 */
@Command(name = "rules", description = "Check rules files (see docs/security.md).",
    mixinStandardHelpOptions = true, subcommands = RulesCommand.Test.class)
final class RulesCommand implements Runnable {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code kora rules test RULES CASES}. */
  @Command(name = "test", mixinStandardHelpOptions = true,
      description = "Compile RULES and run the cases in CASES: who asks (auth), what (read, write,"
          + " delete), where (path), the data before, and the expected decision (allow or deny).")
  static final class Test implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RULES", description = "The rules file (JSON).")
    Path rules;

    @Parameters(index = "1", paramLabel = "CASES", description = "The cases file (JSON).")
    Path cases;

    @Override
    public Integer call() throws IOException {
      RuleSet compiled = RuleSet.parse(Files.readString(rules, StandardCharsets.UTF_8),
          rules.toString());
      List<RuleCases.Outcome> outcomes = RuleCases.run(compiled,
          Files.readString(cases, StandardCharsets.UTF_8));
      PrintWriter out = spec.commandLine().getOut();
      int failed = 0;
      for (RuleCases.Outcome outcome : outcomes) {
        if (outcome.passed()) {
          out.println("ok    " + outcome.name() + ": " + outcome.actual());
        } else {
          failed++;
          out.println("FAIL  " + outcome.name() + ": expected " + outcome.expected() + ", got "
              + outcome.actual() + (outcome.reason() == null ? "" : " (" + outcome.reason() + ")"));
        }
      }
      out.println((outcomes.size() - failed) + " of " + outcomes.size() + " cases passed ("
          + compiled.size() + " rules in " + rules + ")");
      out.flush();
      return failed == 0 ? 0 : 1;
    }
  }
}
