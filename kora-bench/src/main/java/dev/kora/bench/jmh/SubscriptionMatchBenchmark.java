package dev.kora.bench.jmh;

import dev.kora.interceptors.InterceptorChain;
import dev.kora.node.core.CommittedPart;
import dev.kora.node.core.NodeMetrics;
import dev.kora.node.core.Subscriber;
import dev.kora.node.impl.subscription.Fanout;
import dev.kora.node.impl.subscription.SubscriptionRegistry;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The subscription index (kora-node's SubscriptionRegistry) and the per-commit fan-out work without
 * sockets (Fanout.committed): {@code subscribers} connections on one path (the fanout scenario's shape),
 * plus 10,000 connections each on its own path {@code users/uN}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SubscriptionMatchBenchmark {

  @Param({"1000", "10000"})
  int subscribers;

  private SubscriptionRegistry registry;
  private Fanout fanout;
  private Mutation hot;
  private Mutation sparse;
  private Mutation miss;
  private long version;

  /**
   * A subscriber that serializes its push once per part, as socket connections do (they share the
   * encoding of the same part object).
   */
  static final class FrameSubscriber implements Subscriber {
    static CommittedPart lastPart;
    static String lastText;

    @Override
    public void push(CommittedPart part) {
      if (part != lastPart) {
        lastPart = part;
        lastText = part.mutation().toJson().encode();
      }
    }
  }

  @Setup
  public void setUp() {
    registry = new SubscriptionRegistry();
    Path hotPath = Path.of("bench", "fanout");
    for (int i = 0; i < subscribers; i++) {
      registry.add(hotPath, new FrameSubscriber());
    }
    for (int i = 0; i < 10_000; i++) {
      registry.add(Path.of("users", "u" + i), new FrameSubscriber());
    }
    fanout = new Fanout(registry, new InterceptorChain(List.of()),
        new NodeMetrics(new SimpleMeterRegistry(), false));
    hot = Mutation.merge(Path.of("bench", "fanout", "m"), "123:456");
    sparse = Mutation.merge(Path.of("users", "u1234", "name"), "dax");
    miss = Mutation.merge(Path.of("other", "x"), 1);
  }

  @Benchmark
  public Object matchHot() {
    return registry.match(hot);
  }

  @Benchmark
  public Object matchSparse() {
    return registry.match(sparse);
  }

  @Benchmark
  public Object matchMiss() {
    return registry.match(miss);
  }

  /** Everything the node does per commit for its subscribers, except writing to the sockets. */
  @Benchmark
  public void deliverHot(Blackhole blackhole) {
    fanout.committed(hot, ++version);
    blackhole.consume(version);
  }
}
