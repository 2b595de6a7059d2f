package dev.kora.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code baseline}: what the store does alone, no node: batched upserts through
 * {@link dev.kora.storage.Store#write} (one mutation of many leaves per call, and lists of single-leaf
 * mutations as the node's group commit passes them), then whole and paged reads of a subtree through
 * {@link dev.kora.storage.TreeReader}. The write and read scenarios run the same baselines in their
 * own runs; this one gives them alone.
 */
@Command(name = "baseline", mixinStandardHelpOptions = true,
    description = "Writes and reads straight through the store, no node: the reference for ratios.")
final class BaselineScenario implements Callable<Integer> {

  @Mixin
  BenchOptions options;

  @Option(names = "--batch", defaultValue = "1000",
      description = "Leaves per Store.write call (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--shape", defaultValue = "leaf", description = "leaf or city (default: ${DEFAULT-VALUE}).")
  String shape;

  @Option(names = "--keys", defaultValue = "1000000",
      description = "Random keys are drawn from this many (default: ${DEFAULT-VALUE}).")
  int keys;

  @Option(names = "--children", defaultValue = "100000",
      description = "Children of the subtree read (default: ${DEFAULT-VALUE}).")
  int children;

  @Option(names = "--fields", defaultValue = "6", description = "Leaves per child: 6 or 1 (default: ${DEFAULT-VALUE}).")
  int fields;

  @Option(names = "--page", defaultValue = "1000", description = "Children per page (default: ${DEFAULT-VALUE}).")
  int page;

  @Override
  public Integer call() throws Exception {
    options.check();
    if (options.url != null) {
      throw new IllegalArgumentException("baseline runs without a node; give --store, not --url");
    }
    boolean city = shape.equals("city");
    Result result = new Result("baseline");
    Machine.describe(result);
    try (BenchNode.TempDir temp = new BenchNode.TempDir()) {
      String url = options.store != null ? options.store
          : "sqlite:" + temp.path().resolve("baseline.db");
      try (StoreBaseline.Opened store = new StoreBaseline.Opened(url)) {
        result.put("store", store.store.describe())
            .put("durability", BenchNode.durability(store.store.describe()));
        options.log("baseline: batched upserts of %d leaves into %s", batch, store.store.describe());
        double upserts = StoreBaseline.writes(store.store, options, batch, city, keys, false);
        options.log("baseline: lists of single mutations, %d leaves per call", batch);
        double list = StoreBaseline.writes(store.store, options, batch, city, keys, true);
        result.put("seconds", options.durationSeconds).put("batch", batch).put("shape", shape);
        result.put("baseline_per_s", Result.round(upserts));
        result.put("baseline_mutation_list_per_s", Result.round(list / (city ? 6 : 1)));
        options.log("baseline: seeding %,d children of %d leaves", children, fields);
        long t = System.nanoTime();
        StoreBaseline.seed(store.store, ReadScenario.BASE, children, fields);
        result.put("seed_seconds", Result.round((System.nanoTime() - t) / 1e9));
        result.put("children", children).put("page", page);
        StoreBaseline.reads(store.store, ReadScenario.BASE, children, page, options, result,
            "baseline_");
      }
    }
    result.note("baseline_per_s: leaves/s, one mutation of " + batch + " leaves per Store.write call,"
        + " 2 calls in flight; baseline_mutation_list_per_s: mutations/s, each call a list of"
        + " single mutations");
    result.put("load_average_1m_end", Machine.loadAverage());
    result.print(System.out, options.json);
    return 0;
  }
}
