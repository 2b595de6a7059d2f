package dev.kora.bench.jmh;

import dev.kora.storage.spi.PathEncoding;
import dev.kora.tree.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** The stored form of paths (kora-storage's PathEncoding) and parsing/validating paths (kora-tree). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PathEncodingBenchmark {

  private Path path;
  private String encoded;
  private String text;

  @Setup
  public void setUp() {
    path = Path.of("cities", "0123456", "name");
    encoded = PathEncoding.encode(path);
    text = path.toString();
  }

  @Benchmark
  public String encode() {
    return PathEncoding.encode(path);
  }

  @Benchmark
  public Path decode() {
    return PathEncoding.decode(encoded);
  }

  @Benchmark
  public String subtreeEnd() {
    return PathEncoding.subtreeEnd(encoded);
  }

  /** Parsing and validating every key (UTF-8 length, control characters). */
  @Benchmark
  public Path parse() {
    return Path.parse(text);
  }
}
