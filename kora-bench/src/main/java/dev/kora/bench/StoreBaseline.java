package dev.kora.bench;

import dev.kora.storage.Store;
import dev.kora.storage.Stores;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.TreeReader;
import dev.kora.storage.changelog.ChangeLog;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What the store does by itself, with no node, no WebSocket and no JSON frames: batched writes through
 * {@link Store#write} and reads through {@link TreeReader}, the code the node itself calls. Each Kora
 * figure is given as a ratio of these, measured in the same run on the same kind of store.
 */
final class StoreBaseline {

  /** Paths the baselines write under (kept apart from the scenarios' own paths). */
  static final Path WRITES = Path.of("baseline", "w");

  private StoreBaseline() {
  }

  /** An open store on its own Vert.x instance. */
  static final class Opened implements AutoCloseable {
    final Vertx vertx;
    final Store store;

    Opened(String url) {
      this.vertx = Vertx.vertx();
      try {
        this.store = Stores.open(vertx, new StoreOptions().setUrl(url)).await();
      } catch (RuntimeException e) {
        vertx.close().await();
        throw e;
      }
    }

    @Override
    public void close() {
      try {
        store.close().await();
      } finally {
        vertx.close().await();
      }
    }
  }

  /**
   * The URL of a fresh store of the same kind and durability as {@code nodeStoreUrl}, in {@code temp}.
   *
   * @param nodeStoreUrl the node's store URL, or null (remote node: SQLite with default durability)
   */
  static String freshUrl(String nodeStoreUrl, java.nio.file.Path temp, String name) {
    if (nodeStoreUrl == null || nodeStoreUrl.startsWith("sqlite:")) {
      int query = nodeStoreUrl == null ? -1 : nodeStoreUrl.indexOf('?');
      return "sqlite:" + temp.resolve(name + ".db") + (query < 0 ? "" : nodeStoreUrl.substring(query));
    }
    if (nodeStoreUrl.equals(BenchNode.MEMORY)) {
      return BenchNode.MEMORY;
    }
    // A server store (postgres://, mysql://, ...): the same database, a table of its own.
    return withTable(nodeStoreUrl.replaceAll("([?&])table=[^&]*&?", "$1")
        .replaceAll("[?&]$", ""), "kora_bench_" + name + "_" + System.currentTimeMillis());
  }

  /**
   * For a server store URL without a {@code table} option, a URL naming a fresh table, so that the
   * tool never writes into an application's tree; SQLite and memory URLs are returned unchanged.
   */
  static String scratch(String url) {
    if (url.startsWith("sqlite:") || url.equals(BenchNode.MEMORY) || url.matches(".*[?&]table=.*")) {
      return url;
    }
    return withTable(url, "kora_bench_" + System.currentTimeMillis());
  }

  private static String withTable(String url, String table) {
    return url + (url.contains("?") ? "&" : "?") + "table=" + table;
  }

  /**
   * Writes batches for the warm-up and then the measured duration.
   *
   * @param batchLeaves leaves per {@link Store#write} call
   * @param city write 6-field city objects instead of single leaves
   * @param mutationList each call is a list of small mutations (one leaf or one city each, with the
   *     version counter and log entry the node adds to each, as the node's group commit passes
   *     them) rather than one mutation holding every leaf
   * @return leaves written per second during the measured duration
   */
  static double writes(Store store, BenchOptions options, int batchLeaves, boolean city, int keys,
      boolean mutationList) {
    Data data = new Data(42, keys);
    ArrayDeque<Future<Void>> inFlight = new ArrayDeque<>();
    long start = System.nanoTime();
    long measureFrom = start + options.warmupNanos();
    long measureTo = measureFrom + options.durationNanos();
    long leavesAtStart = -1;
    long leaves = 0;
    long now;
    ArrayDeque<Integer> sizes = new ArrayDeque<>();
    long version = 0;
    while ((now = System.nanoTime()) < measureTo) {
      if (leavesAtStart < 0 && now >= measureFrom) {
        leavesAtStart = leaves;
        measureFrom = now;
      }
      List<Mutation> call = new ArrayList<>();
      List<LeafWrite> writes = new ArrayList<>(batchLeaves);
      int count = 0;
      while (count < batchLeaves) {
        Path at = WRITES.child(data.randomKey());
        int before = writes.size();
        if (city) {
          data.addCity(at, writes);
        } else {
          writes.add(new LeafWrite(at, data.leaf()));
        }
        count += writes.size() - before;
        if (mutationList) {
          call.add(committed(Mutation.fromFlat(List.of(), writes), ++version));
          writes = new ArrayList<>(6);
        }
      }
      if (!mutationList) {
        Mutation one = Mutation.fromFlat(List.of(), writes);
        call.add(one);
        count = one.writes().size();
      }
      // Two calls in flight: the store may group the second with the first's successor, as it
      // does for the node's sequencer.
      if (inFlight.size() >= 2) {
        inFlight.poll().await();
        leaves += sizes.poll();
      }
      inFlight.add(store.write(call));
      sizes.add(count);
    }
    long end = System.nanoTime();
    long measured = leaves - Math.max(0, leavesAtStart);
    while (!inFlight.isEmpty()) {
      inFlight.poll().await();
    }
    return measured / ((end - measureFrom) / 1e9);
  }

  /**
   * One durable commit at a time, as the node writes a mutation when one client keeps one write in
   * flight: each {@link Store#write} holds one mutation (a leaf, or a 6-field city) plus the rows
   * the node's sequencer adds to it ({@link ChangeLog#commitRows}: the counter and the log entry),
   * and the next starts when it has completed.
   *
   * @param latencies each commit's time from the call to its completion ({@link Latency}, ns)
   * @return commits per second during the measured duration
   */
  static double sequential(Store store, BenchOptions options, boolean city, int keys,
      Recorder latencies) {
    Data data = new Data(43, keys);
    long start = System.nanoTime();
    long measureFrom = start + options.warmupNanos();
    long measureTo = measureFrom + options.durationNanos();
    long measured = 0;
    long version = 0;
    long now;
    while ((now = System.nanoTime()) < measureTo) {
      List<LeafWrite> writes = new ArrayList<>(6);
      Path at = WRITES.child(data.randomKey());
      if (city) {
        data.addCity(at, writes);
      } else {
        writes.add(new LeafWrite(at, data.leaf()));
      }
      store.write(List.of(committed(Mutation.fromFlat(List.of(), writes), ++version))).await();
      long done = System.nanoTime();
      if (now >= measureFrom) {
        measured++;
        Latency.record(latencies, done - now);
      }
    }
    return measured / ((System.nanoTime() - measureFrom) / 1e9);
  }

  /**
   * @return the mutation with the rows the node's sequencer adds to it in the same transaction
   *     ({@link ChangeLog#commitRows}: the version counter and the log entry), so that a baseline
   *     writes the same rows as the node
   */
  private static Mutation committed(Mutation mutation, long version) {
    return mutation.plusLeaves(ChangeLog.commitRows(version, mutation.encode(), null,
        System.currentTimeMillis(), true));
  }

  /**
   * Writes {@code children} children under {@code base} straight into the store, in calls of 1,000
   * children, each child a city object ({@code fields == 6}) or one leaf.
   */
  static void seed(Store store, Path base, int children, int fields) {
    Data data = new Data(7, children);
    int perCall = 1000;
    ArrayDeque<Future<Void>> inFlight = new ArrayDeque<>();
    for (int first = 0; first < children; first += perCall) {
      List<LeafWrite> writes = new ArrayList<>();
      for (int i = first; i < Math.min(children, first + perCall); i++) {
        Path at = base.child(Data.key(i));
        if (fields == 6) {
          data.addCity(at, writes);
        } else {
          writes.add(new LeafWrite(at, data.leaf()));
        }
      }
      if (inFlight.size() >= 4) {
        inFlight.poll().await();
      }
      inFlight.add(store.write(List.of(Mutation.fromFlat(List.of(), writes))));
    }
    while (!inFlight.isEmpty()) {
      inFlight.poll().await();
    }
  }

  /**
   * Reads the subtree at {@code base} whole, then in pages of {@code pageSize} children, each for the
   * warm-up and the measured duration (at least once each), and puts {@code PREFIXwhole_*} and
   * {@code PREFIXpage_*} figures into the result.
   */
  static void reads(Store store, Path base, int children, int pageSize, BenchOptions options,
      Result result, String prefix) {
    Recorder whole = Latency.recorder();
    long[] count = new long[1];
    double seconds = timed(options, whole, () -> {
      Object tree = TreeReader.read(store, base, QueryOptions.WHOLE).await();
      int size = tree instanceof JsonObject ? ((JsonObject) tree).size() : 0;
      if (size != children) {
        throw new IllegalStateException("whole read found " + size + " children, expected " + children);
      }
    }, count);
    Histogram wholeHistogram = whole.getIntervalHistogram();
    result.put(prefix + "whole_reads", wholeHistogram.getTotalCount());
    Latency.put(result, prefix + "whole_", wholeHistogram);

    Recorder pages = Latency.recorder();
    String[] min = {null};
    long[] pageCount = new long[1];
    seconds = timed(options, pages, () -> {
      Object tree = TreeReader.read(store, base, new QueryOptions(min[0], null, pageSize, false))
          .await();
      JsonObject page = (JsonObject) tree;
      if (page == null || page.size() < pageSize) {
        min[0] = null;
      } else {
        min[0] = lastKey(page) + " ";
      }
    }, pageCount);
    Histogram pageHistogram = pages.getIntervalHistogram();
    result.put(prefix + "pages_per_s", Result.round(pageHistogram.getTotalCount() / seconds));
    Latency.put(result, prefix + "page_", pageHistogram);
  }

  /** @return the greatest key of an object by UTF-8 byte order */
  static String lastKey(JsonObject object) {
    String last = null;
    for (String key : object.fieldNames()) {
      if (last == null || Path.compareKeys(key, last) > 0) {
        last = key;
      }
    }
    return last;
  }

  /**
   * Runs {@code operation} over and over: for the warm-up (unrecorded, at least once), then for the
   * measured duration (recorded, at least once).
   *
   * @return the measured seconds
   */
  static double timed(BenchOptions options, Recorder recorder, Runnable operation, long[] count) {
    long start = System.nanoTime();
    do {
      operation.run();
    } while (System.nanoTime() - start < options.warmupNanos());
    recorder.getIntervalHistogram();
    long from = System.nanoTime();
    long now;
    do {
      long t = System.nanoTime();
      operation.run();
      now = System.nanoTime();
      Latency.record(recorder, now - t);
      count[0]++;
    } while (now - from < options.durationNanos());
    return (now - from) / 1e9;
  }
}
