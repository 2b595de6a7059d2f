package dev.kora.rules;

import dev.kora.interceptors.PathPattern;
import java.util.List;

/**
 * One entry of a rules file: a path pattern and up to three expressions. For
 * {@code {"path": "todos/{user}/**", "read": "auth != null && auth.sub == user"}} the pattern is
 * {@code todos/{user}/**}, its captures {@code [user]}, and only {@code read} is set.
 *
 * @param index where the rule stands in the file, from 0, for messages
 * @param pattern the paths the rule speaks for (today's pattern syntax, see {@link PathPattern})
 * @param captures the names the pattern captures, each a {@code string} variable of its expressions
 * @param read who may read at the matched path and everything under it, or null (grants nothing)
 * @param write who may change the matched path and everything under it, or null (grants nothing)
 * @param validate what the value at the matched path must satisfy after a write that changes it, or
 *     null (no condition)
 */
record Rule(int index, PathPattern pattern, List<String> captures, RuleExpression read,
    RuleExpression write, RuleExpression validate) {

  /**
   * @param kind an expression's kind
   * @return the rule's expression of that kind, or null
   */
  RuleExpression expression(RuleExpression.Kind kind) {
    return switch (kind) {
      case READ -> read;
      case WRITE -> write;
      case VALIDATE -> validate;
    };
  }

  /** @return e.g. {@code rule 3 (todos/{user}/**)}, for messages */
  String describe() {
    return "rule " + index + " (" + pattern + ")";
  }
}
