package dev.kora.rules;

import java.util.List;

/**
 * A rules file that cannot be used: not JSON, not the expected shape, a bad path pattern, or an
 * expression that does not compile. The message lists every problem, one per line, each naming the
 * rule by its index and pattern, e.g.
 * {@code rule 2 (todos/{user}/**): read: ERROR: <input>:1:6: undeclared reference to 'data'}.
 */
public final class RulesException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  /**
   * @param origin where the rules came from, e.g. a file name
   * @param problems what is wrong, one entry each
   */
  RulesException(String origin, List<String> problems) {
    super("invalid rules in " + origin + ":\n  " + String.join("\n  ", problems));
    this.problems = List.copyOf(problems);
  }

  /** @return every problem found, one line each */
  public List<String> problems() {
    return problems;
  }
}
