package dev.kora.storage.cassandra;

import dev.kora.storage.Fence;
import dev.kora.storage.Store;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.Stores;
import dev.kora.storage.changelog.ChangeLog;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures commits/s through {@link Store#writeEach} on a Cassandra store, fenced or not: batches
 * of 512 commits as a leader's sequencer sends them (each a one-leaf merge plus its change log rows:
 * entry, counter, id), {@code inFlight} batches at a time, for a number of seconds. Not a test; run
 * by hand against a running Cassandra (docs/stores/cassandra.md, "Fences"), e.g. from the
 * repository's root after {@code mvn -o install -DskipTests}:
 *
 * <pre>
 * java -cp kora-tree/target/classes:kora-storage/target/classes:\
 * kora-storage-cassandra/target/classes:kora-storage-cassandra/target/test-classes:\
 * kora-cli/target/kora.jar dev.kora.storage.cassandra.CassandraFenceRate \
 *   'cassandra://127.0.0.1:9042/kora_test?table=rate_1' true 20 4
 * </pre>
 *
 * Arguments: the store URL (a fresh table), {@code true} to fence the store (on
 * {@code kora:cluster/epoch = 1}), seconds, batches in flight. Prints one line: commits, seconds,
 * commits/s, failures.
 */
public final class CassandraFenceRate {

  private CassandraFenceRate() {
  }

  /**
   * @param args URL, fenced (true/false), seconds, batches in flight
   * @throws Exception when the store cannot be opened
   */
  public static void main(String[] args) throws Exception {
    String url = args[0];
    boolean fenced = Boolean.parseBoolean(args[1]);
    int seconds = Integer.parseInt(args[2]);
    int inFlight = Integer.parseInt(args[3]);
    Vertx vertx = Vertx.vertx();
    Store store = Stores.open(vertx, new StoreOptions().setUrl(url)).await();
    Path epoch = Path.of("kora:cluster", "epoch");
    store.write(List.of(Mutation.merge(epoch, 1))).await();
    if (fenced) {
      store.fence(new Fence(epoch, "1"));
    }
    AtomicLong version = new AtomicLong();
    AtomicLong done = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    CountDownLatch finished = new CountDownLatch(inFlight);
    long start = System.nanoTime();
    for (int lane = 0; lane < inFlight; lane++) {
      vertx.runOnContext(v -> next(store, version, done, failed, end, finished));
    }
    finished.await();
    double secs = (System.nanoTime() - start) / 1e9;
    System.out.printf("%s fenced=%s: %d commits in %.1f s = %.0f/s, %d failed%n", url, fenced,
        done.get(), secs, done.get() / secs, failed.get());
    store.close().await();
    vertx.close().await();
  }

  private static void next(Store store, AtomicLong version, AtomicLong done, AtomicLong failed,
      long end, CountDownLatch finished) {
    if (System.nanoTime() > end) {
      finished.countDown();
      return;
    }
    List<Mutation> batch = new ArrayList<>(512);
    for (int i = 0; i < 512; i++) {
      long v = version.incrementAndGet();
      Mutation m = Mutation.merge(Path.of("bench", "w", "k" + (v % 1000)), v);
      batch.add(m.plusLeaves(ChangeLog.commitRows(v, m.encode(), "id-" + v,
          System.currentTimeMillis(), true)));
    }
    List<Future<Void>> futures = store.writeEach(batch);
    Future.join(futures).onComplete(r -> {
      for (Future<Void> f : futures) {
        if (f.succeeded()) {
          done.incrementAndGet();
        } else {
          failed.incrementAndGet();
        }
      }
      futures.stream().filter(Future::failed).findFirst()
          .ifPresent(first -> System.err.println("a commit failed: " + first.cause()));
      next(store, version, done, failed, end, finished);
    });
  }
}
