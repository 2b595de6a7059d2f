package dev.kora.bench;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code kora bench jmh [REGEX] [JMH options]}: the JMH microbenchmarks of {@code dev.kora.bench.jmh}
 * (path encoding, Mutation.combine/applyTo/layers/restrictTo, the subscription index match). Arguments
 * go to JMH unchanged ({@code jmh -h} lists them, {@code jmh -l} the benchmarks), e.g.
 * {@code jmh Mutation -f 1 -wi 3 -i 5}.
 */
@Command(name = "jmh", description = "Run the JMH microbenchmarks: jmh [REGEX] [JMH options] (jmh -h).")
final class JmhCommand implements Runnable {

  @Parameters(arity = "0..*", paramLabel = "ARGS", description = "JMH's own arguments.")
  List<String> args = List.of();

  @Override
  public void run() {
    try {
      run(args.toArray(new String[0]));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static void run(String[] args) throws Exception {
    org.openjdk.jmh.Main.main(args);
  }
}
