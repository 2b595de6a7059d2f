package dev.kora.bench.jmh;

import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

/**
 * kora-tree's hot functions on the shapes the node sees: a single-leaf merge, a 6-field city object,
 * and a 1,000-leaf batch (an import batch or a group of writes).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MutationBenchmark {

  private JsonObject leafWire;
  private JsonObject cityWire;
  private Mutation leaf;
  private Mutation city;
  private Mutation batch;
  private Mutation deleteCity;
  private JsonObject tree;
  private Path inside;

  @Setup
  public void setUp() {
    leafWire = new JsonObject("{\"merge\":{\"bench\":{\"w\":{\"k0012345\":\"abcdefghij\"}}}}");
    cityWire = new JsonObject("{\"merge\":{\"cities\":{\"0012345\":{\"name\":\"Sant Julià de Lòria\","
        + "\"lat\":\"42.46372\",\"lng\":\"1.49129\",\"country\":\"AD\",\"admin1\":\"06\","
        + "\"admin2\":\"\"}}}}");
    leaf = Mutation.fromJson(leafWire);
    city = Mutation.fromJson(cityWire);
    List<LeafWrite> writes = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      writes.add(new LeafWrite(Path.of("bench", "w", String.format("k%07d", i)), "v" + i));
    }
    batch = Mutation.fromFlat(List.of(), writes);
    deleteCity = Mutation.delete(Path.of("cities", "0012345"));
    tree = batch.apply(new JsonObject());
    inside = Path.of("bench", "w", "k0000500");
  }

  /** Building a mutation from its wire form: normalization and key validation. */
  @Benchmark
  public Mutation fromJsonLeaf() {
    return Mutation.fromJson(leafWire);
  }

  @Benchmark
  public Mutation fromJsonCity() {
    return Mutation.fromJson(cityWire);
  }

  @Benchmark
  public Mutation combineLeafCity() {
    return leaf.combine(city);
  }

  @Benchmark
  public Mutation combineDeleteThenCity() {
    return deleteCity.combine(city);
  }

  @Benchmark
  public Mutation combineBatchLeaf() {
    return batch.combine(leaf);
  }

  /** Applying a city to a tree of 1,000 leaves (in place; the same leaves each time). */
  @Benchmark
  public JsonObject applyToCity() {
    return city.applyTo(tree);
  }

  @Benchmark
  public JsonObject applyCopyLeaf() {
    return leaf.apply(new JsonObject());
  }

  @Benchmark
  public Map<Path, Mutation> layersCity() {
    return city.layers();
  }

  @Benchmark
  public Map<Path, Mutation> layersBatch() {
    return batch.layers();
  }

  @Benchmark
  public Mutation restrictToLeaf() {
    return leaf.restrictTo(Path.of("bench"));
  }

  /** The part of a 1,000-leaf mutation under one child: a subscriber's share of a big write. */
  @Benchmark
  public Mutation restrictToBatch() {
    return batch.restrictTo(inside);
  }

  /** What a push costs to serialize once per commit. */
  @Benchmark
  public String encodeCity() {
    return city.toJson().encode();
  }
}
