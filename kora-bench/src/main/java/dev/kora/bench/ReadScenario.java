package dev.kora.bench;

import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import dev.kora.storage.Store;
import dev.kora.tree.Path;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code read}: a subtree of 100,000 children (city objects of 6 leaves by default) is queried over a
 * WebSocket whole and in pages of 1,000 children, one query at a time; then the same reads go straight
 * through {@link dev.kora.storage.TreeReader} on the node's store for the baseline. Latency is taken
 * when the whole reply frame has arrived, before the client parses it.
 */
@Command(name = "read", mixinStandardHelpOptions = true,
    description = "Query a subtree of 100,000 children whole and in pages of 1,000.")
final class ReadScenario implements Callable<Integer> {

  static final Path BASE = Path.of("bench", "r");

  @Mixin
  BenchOptions options;

  @Option(names = "--children", defaultValue = "100000",
      description = "Children of the queried subtree (default: ${DEFAULT-VALUE}).")
  int children;

  @Option(names = "--fields", defaultValue = "6",
      description = "Leaves per child: 6 (a city object) or 1 (default: ${DEFAULT-VALUE}).")
  int fields;

  @Option(names = "--page", defaultValue = "1000",
      description = "Children per page (default: ${DEFAULT-VALUE}).")
  int page;

  @Option(names = "--no-baseline", description = "Skip the store baseline.")
  boolean noBaseline;

  @Override
  public Integer call() throws Exception {
    options.check();
    if (fields != 1 && fields != 6) {
      throw new IllegalArgumentException("--fields must be 1 or 6");
    }
    if (children < 1 || children > 10_000_000 || page < 1) {
      throw new IllegalArgumentException("--children must be 1 to 10,000,000 and --page at least 1");
    }
    Result result = new Result("read");
    Machine.describe(result);
    result.put("children", children).put("leaves", (long) children * fields).put("page", page);
    try (BenchNode.TempDir temp = new BenchNode.TempDir();
        BenchNode node = BenchNode.start(options, "process", temp);
        Clients sockets = new Clients(1)) {
      result.put("node", node.mode()).put("store", node.store());
      Rpc rpc = new Rpc(sockets.connectAll(node, 1, 1, options).get(0));
      long seedStart = System.nanoTime();
      seed(rpc);
      result.put("seed_seconds", Result.round((System.nanoTime() - seedStart) / 1e9));
      String basePath = "{\"bench\":{\"r\":";

      Recorder whole = Latency.recorder();
      boolean[] checked = {false};
      long[] count = new long[1];
      double seconds = StoreBaseline.timed(options, whole, () -> {
        String frame = rpc.await(Action.QUERY.wireName(Dialect.KORA), basePath + "{}}}");
        if (!checked[0]) {
          JsonObject found = ((JsonObject) Rpc.body(frame)).getJsonObject("merge")
              .getJsonObject("bench").getJsonObject("r");
          if (found.size() != children) {
            throw new IllegalStateException("whole read found " + found.size() + " children");
          }
          checked[0] = true;
        }
      }, count);
      Histogram wholeHistogram = whole.getIntervalHistogram();
      result.put("seconds", Result.round(seconds));
      result.put("whole_reads", wholeHistogram.getTotalCount());
      Latency.put(result, "whole_", wholeHistogram);
      double wholeMs = wholeHistogram.getValueAtPercentile(50) / 1e6;
      result.put("whole_leaves_per_s", Result.round(children * (double) fields / (wholeMs / 1e3)));

      Recorder pages = Latency.recorder();
      String[] min = {null};
      long[] pageCount = new long[1];
      seconds = StoreBaseline.timed(options, pages, () -> {
        String query = "{\"limit\":" + page + (min[0] == null ? "" : ",\"min\":"
            + io.vertx.core.json.Json.encode(min[0])) + "}";
        String frame = rpc.await(Action.QUERY.wireName(Dialect.KORA), basePath + query + "}}");
        JsonObject merge = ((JsonObject) Rpc.body(frame)).getJsonObject("merge");
        JsonObject found = merge.containsKey("bench")
            ? merge.getJsonObject("bench").getJsonObject("r") : new JsonObject();
        min[0] = found.size() < page ? null : StoreBaseline.lastKey(found) + " ";
      }, pageCount);
      Histogram pageHistogram = pages.getIntervalHistogram();
      result.put("pages_per_s", Result.round(pageHistogram.getTotalCount() / seconds));
      Latency.put(result, "page_", pageHistogram);

      if (!noBaseline) {
        Store store = node.localStore();
        StoreBaseline.Opened opened = null;
        if (store == null && node.storeUrl() != null) {
          opened = new StoreBaseline.Opened(node.storeUrl());
          store = opened.store;
        }
        if (store == null) {
          result.note("no baseline: the store of a remote node is not reachable from here");
        } else {
          options.log("baseline: the same reads through TreeReader on %s", store.describe());
          try {
            StoreBaseline.reads(store, BASE, children, page, options, result, "baseline_");
          } finally {
            if (opened != null) {
              opened.close();
            }
          }
          result.put("ratio_to_baseline_whole", Result.round(
              (double) (Double) result.get("baseline_whole_p50_ms") / (Double) result.get("whole_p50_ms")));
          result.put("ratio_to_baseline_page", Result.round(
              (double) (Double) result.get("baseline_page_p50_ms") / (Double) result.get("page_p50_ms")));
          result.note("ratio_to_baseline_*: baseline p50 latency / Kora p50 latency (1 = as fast as the"
              + " store alone)");
        }
      }
    }
    result.put("load_average_1m_end", Machine.loadAverage());
    result.print(System.out, options.json);
    return 0;
  }

  /** Writes the subtree through the node, 500 children per mutation, 4 in flight. */
  private void seed(Rpc rpc) {
    options.log("read: seeding %,d children of %d leaves at bench/r", children, fields);
    Data data = new Data(7, children);
    List<String> bodies = new ArrayList<>();
    for (int first = 0; first < children; first += 500) {
      StringBuilder body = new StringBuilder("{\"merge\":{\"bench\":{\"r\":{");
      for (int i = first; i < Math.min(children, first + 500); i++) {
        if (i > first) {
          body.append(',');
        }
        body.append('"').append(Data.key(i)).append("\":");
        if (fields == 6) {
          data.appendCity(body);
        } else {
          body.append('"').append(data.leaf()).append('"');
        }
      }
      bodies.add(body.append("}}}}").toString());
    }
    rpc.writeAll(bodies, 4);
  }
}
