package dev.kora.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.storage.spi.PathEncoding;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The conformance suite plus what every store on a database server must do: take its options from a
 * {@link dev.kora.storage.spi.ServerUrl server URL}, never show a password, and refuse a path longer
 * than its index can hold with {@code too_large} rather than a raw driver error. A driver's test
 * supplies the URL of its test server ({@link #url()}) and its path limit ({@link #maxPathBytes()});
 * each tree is the table named by the test, opened with that URL. Where the store fences its
 * writes, two stores opened on one table show that a takeover fences the other out, also while it
 * writes.
 */
public abstract class ServerStoreTestBase extends StoreTestBase {

  /**
   * @return the URL of the test database, without a {@code table} option, e.g.
   *     {@code postgres://postgres@127.0.0.1:5432/kora_test}
   */
  protected abstract String url();

  /** @return the longest stored path, in UTF-8 bytes, the store keeps */
  protected abstract int maxPathBytes();

  /**
   * Begins a transaction on a connection of the test's own to the test database and locks in it the
   * existing row of {@code path} in {@code table} as a fenced store's write transaction does
   * ({@code SELECT value ... WHERE path = ? FOR UPDATE}), before the returned future completes.
   *
   * @param table the tree's table
   * @param path a leaf that is stored
   * @return the open transaction holding the lock
   */
  protected abstract Future<RowLock> lockRow(String table, Path path);

  /** A transaction of the test's own holding a row lock ({@link #lockRow}). */
  protected interface RowLock {

    /**
     * Sets the locked row's value, commits and closes the connection, which releases the lock.
     *
     * @param valueJson the row's new value, JSON text
     * @return completes once committed
     */
    Future<Void> commitWith(String valueJson);
  }

  @Override
  protected Future<Store> openStore(Vertx vertx, String table) {
    return Stores.open(vertx, new StoreOptions().setUrl(url()).setTable(table));
  }

  /**
   * @param variable an environment variable that may name the test server, e.g. {@code KORA_PG_URL}
   * @param defaultUrl the URL of the local test server
   * @return the variable's URL, or {@code defaultUrl} when it is unset or blank
   */
  public static String urlFromEnvironment(String variable, String defaultUrl) {
    String url = System.getenv(variable);
    return url == null || url.isBlank() ? defaultUrl : url;
  }

  /** @return {@code url} with {@code option=value} added to its query string */
  protected static String withOption(String url, String option, String value) {
    return url + (url.contains("?") ? "&" : "?") + option + "=" + value;
  }

  /** @return {@link #url()} with its password (if any) replaced by {@code password} */
  protected String urlWithPassword(String password) {
    String url = url();
    int start = url.indexOf("://") + 3;
    int at = url.indexOf('@', start);
    int slash = url.indexOf('/', start);
    if (at < 0 || at > slash) {
      return url.substring(0, start) + "kora:" + password + "@" + url.substring(start);
    }
    String credentials = url.substring(start, at);
    int colon = credentials.indexOf(':');
    String user = colon < 0 ? credentials : credentials.substring(0, colon);
    return url.substring(0, start) + user + ":" + password + url.substring(at);
  }

  @Test
  void urlOptionsOverrideStoreOptions(VertxTestContext ctx) {
    String fromUrl = newTable();
    String url = withOption(withOption(withOption(url(), "table", fromUrl), "poolSize", "2"),
        "timeoutMs", "4321");
    Stores.open(vertx, new StoreOptions().setUrl(url).setTable("ignored").setPoolSize(7))
        .compose(opened -> check(() -> {
          assertTrue(opened.describe().contains("table=" + fromUrl), opened.describe());
          assertTrue(opened.describe().contains("poolSize=2"), opened.describe());
          assertTrue(opened.describe().contains("timeoutMs=4321"), opened.describe());
        }).compose(v -> opened.write(List.of(merge("{\"from\": \"url\"}"))))
            .eventually(opened::close))
        // the same tree, opened by name; registered, so its table is dropped after the test
        .compose(v -> open(fromUrl))
        .compose(same -> rows(same, ReadRange.subtree(Path.ROOT)))
        .compose(rows -> check(() -> assertEquals(List.of("from=\"url\""), rows)))
        .compose(v -> expectRows())
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void badUrlsAreRefusedWithoutThePassword(VertxTestContext ctx) {
    String good = urlWithPassword("hunter2");
    String base = good.substring(0, good.indexOf('/', good.indexOf("://") + 3));
    List<String> bad = List.of(base, base + "/", base + ":99999/db", base + "/db?bogus=1",
        base + "/db?table=1bad", base + "/db?poolSize=0", base + "/db?timeoutMs=soon");
    Future<Void> chain = Future.succeededFuture();
    for (String url : bad) {
      chain = chain.compose(v -> Stores.open(vertx, new StoreOptions().setUrl(url))
          .transform(result -> check(() -> {
            assertTrue(result.failed(), url + " must be refused");
            KoraException error = (KoraException) result.cause();
            assertEquals(ErrorCode.INVALID_MESSAGE, error.code(), error.getMessage());
            assertFalse(error.getMessage().contains("hunter2"), error.getMessage());
          })));
    }
    chain.onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void passwordIsNeverShown(VertxTestContext ctx) {
    String url = urlWithPassword("wrong-s3cret");
    Store[] opened = new Store[1];
    Stores.open(vertx, new StoreOptions().setUrl(url).setTable(table))
        .transform(result -> check(() -> {
          // the test server may ignore passwords (trust) or refuse this one
          String text;
          if (result.succeeded()) {
            opened[0] = result.result();
            text = result.result().describe();
          } else {
            KoraException error = (KoraException) result.cause();
            assertEquals(ErrorCode.STORE_UNAVAILABLE, error.code(), error.getMessage());
            text = error.getMessage();
          }
          assertFalse(text.contains("wrong-s3cret"), text);
          assertTrue(text.contains(":***@"), text);
        }))
        .eventually(() -> opened[0] == null ? Future.succeededFuture() : opened[0].close())
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void pathsLongerThanTheStoreLimitAreRefused(VertxTestContext ctx) {
    int limit = maxPathBytes();
    int keys = (limit + Path.MAX_KEY_BYTES) / (Path.MAX_KEY_BYTES + 1);
    List<String> parts = new ArrayList<>();
    int bytes = limit - keys;
    for (int i = 0; i < keys; i++) {
      int length = bytes / keys + (i < bytes % keys ? 1 : 0);
      // the last key ends in a two-byte character: the limit counts UTF-8 bytes
      parts.add(i == keys - 1 ? "k".repeat(length - 2) + "é" : "k".repeat(length));
    }
    Path longest = Path.of(parts);
    assertEquals(limit, PathEncoding.encode(longest).getBytes(StandardCharsets.UTF_8).length);
    Path tooLong = longest.parent().child(longest.lastKey() + "!");
    write(merge("{\"keep\": 1}"))
        .compose(v -> write(Mutation.merge(longest, "at the limit")))
        .compose(v -> expectAt(longest, "at the limit"))
        .compose(v -> expectFailure(write(merge("{\"a\": 1}"), Mutation.merge(tooLong, "over")),
            ErrorCode.TOO_LARGE))
        .compose(v -> write(merge("{\"b\": 1}"), Mutation.merge(tooLong, "over")).transform(result ->
            check(() -> assertTrue(result.cause().getMessage().contains(Integer.toString(limit)),
                result.cause().getMessage()))))
        .compose(v -> expectRows("keep=1", longest + "=\"at the limit\""))
        // deleting and reading such a path are fine: it simply is not there
        .compose(v -> expectAt(tooLong, null))
        .compose(v -> write(Mutation.delete(tooLong), Mutation.delete(longest)))
        .compose(v -> expectRows("keep=1"))
        .onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------
  // Fences between two stores on one database: a cluster leader taken over by another

  /**
   * @param store a store
   * @param mutations each written by a {@link Store#writeEach} of them all
   * @return completes once every future has, with all of them
   */
  private static Future<List<Future<Void>>> writeEachOf(Store store, Mutation... mutations) {
    List<Future<Void>> futures = store.writeEach(List.of(mutations));
    return Future.join(futures).transform(ignored -> Future.succeededFuture(futures));
  }

  @Test
  void aStoreTakenOverByAnotherIsFencedOut(VertxTestContext ctx) {
    assumeFences();
    Store first = store;
    Store[] second = new Store[1];
    first.write(List.of(Mutation.merge(EPOCH, 1)))
        .compose(v -> {
          first.fence(fence(EPOCH, "1"));
          return first.write(List.of(merge("{\"first\": {\"before\": 1}}")));
        })
        .compose(v -> open(table))
        .compose(opened -> {
          // the takeover: fenced on the epoch it replaces, the second store writes its own
          second[0] = opened;
          opened.fence(fence(EPOCH, "1"));
          return opened.write(List.of(Mutation.merge(EPOCH, 2), merge("{\"second\": {\"took\": 1}}")));
        })
        .compose(v -> {
          second[0].fence(fence(EPOCH, "2"));
          return expectFenced(first.write(List.of(merge("{\"first\": {\"after\": 1}}"))), EPOCH);
        })
        .compose(v -> writeEachOf(first, merge("{\"first\": {\"x\": 1}}"),
            merge("{\"first\": {\"y\": 1}}"), Mutation.merge(EPOCH, 3)))
        .compose(futures -> Future.join(futures.stream()
            .map(each -> expectFenced(each, EPOCH)).toList()).mapEmpty())
        .compose(v -> second[0].write(List.of(merge("{\"second\": {\"w\": 1}}"))))
        .compose(v -> writeEachOf(second[0], merge("{\"second\": {\"x\": 1}}"),
            merge("{\"second\": {\"y\": 1}}")))
        .compose(futures -> check(() -> futures.forEach(each ->
            assertTrue(each.succeeded(), "the second store's writeEach: " + each.cause()))))
        .compose(v -> expectRows("first/before=1", "kora:cluster/epoch=2", "second/took=1",
            "second/w=1", "second/x=1", "second/y=1"))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * The fence's check is a locking read: while another transaction holds the fence's row, a fenced
   * write waits; once that transaction has changed the row and committed, the write reads the new
   * value and fails with {@code fenced}. A store that read the row without the lock would commit
   * the write meanwhile, after the row had been taken.
   */
  @Test
  void aFencedWriteWaitsForTheFencesRowLockAndSeesItsChange(VertxTestContext ctx) {
    assumeFences();
    write(Mutation.merge(EPOCH, 1))
        .compose(v -> {
          store.fence(fence(EPOCH, "1"));
          return lockRow(table, EPOCH);
        })
        .compose(lock -> {
          Future<Void> waiting = write(merge("{\"a\": 1}"));
          return vertx.timer(500)
              .compose(v -> check(() -> assertFalse(waiting.isComplete(), "the fenced write did"
                  + " not wait for the lock on the fence's row: " + waiting)))
              .eventually(() -> lock.commitWith("2"))
              .compose(v -> expectFenced(waiting, EPOCH));
        })
        .compose(v -> expectRows("kora:cluster/epoch=2"))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Rounds of the fenced store's writes before the takeover. */
  private static final int ROUNDS_BEFORE_TAKEOVER = 10;
  /** Rounds of the fenced store's writes issued after the takeover committed. */
  private static final int ROUNDS_AFTER_TAKEOVER = 5;
  /** Most rounds before the test gives up waiting for the takeover. */
  private static final int MAX_ROUNDS = 2_000;

  /**
   * The race a cluster's fence exists for: a store writes without pause (rounds of two
   * {@link Store#write}s and a {@link Store#writeEach} of three, the next round queued while the
   * last one commits; mutation {@code i} writes {@code a/wI} and the counter {@code a/count = I})
   * while a second store on the same database takes over, setting the counter to {@code "taken"} in
   * its takeover's transaction. Afterwards the counter is still {@code "taken"} — a write of the
   * fenced store committed after the takeover would have overwritten it — and the first store's
   * successful writes are exactly those before the takeover: all of them stored, every failed one
   * absent and failed with {@code fenced}, none succeeding after one failed, every one issued after
   * the takeover committed failed.
   */
  @Test
  void aTakeoverDuringWritesLetsNoFencedWriteCommitAfterIt(VertxTestContext ctx) {
    assumeFences();
    Store first = store;
    first.write(List.of(Mutation.merge(EPOCH, 1)))
        .compose(v -> {
          first.fence(fence(EPOCH, "1"));
          return open(table);
        })
        .map(second -> new TakeoverRace(first, second))
        .compose(race -> race.run().compose(v -> rows(first, ReadRange.subtree(Path.of("a"))))
            .compose(rows -> check(() -> race.check(rows))))
        .compose(v -> expectRows(ReadRange.subtree(Path.of("b")), "b/took=true"))
        .compose(v -> expectRows(ReadRange.subtree(EPOCH.parent()), "kora:cluster/epoch=2"))
        .onComplete(ctx.succeedingThenComplete());
  }

  private static String counterKey(int i) {
    return "w" + String.format("%05d", i);
  }

  /** @return the write of mutation {@code i} of the race: {@code a/wI = I} and {@code a/count = I} */
  private static Mutation counted(int i) {
    return merge("{\"a\": {\"" + counterKey(i) + "\": " + i + ", \"count\": " + i + "}}");
  }

  /** The state of {@link #aTakeoverDuringWritesLetsNoFencedWriteCommitAfterIt}. */
  private static final class TakeoverRace {
    private final Store first;
    private final Store second;
    /** Every write of the first store by its mutation's number. */
    private final Map<Integer, Future<Void>> writes = new ConcurrentHashMap<>();
    private final Set<Integer> issuedAfterTakeover = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean takenOver = new AtomicBoolean();
    private final Promise<Void> takeover = Promise.promise();
    private int next;

    TakeoverRace(Store first, Store second) {
      this.first = first;
      this.second = second;
    }

    /** @return completes once the race is over and every write of it completed */
    Future<Void> run() {
      return round(0, -1, Future.succeededFuture()).compose(v -> takeover.future());
    }

    /**
     * Issues round {@code round}, then waits for the one before it (so that one round is always
     * queued behind the one committing), then goes on; the takeover starts after
     * {@link #ROUNDS_BEFORE_TAKEOVER} rounds, without waiting for it, and the race ends
     * {@link #ROUNDS_AFTER_TAKEOVER} rounds after it committed.
     *
     * @param afterTakeover rounds issued since the takeover committed, -1 before
     * @param previous the writes of the round before
     */
    private Future<Void> round(int round, int afterTakeover, Future<?> previous) {
      if (afterTakeover >= ROUNDS_AFTER_TAKEOVER) {
        return previous.mapEmpty();
      }
      if (round >= MAX_ROUNDS) {
        return Future.failedFuture(new AssertionError("the takeover did not commit within "
            + MAX_ROUNDS + " rounds: " + takeover.future()));
      }
      if (takeover.future().failed()) {
        return Future.failedFuture(takeover.future().cause());
      }
      if (round == ROUNDS_BEFORE_TAKEOVER) {
        second.fence(fence(EPOCH, "1"));
        second.write(List.of(Mutation.merge(EPOCH, 2), Mutation.merge(Path.of("a", "count"),
                "taken"), merge("{\"b\": {\"took\": true}}")))
            .onSuccess(v -> takenOver.set(true))
            .onComplete(takeover);
      }
      boolean after = takenOver.get();
      int from = next;
      next += 5;
      List<Future<Void>> issued = new ArrayList<>();
      issued.add(first.write(List.of(counted(from))));
      issued.add(first.write(List.of(counted(from + 1))));
      issued.addAll(first.writeEach(List.of(counted(from + 2), counted(from + 3),
          counted(from + 4))));
      for (int i = 0; i < issued.size(); i++) {
        writes.put(from + i, issued.get(i));
        if (after) {
          issuedAfterTakeover.add(from + i);
        }
      }
      Future<Void> current = Future.join(issued).mapEmpty();
      Future<Void> settled = current.otherwiseEmpty();
      return previous.transform(ignored -> round(round + 1, after ? afterTakeover + 1 : -1,
          settled));
    }

    /** @param rows the rows under {@code a} after the race, as {@code path=json} */
    void check(List<String> rows) {
      TreeSet<Integer> succeeded = new TreeSet<>();
      TreeSet<Integer> failed = new TreeSet<>();
      for (Map.Entry<Integer, Future<Void>> entry : writes.entrySet()) {
        Future<Void> each = entry.getValue();
        assertTrue(each.isComplete(), "write " + entry.getKey() + " is still pending");
        if (each.succeeded()) {
          succeeded.add(entry.getKey());
        } else {
          KoraException error = (KoraException) each.cause();
          assertEquals(ErrorCode.FENCED, error.code(), error.getMessage());
          failed.add(entry.getKey());
        }
      }
      assertFalse(succeeded.isEmpty(), "writes before the takeover succeeded");
      assertFalse(failed.isEmpty(), "writes after the takeover failed");
      assertTrue(succeeded.last() < failed.first(), "a fenced write succeeded after one failed:"
          + " succeeded " + succeeded + ", failed " + failed);
      for (int issued : issuedAfterTakeover) {
        assertTrue(failed.contains(issued), "write " + issued + ", issued after the takeover"
            + " committed, succeeded");
      }
      assertEquals("a/count=\"taken\"", rows.get(0), "a write of the fenced store committed"
          + " after the takeover");
      List<String> expected = new ArrayList<>();
      expected.add("a/count=\"taken\"");
      for (int i : succeeded) {
        expected.add("a/" + counterKey(i) + "=" + i);
      }
      assertEquals(expected, rows, "the fenced store's rows: its successful writes only");
    }
  }
}
