package dev.kora.storage.cassandra;

import static dev.kora.storage.StoreTestBase.check;
import static dev.kora.storage.StoreTestBase.merge;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.storage.Fence;
import dev.kora.storage.ReadRange;
import dev.kora.storage.Store;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.StoreTestBase;
import dev.kora.storage.Stores;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the conformance suite cannot show of Cassandra's fences (see {@link CassandraFences}),
 * because it needs a writer stopped between its lightweight transaction and its data: the store's
 * {@link CassandraStore#replaceDecidedData} hook holds or fails the data of a decided write, and
 * {@link CassandraStore#applyOps} applies it late, as a paused writer would. Real Cassandra, two
 * stores on one fresh table.
 */
@ExtendWith(VertxExtension.class)
class CassandraFenceTest {

  private static final Path EPOCH = Path.of("kora:cluster", "epoch");
  private static final AtomicInteger COUNTER = new AtomicInteger();

  private Vertx vertx;
  private String table;
  private final List<Store> stores = new ArrayList<>();

  @BeforeAll
  static void cassandraAnswers() {
    CassandraTestServer.session();
  }

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.table = "kf_" + COUNTER.incrementAndGet() + "_"
        + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Store store : stores) {
      store.close().otherwiseEmpty().toCompletionStage().toCompletableFuture()
          .get(1, TimeUnit.MINUTES);
    }
    CassandraTestServer.drop(table);
  }

  private Future<CassandraStore> open() {
    return Stores.open(vertx, new StoreOptions().setUrl(CassandraTestServer.url(table, "")))
        .map(store -> {
          stores.add(store);
          return (CassandraStore) store;
        });
  }

  private static Fence epoch(long value) {
    return new Fence(EPOCH, String.valueOf(value));
  }

  private Future<List<String>> rows(Store store) {
    return StoreTestBase.rows(store, ReadRange.subtree(Path.ROOT));
  }

  private static Future<Void> expectFenced(Future<?> future) {
    return future.transform(done -> check(() -> {
      assertTrue(done.failed(), "expected fenced, got success");
      KoraException error = (KoraException) done.cause();
      assertEquals(ErrorCode.FENCED, error.code(), error.getMessage());
      assertTrue(error.getMessage().contains(EPOCH.toString()), error.getMessage());
    }));
  }

  /** Opens the first store, writes epoch 1 and fences it on it; its first fenced write claims. */
  private Future<CassandraStore> fencedFirst() {
    return open().compose(first -> first.write(List.of(Mutation.merge(EPOCH, 1)))
        .compose(v -> {
          first.fence(epoch(1));
          return first.write(List.of(merge("{\"x\": 0}")));
        })
        .map(first));
  }

  /**
   * The old leader's write is decided (its transaction applied) but its data is held; a new leader
   * takes over (replaying that write), writes newer values, and only then the old leader's data
   * lands, at its original timestamps: it changes nothing the new leader wrote, and the old leader
   * cannot decide another write.
   */
  @Test
  void aLateStaleBatchLosesToTheNewerWrites(VertxTestContext ctx) {
    CompletableFuture<List<CassandraRedo.Op>> held = new CompletableFuture<>();
    CompletableFuture<Void> released = new CompletableFuture<>();
    CassandraStore[] second = new CassandraStore[1];
    fencedFirst().compose(first -> {
      first.replaceDecidedData(ops -> {
        held.complete(ops);
        return released;
      });
      Future<Void> stale = first.write(List.of(merge("{\"x\": 1, \"y\": {\"old\": true}}")));
      return Future.fromCompletionStage(held, vertx.getOrCreateContext())
          .compose(ops -> open().compose(opened -> {
            second[0] = opened;
            opened.fence(epoch(1));
            return opened.write(List.of(Mutation.merge(EPOCH, 2), merge("{\"x\": 2}")));
          })
          .compose(v -> {
            second[0].fence(epoch(2));
            return second[0].write(List.of(merge("{\"y\": {\"old\": false}}")));
          })
          // the old leader wakes up: its decided data lands now, with its own timestamps
          .compose(v -> Future.fromCompletionStage(first.applyOps(ops),
              vertx.getOrCreateContext()))
          .compose(v -> {
            first.replaceDecidedData(null);
            released.complete(null);
            return stale;
          }))
          .compose(v -> rows(second[0]))
          .compose(rows -> check(() -> assertEquals(List.of("kora:cluster/epoch=2", "x=2",
              "y/old=false"), rows)))
          .compose(v -> expectFenced(first.write(List.of(merge("{\"z\": 1}")))))
          .compose(v -> rows(first))
          .compose(rows -> check(() -> assertEquals(List.of("kora:cluster/epoch=2", "x=2",
              "y/old=false"), rows)));
    }).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * A writer dies between its transaction and its data: the write is decided, none of its data
   * is there, and the next store fenced on the path completes it (spanning several partitions)
   * before writing its own.
   */
  @Test
  void aWriteDecidedByAWriterThatDiedIsReplayedByTheNextFence(VertxTestContext ctx) {
    fencedFirst().compose(first -> {
      first.replaceDecidedData(ops -> CompletableFuture.failedFuture(
          new IOException("the writer died")));
      return expectFenced(first.write(List.of(merge("{\"a\": {\"k\": 1}, \"b\": {\"k\": 2}}"),
              Mutation.delete(Path.of("x")))))
          .compose(v -> rows(first))
          .compose(rows -> check(() -> assertEquals(List.of("kora:cluster/epoch=1", "x=0"),
              rows, "nothing of the decided write applied yet")));
    })
        .compose(v -> open())
        .compose(second -> {
          second.fence(epoch(1));
          return second.write(List.of(merge("{\"c\": 3}")))
              .compose(v -> rows(second))
              .compose(rows -> check(() -> assertEquals(List.of("a/k=1", "b/k=2", "c=3",
                  "kora:cluster/epoch=1"), rows)));
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * An unknown outcome (here, the data of a decided write failed) refuses every later write with
   * {@code fenced}, also once the data would go through again, until the store is fenced anew; the
   * new fence's takeover replays the write, so it is complete before the next one.
   */
  @Test
  void anUnknownOutcomeRefusesWritesUntilFencedAnew(VertxTestContext ctx) {
    fencedFirst().compose(first -> {
      first.replaceDecidedData(ops -> CompletableFuture.failedFuture(
          new IOException("the data batch timed out")));
      return expectFenced(first.write(List.of(merge("{\"u\": 1}"))))
          .compose(v -> {
            first.replaceDecidedData(null);
            return expectFenced(first.write(List.of(merge("{\"v\": 1}"))));
          })
          .compose(v -> expectFenced(Future.join(first.writeEach(List.of(merge("{\"v\": 2}"),
              merge("{\"v\": 3}")))).mapEmpty()))
          .compose(v -> {
            first.fence(epoch(1));
            return first.write(List.of(merge("{\"w\": 1}")));
          })
          .compose(v -> rows(first))
          .compose(rows -> check(() -> assertEquals(List.of("kora:cluster/epoch=1", "u=1",
              "w=1", "x=0"), rows)));
    }).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Calls queued together while fenced share one lightweight transaction: 200 mutations of one
   * {@code writeEach} raise the fence row's {@code seq} (one per decided group) far fewer than 200
   * times, and every mutation is stored.
   */
  @Test
  void fencedCallsQueuedTogetherShareOneTransaction(VertxTestContext ctx) {
    List<Mutation> mutations = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      mutations.add(merge("{\"m\": {\"k" + String.format("%03d", i) + "\": " + i + "}}"));
    }
    long[] seqBefore = new long[1];
    fencedFirst().compose(first -> {
      seqBefore[0] = fenceSeq();
      return Future.all(first.writeEach(mutations)).compose(v -> check(() -> {
        long decided = fenceSeq() - seqBefore[0];
        assertTrue(decided >= 1 && decided <= 20, "fenced groups for 200 calls: " + decided);
      })).compose(v -> StoreTestBase.rows(first, ReadRange.subtree(Path.of("m"))))
          .compose(rows -> check(() -> assertEquals(200, rows.size())));
    }).onComplete(ctx.succeedingThenComplete());
  }

  private long fenceSeq() {
    return CassandraTestServer.execute("SELECT seq FROM " + CassandraTestServer.KEYSPACE + ".\""
        + table + "_fences\"").one().getLong(0);
  }
}
