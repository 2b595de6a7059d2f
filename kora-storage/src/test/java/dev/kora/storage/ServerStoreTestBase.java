package dev.kora.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.storage.spi.PathEncoding;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
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

  /** Rounds of the fenced store's writes before the takeover, at least. */
  private static final int ROUNDS_BEFORE_TAKEOVER = 10;
  /** Rounds of the fenced store's writes issued after the takeover committed. */
  private static final int ROUNDS_AFTER_TAKEOVER = 5;
  /** Most rounds before the test gives up waiting for the takeover. */
  private static final int MAX_ROUNDS = 2_000;

  /**
   * The race a cluster's fence exists for: a store writes without pause (a {@link Store#write} and a
   * {@link Store#writeEach} of two per round, each mutation {@code i} writing {@code a/wI} and the
   * counter {@code a/count = I}) while a second store on the same database takes over. Afterwards
   * the first store's successful writes are exactly those before the takeover — all of them stored,
   * every failed one absent and failed with {@code fenced}, none succeeding after one failed — and
   * the counter read by the second store right after its takeover committed is still the counter at
   * the end: no write of the fenced store committed after the takeover.
   */
  @Test
  void aTakeoverDuringWritesLetsNoFencedWriteCommitAfterIt(VertxTestContext ctx) {
    assumeFences();
    Store first = store;
    Map<Integer, Future<Void>> writes = new ConcurrentHashMap<>();
    Set<Integer> issuedAfterTakeover = ConcurrentHashMap.newKeySet();
    AtomicBoolean takenOver = new AtomicBoolean();
    Promise<Object> countAtTakeover = Promise.promise();
    AtomicInteger next = new AtomicInteger();
    first.write(List.of(Mutation.merge(EPOCH, 1)))
        .compose(v -> {
          first.fence(fence(EPOCH, "1"));
          return open(table);
        })
        .compose(second -> raceRounds(first, second, 0, -1, next, writes, issuedAfterTakeover,
            takenOver, countAtTakeover))
        .compose(v -> countAtTakeover.future())
        .compose(counted -> rows(first, ReadRange.subtree(Path.of("a"))).compose(rows -> check(() -> {
          TreeSet<Integer> succeeded = new TreeSet<>();
          TreeSet<Integer> failed = new TreeSet<>();
          for (Map.Entry<Integer, Future<Void>> entry : writes.entrySet()) {
            Future<Void> each = entry.getValue();
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
          assertTrue(succeeded.last() < failed.first(), "a fenced write succeeded after one"
              + " failed: succeeded " + succeeded + ", failed " + failed);
          for (int issued : issuedAfterTakeover) {
            assertTrue(failed.contains(issued), "write " + issued + ", issued after the takeover"
                + " committed, succeeded");
          }
          List<String> expected = new ArrayList<>();
          expected.add("a/count=" + succeeded.last());
          for (int i : succeeded) {
            expected.add("a/" + counterKey(i) + "=" + i);
          }
          assertEquals(expected, rows, "the fenced store's rows: its successful writes only");
          assertEquals(succeeded.last(), ((Number) counted).intValue(), "a/count when the takeover"
              + " committed, against the fenced store's last successful write");
        })))
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

  /**
   * One round of the first store's writes, then the next; the takeover starts after
   * {@link #ROUNDS_BEFORE_TAKEOVER} rounds, without waiting for it, and the race ends
   * {@link #ROUNDS_AFTER_TAKEOVER} rounds after it committed.
   *
   * @param afterTakeover rounds issued since the takeover committed, -1 before
   */
  private Future<Void> raceRounds(Store first, Store second, int round, int afterTakeover,
      AtomicInteger next, Map<Integer, Future<Void>> writes, Set<Integer> issuedAfterTakeover,
      AtomicBoolean takenOver, Promise<Object> countAtTakeover) {
    if (afterTakeover >= ROUNDS_AFTER_TAKEOVER) {
      return Future.succeededFuture();
    }
    if (round >= MAX_ROUNDS) {
      return Future.failedFuture(new AssertionError("the takeover did not commit within "
          + MAX_ROUNDS + " rounds: " + countAtTakeover.future()));
    }
    if (round == ROUNDS_BEFORE_TAKEOVER) {
      second.fence(fence(EPOCH, "1"));
      second.write(List.of(Mutation.merge(EPOCH, 2), merge("{\"b\": {\"took\": true}}")))
          .compose(v -> {
            takenOver.set(true);
            return TreeReader.read(second, Path.of("a", "count"), QueryOptions.WHOLE);
          })
          .onComplete(countAtTakeover);
    }
    if (countAtTakeover.future().failed()) {
      return Future.failedFuture(countAtTakeover.future().cause());
    }
    boolean after = takenOver.get();
    int single = next.getAndAdd(3);
    List<Future<Void>> issued = new ArrayList<>();
    issued.add(first.write(List.of(counted(single))));
    issued.addAll(first.writeEach(List.of(counted(single + 1), counted(single + 2))));
    for (int i = 0; i < issued.size(); i++) {
      writes.put(single + i, issued.get(i));
      if (after) {
        issuedAfterTakeover.add(single + i);
      }
    }
    return Future.join(issued).transform(ignored -> raceRounds(first, second, round + 1,
        after ? afterTakeover + 1 : -1, next, writes, issuedAfterTakeover, takenOver,
        countAtTakeover));
  }
}
