package dev.kora.rules;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerBuilder;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.List;
import java.util.Map;

/**
 * One compiled rule expression in the Common Expression Language (cel-java), e.g.
 * {@code auth != null && auth.sub == user}. Compiled once, when the rules file is read; type-checked
 * against the variables its kind may use, and it must yield a {@code bool}. Evaluating it never
 * throws: an error at run time (a missing field, a wrong type) counts as {@code false}, so a rule that
 * cannot be decided denies (as Firebase's security rules do). Thread-safe.
 */
final class RuleExpression {

  /** What an expression decides; each kind sees its own variables. */
  enum Kind {
    /** Reading: {@code auth}, {@code path}, {@code now} and the captures; never the data. */
    READ("read", false),
    /** Writing: also {@code data} (the value before) and {@code newData} (the value after). */
    WRITE("write", true),
    /** Checking the value written: the same variables as {@code write}. */
    VALIDATE("validate", true);

    final String field;
    final boolean seesData;

    Kind(String field, boolean seesData) {
      this.field = field;
      this.seesData = seesData;
    }
  }

  private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();

  private final String source;
  private final CelRuntime.Program program;
  private final boolean usesData;
  private final boolean usesPath;

  private RuleExpression(String source, CelRuntime.Program program, boolean usesData,
      boolean usesPath) {
    this.source = source;
    this.program = program;
    this.usesData = usesData;
    this.usesPath = usesPath;
  }

  /**
   * @param source the expression, e.g. {@code newData == null || size(newData.title) <= 100}
   * @param kind what it decides
   * @param captures the capture names of the rule's pattern, declared as {@code string} variables
   * @return the compiled expression
   * @throws IllegalArgumentException when it does not parse, uses an unknown variable (a read
   *     expression naming {@code data}, say) or does not yield a {@code bool}; the message is CEL's,
   *     with the line and column
   */
  static RuleExpression compile(String source, Kind kind, List<String> captures) {
    CelCompilerBuilder builder = CelCompilerFactory.standardCelCompilerBuilder()
        .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
        .setResultType(SimpleType.BOOL)
        .addVar("auth", SimpleType.DYN)
        .addVar("path", SimpleType.STRING)
        .addVar("now", SimpleType.INT);
    if (kind.seesData) {
      builder.addVar("data", SimpleType.DYN).addVar("newData", SimpleType.DYN);
    }
    for (String capture : captures) {
      builder.addVar(capture, SimpleType.STRING);
    }
    CelCompiler compiler = builder.build();
    try {
      CelAbstractSyntaxTree ast = compiler.compile(source).getAst();
      boolean usesData = ast.getReferenceMap().values().stream()
          .anyMatch(reference -> reference.name().equals("data")
              || reference.name().equals("newData"));
      boolean usesPath = ast.getReferenceMap().values().stream()
          .anyMatch(reference -> reference.name().equals("path"));
      return new RuleExpression(source, RUNTIME.createProgram(ast), usesData, usesPath);
    } catch (CelValidationException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    } catch (dev.cel.common.CelException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** @return whether the expression reads {@code data} or {@code newData} (which costs a read) */
  boolean usesData() {
    return usesData;
  }

  /**
   * @return whether the expression reads {@code path}: only then can a rule ending in {@code **}
   *     decide differently under a path than at it
   */
  boolean usesPath() {
    return usesPath;
  }

  /**
   * @param variables the values of the variables, made with {@link CelValues#of}
   * @return the result; false when the evaluation failed
   */
  boolean test(Map<String, Object> variables) {
    try {
      return Boolean.TRUE.equals(program.eval(variables));
    } catch (CelEvaluationException | RuntimeException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return source;
  }
}
