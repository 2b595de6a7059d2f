package dev.kora.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kora.storage.changelog.ChangeLog;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.LeafCodec;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import dev.kora.tree.Tree;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

/**
 * The conformance suite every {@link Store} driver runs: published in kora-storage's test-jar, it is
 * subclassed by each driver's test, which supplies only how to open a store ({@link #openStore}), how to
 * clean up ({@link #dropStore}), what the store can do ({@link #capabilities()}) and, where it can,
 * how to make a write fail inside the store ({@link #failWritesAt}). Driver-only tests go in the
 * subclass.
 *
 * <p>Every test goes through the public API only — {@link Store#write}, {@link Store#read} with
 * {@link LeafCursor}, and {@link TreeReader} — and checks both the assembled trees and the exact rows
 * (path and JSON text, in order). Each test gets a fresh tree: a new table name from
 * {@link #newTable()} opened in {@link #openTestStore}; every store opened through {@link #open} is
 * closed and every table dropped after the test.
 *
 * <p>Tests that need a capability the store lacks are skipped through a JUnit assumption that prints the
 * capability and its meaning. The large-subtree test writes {@value #DEFAULT_LARGE_LEAVES} leaves;
 * set the system property {@value #LARGE_LEAVES_PROPERTY} (e.g. {@code -Dkora.storage.test.largeLeaves=1000000})
 * for another size.
 *
 * <p>Threading: tests run their store calls from the JUnit thread or from Vert.x contexts; stores must
 * accept calls from any thread.
 */
@ExtendWith(VertxExtension.class)
public abstract class StoreTestBase {

  /** System property: leaves written by {@link #largeSubtreeStreamsInBatches}. */
  public static final String LARGE_LEAVES_PROPERTY = "kora.storage.test.largeLeaves";
  /** Leaves written by {@link #largeSubtreeStreamsInBatches} unless the property says otherwise. */
  public static final int DEFAULT_LARGE_LEAVES = 200_000;

  private static final AtomicInteger TABLE_COUNTER = new AtomicInteger();

  /** The Vert.x instance of the running test. */
  protected Vertx vertx;
  /** The store of the running test, opened before it on a fresh {@link #table}. */
  protected Store store;
  /** The table name of {@link #store}. */
  protected String table;

  private final List<Store> opened = Collections.synchronizedList(new ArrayList<>());
  private final Set<String> tables = Collections.synchronizedSet(new LinkedHashSet<>());

  /**
   * Opens the store that holds the tree named {@code table}. Called with a name never used before for
   * a fresh, empty tree, and again with the same name (after the first store was closed) to check that
   * the data persisted.
   *
   * @param vertx the test's Vert.x instance
   * @param table letters, digits and {@code _}, starting with a letter, at most 48 characters
   * @return the open store
   */
  protected abstract Future<Store> openStore(Vertx vertx, String table);

  /**
   * Removes what {@link #openStore} created for {@code table}; called after each test for each table
   * it used, once the stores are closed. Default: nothing to remove.
   *
   * @param table a name passed to {@link #openStore}
   * @return completes once removed
   */
  protected Future<Void> dropStore(String table) {
    return Future.succeededFuture();
  }

  /**
   * @return the capabilities the store has; tests needing one that is missing are skipped with its
   *     reason printed. Default: all of them.
   */
  protected Set<StoreCapability> capabilities() {
    return EnumSet.allOf(StoreCapability.class);
  }

  /**
   * Makes every later write of a leaf at {@code marker} fail inside the store, as a real failure of
   * the store would: the rows written before it in the same transaction have already been applied when
   * it fails, so the test sees whether the driver rolls them back. Must be implemented by a driver
   * test that declares {@link StoreCapability#FAILURE_INJECTION}.
   *
   * @param store the open store of {@code table}
   * @param table the tree's table name
   * @param marker a path that no test writes except to trigger the failure
   * @return completes once armed
   */
  protected Future<Void> failWritesAt(Store store, String table, Path marker) {
    return Future.failedFuture(new UnsupportedOperationException(getClass().getSimpleName()
        + " declares FAILURE_INJECTION but does not override failWritesAt"));
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle and helpers

  @BeforeEach
  void openTestStore(Vertx vertx, VertxTestContext ctx) {
    this.vertx = vertx;
    this.table = newTable();
    open(table).onComplete(ctx.succeeding(opened -> {
      this.store = opened;
      ctx.completeNow();
    }));
  }

  /**
   * Closes every store of the test and drops its tables. Waits on the JUnit thread (never an event
   * loop) rather than through a VertxTestContext, because vertx-junit5 does not wait for after-each
   * contexts once a test failed or was skipped, and would close Vert.x under a running cleanup.
   */
  @AfterEach
  void closeTestStores() throws Exception {
    Future<Void> chain = Future.succeededFuture();
    for (Store each : new ArrayList<>(opened)) {
      chain = chain.compose(v -> each.close().otherwiseEmpty());
    }
    for (String name : new ArrayList<>(tables)) {
      chain = chain.compose(v -> dropStore(name));
    }
    chain.toCompletionStage().toCompletableFuture().get(2, TimeUnit.MINUTES);
  }

  /** @return a table name not used before, e.g. {@code kt_3_k2x9f0a1} */
  protected static String newTable() {
    return "kt_" + TABLE_COUNTER.incrementAndGet() + "_"
        + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
  }

  /**
   * Opens a store through {@link #openStore} and registers it (and its table) for cleanup.
   *
   * @param name the table
   * @return the store
   */
  protected Future<Store> open(String name) {
    tables.add(name);
    return openStore(vertx, name).map(opened -> {
      this.opened.add(opened);
      return opened;
    });
  }

  /** Skips the running test unless the store has {@code capability}. */
  protected void assume(StoreCapability capability) {
    Assumptions.assumeTrue(capabilities().contains(capability),
        () -> getClass().getSimpleName() + " does not declare " + capability + ": this test needs a"
            + " store that " + capability.meaning());
  }

  /** @return a future completed after {@code check} ran, failed with its assertion error if it threw */
  public static Future<Void> check(Executable check) {
    try {
      check.execute();
      return Future.succeededFuture();
    } catch (Throwable e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * @return a future completed from a later turn of the event loop, so that loops over stores that
   *     answer at once give other work its turn instead of recursing
   */
  protected Future<Void> nextTick() {
    Promise<Void> promise = Promise.promise();
    vertx.runOnContext(v -> promise.complete());
    return promise.future();
  }

  /** @return a mutation merging the JSON object text {@code json} at the root */
  public static Mutation merge(String json) {
    return Mutation.fromJson(new JsonObject().put("merge", new JsonObject(json)));
  }

  /** @return the mutation of wire form {@code json}, e.g. {@code {"merge": {...}, "delete": {...}}} */
  protected static Mutation mutation(String json) {
    return Mutation.fromJson(new JsonObject(json));
  }

  /** @return the path of the keys */
  protected static Path path(String... keys) {
    return Path.of(keys);
  }

  /** Writes the mutations in one {@link Store#write} call. */
  protected Future<Void> write(Mutation... mutations) {
    return store.write(List.of(mutations));
  }

  /** @return the value at {@code path}: a JsonObject, a leaf or null */
  protected Future<Object> read(Path path) {
    return TreeReader.read(store, path, QueryOptions.WHOLE);
  }

  /** @return the value at {@code path} bounded by min, max and limit (each may be null) */
  protected Future<Object> read(Path path, String min, String max, Integer limit) {
    return TreeReader.read(store, path, new QueryOptions(min, max, limit, false));
  }

  /** @return the rows of {@code range} of {@code from}, each as {@code path=json}, in cursor order */
  public static Future<List<String>> rows(Store from, ReadRange range) {
    return rows(from, range, TreeReader.BATCH_ROWS);
  }

  /**
   * @param batchRows how many rows to take from the cursor at a time
   * @return the rows of {@code range} of {@code from}, each as {@code path=json}, in cursor order
   */
  public static Future<List<String>> rows(Store from, ReadRange range, int batchRows) {
    List<String> result = new ArrayList<>();
    return TreeReader.stream(from, range, batchRows, batch -> {
      for (StoredLeaf row : batch) {
        result.add(row.path() + "=" + row.valueJson());
      }
      return Future.succeededFuture(true);
    }).map(count -> result);
  }

  /** Checks that the store's whole tree is {@code json} (a JSON object text, or "null" for empty). */
  protected Future<Void> expectRoot(String json) {
    return expectAt(Path.ROOT, json.equals("null") ? null : new JsonObject(json));
  }

  /** Checks that the store's whole tree is {@code json}. */
  protected Future<Void> expectRoot(Store from, String json) {
    return TreeReader.read(from, Path.ROOT, QueryOptions.WHOLE)
        .compose(actual -> check(() -> assertEquals(
            json.equals("null") ? null : new JsonObject(json), actual, "tree at the root")));
  }

  /** Checks that reading {@code path} gives {@code expected} (JsonObject, leaf or null). */
  protected Future<Void> expectAt(Path path, Object expected) {
    return read(path).compose(actual -> check(() -> assertEquals(expected, actual,
        "value at '" + path + "'")));
  }

  /** Checks that the whole tree is stored as exactly these rows ({@code path=json}), in this order. */
  protected Future<Void> expectRows(String... expected) {
    return expectRows(ReadRange.subtree(Path.ROOT), expected);
  }

  /** Checks that {@code range} holds exactly these rows ({@code path=json}), in this order. */
  protected Future<Void> expectRows(ReadRange range, String... expected) {
    return rows(store, range).compose(actual -> check(() -> assertEquals(Arrays.asList(expected),
        actual, "rows of " + range)));
  }

  /**
   * @return a future that succeeds when {@code future} failed with a {@link KoraException} of
   *     {@code code} (any code when null), and fails otherwise
   */
  protected static Future<Void> expectFailure(Future<?> future, String code) {
    return future.transform(result -> check(() -> {
      if (result.succeeded()) {
        fail("expected a failure" + (code == null ? "" : " with code " + code)
            + " but it succeeded with " + result.result());
      }
      KoraException error = assertInstanceOf(KoraException.class, result.cause(),
          "failure should be a KoraException");
      if (code != null) {
        assertEquals(code, error.code(), "error code (message: " + error.getMessage() + ")");
      }
    }));
  }

  private static JsonObject obj(String json) {
    return new JsonObject(json);
  }

  // ---------------------------------------------------------------------------------------------
  // Merge and delete semantics

  @Test
  void mergeIsDeepAndKeepsOtherData(VertxTestContext ctx) {
    write(merge("{\"a\": {\"x\": 1, \"y\": 2, \"n\": {\"p\": true}}, \"b\": \"keep\"}"))
        .compose(v -> write(merge("{\"a\": {\"y\": 3, \"z\": 4, \"n\": {\"q\": false}}}")))
        .compose(v -> expectRoot("{\"a\": {\"x\": 1, \"y\": 3, \"z\": 4, \"n\": {\"p\": true,"
            + " \"q\": false}}, \"b\": \"keep\"}"))
        .compose(v -> expectRows("a/n/p=true", "a/n/q=false", "a/x=1", "a/y=3", "a/z=4",
            "b=\"keep\""))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void leafReplacesBranch(VertxTestContext ctx) {
    write(merge("{\"a\": {\"b\": {\"c\": 1}, \"d\": 2}, \"a b\": 3, \"ab\": 4, \"a!\": 5}"))
        .compose(v -> write(merge("{\"a\": \"leaf\"}")))
        .compose(v -> expectRoot("{\"a\": \"leaf\", \"a b\": 3, \"ab\": 4, \"a!\": 5}"))
        .compose(v -> expectRows("a=\"leaf\"", "a b=3", "a!=5", "ab=4"))
        // deeper: a leaf in the middle of a branch removes only its own subtree
        .compose(v -> write(merge("{\"t\": {\"u\": {\"v\": {\"w\": 1}, \"v2\": 2}}}")))
        .compose(v -> write(merge("{\"t\": {\"u\": {\"v\": [1, 2]}}}")))
        .compose(v -> expectAt(path("t"), obj("{\"u\": {\"v\": [1, 2], \"v2\": 2}}")))
        .compose(v -> expectRows(ReadRange.subtree(path("t")), "t/u/v=[1,2]", "t/u/v2=2"))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void branchReplacesLeaf(VertxTestContext ctx) {
    write(merge("{\"a\": \"leaf\", \"b\": {\"c\": \"leaf\"}, \"a0\": 1}"))
        .compose(v -> write(merge("{\"a\": {\"x\": 1}}")))
        // writing three levels under a leaf removes the leaf at the ancestor
        .compose(v -> write(merge("{\"b\": {\"c\": {\"d\": {\"e\": {\"f\": 2}}}}}")))
        .compose(v -> expectRoot("{\"a\": {\"x\": 1}, \"a0\": 1,"
            + " \"b\": {\"c\": {\"d\": {\"e\": {\"f\": 2}}}}}"))
        .compose(v -> expectRows("a/x=1", "a0=1", "b/c/d/e/f=2"))
        .compose(v -> expectAt(path("b", "c"), obj("{\"d\": {\"e\": {\"f\": 2}}}")))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void nullInMergeDeletes(VertxTestContext ctx) {
    write(merge("{\"a\": {\"b\": 1, \"c\": 2, \"d\": {\"e\": 3}}, \"f\": 4}"))
        .compose(v -> write(merge("{\"a\": {\"b\": null, \"d\": null, \"missing\": null},"
            + " \"nothere\": {\"x\": null}}")))
        .compose(v -> expectRoot("{\"a\": {\"c\": 2}, \"f\": 4}"))
        .compose(v -> write(merge("{\"a\": null}")))
        .compose(v -> expectRows("f=4"))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void deleteRemovesExactlyTheSubtree(VertxTestContext ctx) {
    write(merge("{\"a\": {\"b\": {\"c\": 1, \"d\": {\"e\": 2}}, \"bc\": 3, \"b c\": 4, \"b!\": 5,"
        + " \"b~\": 6, \"a\": 7}, \"b\": 8}"))
        .compose(v -> write(Mutation.delete(path("a", "b"))))
        .compose(v -> expectRoot("{\"a\": {\"bc\": 3, \"b c\": 4, \"b!\": 5, \"b~\": 6, \"a\": 7},"
            + " \"b\": 8}"))
        // deleting what is not there, or under a leaf, changes nothing
        .compose(v -> write(Mutation.delete(path("nothing", "here")),
            Mutation.delete(path("b", "under", "leaf"))))
        .compose(v -> expectRows("a/a=7", "a/b c=4", "a/b!=5", "a/bc=3", "a/b~=6", "b=8"))
        .compose(v -> write(mutation("{\"delete\": {\"a\": {\"bc\": 1, \"b~\": 1}, \"b\": 1}}")))
        .compose(v -> expectRows("a/a=7", "a/b c=4", "a/b!=5"))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void emptyBranchesDisappear(VertxTestContext ctx) {
    write(merge("{\"a\": {\"b\": {\"c\": 1}}, \"z\": {\"y\": 1, \"x\": 2}}"))
        .compose(v -> write(Mutation.delete(path("a", "b", "c"))))
        .compose(v -> expectAt(path("a"), null))
        .compose(v -> expectAt(path("a", "b"), null))
        .compose(v -> read(path("a"), null, null, 10))
        .compose(value -> check(() -> assertNull(value, "bounded read of an emptied branch")))
        .compose(v -> write(merge("{\"z\": {\"y\": null, \"x\": null}}")))
        .compose(v -> expectAt(path("z"), null))
        .compose(v -> expectRoot("null"))
        .compose(v -> expectRows())
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void deletesApplyBeforeMergesInOneMutation(VertxTestContext ctx) {
    write(merge("{\"a\": {\"old\": 1, \"keep\": {\"k\": 1}}, \"b\": {\"x\": 1}}"))
        .compose(v -> write(mutation("{\"merge\": {\"a\": {\"new\": 2}, \"b\": {\"x\": 3}},"
            + " \"delete\": {\"a\": 1, \"b\": {\"x\": 1}}}")))
        .compose(v -> expectRoot("{\"a\": {\"new\": 2}, \"b\": {\"x\": 3}}"))
        .compose(v -> write(Mutation.replace(path("a"), obj("{\"r\": {\"s\": true}}"))))
        .compose(v -> expectRows("a/r/s=true", "b/x=3"))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void mutationsInOneWriteApplyInOrder(VertxTestContext ctx) {
    List<Mutation> batch = List.of(
        merge("{\"a\": {\"b\": 1}}"),
        Mutation.delete(path("a")),
        merge("{\"a\": {\"c\": 2}}"),
        merge("{\"x\": \"leaf\"}"),
        merge("{\"x\": {\"y\": 3}}"),
        merge("{\"q\": {\"r\": 1}}"),
        merge("{\"q\": \"leaf\"}"),
        merge("{\"n\": 1}"),
        merge("{\"n\": 2}"),
        merge("{\"d\": 1}"),
        merge("{\"d\": null}"),
        Mutation.empty(),
        merge("{\"d\": {\"e\": [true]}}"));
    JsonObject expected = new JsonObject();
    batch.forEach(m -> m.applyTo(expected));
    store.write(batch)
        .compose(v -> expectRoot("{\"a\": {\"c\": 2}, \"x\": {\"y\": 3}, \"q\": \"leaf\", \"n\": 2,"
            + " \"d\": {\"e\": [true]}}"))
        .compose(v -> expectAt(Path.ROOT, expected))
        .compose(v -> expectRows("a/c=2", "d/e=[true]", "n=2", "q=\"leaf\"", "x/y=3"))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void emptyWritesSucceedAndChangeNothing(VertxTestContext ctx) {
    write(merge("{\"a\": 1}"))
        .compose(v -> store.write(List.of()))
        .compose(v -> write(Mutation.empty(), merge("{}"), merge("{\"b\": {}}")))
        .compose(v -> expectRows("a=1"))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void arraysAreAtomicLeaves(VertxTestContext ctx) {
    write(merge("{\"a\": [1, \"two\", true, null, {\"k\": [1.5, {\"n\": null}]}, []], \"e\": []}"))
        .compose(v -> expectRows("a=[1,\"two\",true,null,{\"k\":[1.5,{\"n\":null}]},[]]", "e=[]"))
        .compose(v -> expectAt(path("a"),
            new JsonArray("[1, \"two\", true, null, {\"k\": [1.5, {\"n\": null}]}, []]")))
        // a new array replaces the old one whole, never element by element
        .compose(v -> write(merge("{\"a\": [9]}")))
        .compose(v -> expectAt(path("a"), new JsonArray("[9]")))
        // writing under an array removes it like any leaf
        .compose(v -> write(merge("{\"a\": {\"0\": \"zero\"}}")))
        .compose(v -> expectRows("a/0=\"zero\"", "e=[]"))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void valuesRoundTripExactly(VertxTestContext ctx) {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("s_empty", "");
    values.put("s_plain", "milk");
    values.put("s_escapes", "say \"hi\" \\ back/slash");
    values.put("s_controls", "line\nfeed\ttab\r\u0000nul\u001f\u007f");
    values.put("s_unicode", "日本語 é ÿ \u0800 \ue000 \ufffd \uffff 😀 𝄞");
    values.put("s_json_text", "{\"not\": \"an object\"}");
    values.put("s_number_text", "42");
    values.put("s_true_text", "true");
    values.put("i_zero", 0);
    values.put("i_negative", -7);
    values.put("i_max", Integer.MAX_VALUE);
    values.put("l_max", Long.MAX_VALUE);
    values.put("l_min", Long.MIN_VALUE);
    values.put("n_big", new BigInteger("123456789012345678901234567890"));
    values.put("d_half", 1.5);
    values.put("d_tenth", 0.1);
    values.put("d_small", -2.5e-7);
    values.put("d_huge", 1.0e300);
    values.put("d_tiny", Double.MIN_VALUE);
    values.put("d_negative_zero", -0.0);
    values.put("b_true", true);
    values.put("b_false", false);
    values.put("a_empty", new JsonArray());
    values.put("a_mixed", new JsonArray().add(1).add("two").add(true).addNull()
        .add(new JsonObject().put("k", new JsonArray().add(1.5))).add(new JsonArray()));
    JsonObject tree = new JsonObject();
    values.forEach(tree::put);
    List<String> expectedRows = new ArrayList<>();
    values.keySet().stream().sorted(Path.KEY_ORDER).forEach(key ->
        expectedRows.add("v/" + key + "=" + LeafCodec.encode(values.get(key))));
    write(Mutation.merge(path("v"), tree))
        .compose(v -> expectRows(expectedRows.toArray(new String[0])))
        .compose(v -> read(path("v")))
        .compose(read -> check(() -> {
          JsonObject actual = (JsonObject) read;
          assertEquals(values.keySet(), actual.fieldNames());
          for (Map.Entry<String, Object> entry : values.entrySet()) {
            assertEquals(LeafCodec.encode(entry.getValue()),
                LeafCodec.encode(actual.getValue(entry.getKey())), "value of " + entry.getKey());
          }
          assertEquals(String.class, actual.getValue("s_number_text").getClass());
          assertEquals(Boolean.class, actual.getValue("b_true").getClass());
        }))
        .compose(v -> read(path("v", "s_unicode")))
        .compose(leaf -> check(() -> assertEquals(values.get("s_unicode"), leaf)))
        .compose(v -> read(path("v", "l_min")))
        .compose(leaf -> check(() -> assertEquals(Long.MIN_VALUE, ((Number) leaf).longValue())))
        .onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------
  // Atomicity

  private static final Path MARKER = Path.of("boom", "x");

  @Test
  void failedMutationLeavesNothing(VertxTestContext ctx) {
    assume(StoreCapability.FAILURE_INJECTION);
    // Leaves are written in the merge tree's order: "aaa" and "keep/a" go before the marker,
    // "zzz" after it, and the deletes before all of them.
    Mutation doomed = mutation("{\"delete\": {\"gone\": 1, \"keep\": {\"b\": 1}},"
        + " \"merge\": {\"aaa\": 1, \"keep\": {\"a\": 99, \"c\": {\"d\": 1}},"
        + " \"boom\": {\"x\": true}, \"zzz\": 1}}");
    write(merge("{\"keep\": {\"a\": 1, \"b\": 2, \"c\": \"leaf\"}, \"gone\": {\"g\": 3}}"))
        .compose(v -> failWritesAt(store, table, MARKER))
        .compose(v -> expectFailure(write(doomed), null))
        .compose(v -> expectRows("gone/g=3", "keep/a=1", "keep/b=2", "keep/c=\"leaf\""))
        // the store still works, and the marker is refused only when written
        .compose(v -> write(merge("{\"keep\": {\"a\": 2}}")))
        .compose(v -> expectRows("gone/g=3", "keep/a=2", "keep/b=2", "keep/c=\"leaf\""))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void failedWriteLeavesNoneOfItsMutations(VertxTestContext ctx) {
    assume(StoreCapability.FAILURE_INJECTION);
    List<Mutation> batch = new ArrayList<>();
    batch.add(merge("{\"first\": {\"a\": 1}}"));
    batch.add(Mutation.delete(path("base")));
    batch.add(merge("{\"second\": {\"b\": [2]}}"));
    for (int i = 0; i < 50; i++) {
      batch.add(merge("{\"many\": {\"m" + i + "\": " + i + "}}"));
    }
    batch.add(Mutation.merge(MARKER, "fail here"));
    batch.add(merge("{\"after\": 1}"));
    write(merge("{\"base\": {\"x\": 1}}"))
        .compose(v -> failWritesAt(store, table, MARKER))
        .compose(v -> expectFailure(store.write(batch), null))
        .compose(v -> expectRows("base/x=1"))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void failedWriteDoesNotDisturbConcurrentWrites(VertxTestContext ctx) {
    assume(StoreCapability.FAILURE_INJECTION);
    failWritesAt(store, table, MARKER)
        .compose(v -> {
          // issued together, so a store that groups concurrent writes has them in one group
          Future<Void> before = write(merge("{\"before\": 1}"));
          Future<Void> doomed = write(merge("{\"doomed\": 1}"), Mutation.merge(MARKER, 1));
          Future<Void> after = write(merge("{\"after\": {\"a\": 2}}"), merge("{\"before\": 3}"));
          return Future.join(before, expectFailure(doomed, null), after).mapEmpty();
        })
        .compose(v -> expectRows("after/a=2", "before=3"))
        .onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------
  // writeEach: one atomic write per mutation, failures isolated by the store

  /**
   * Calls {@link Store#writeEach} from a Vert.x context task and records the order in which the
   * futures complete; handlers are attached in that same task, so none can run before.
   *
   * @return the futures, the indexes in completion order (filled as they complete), and whether
   *     each completed on the caller's context
   */
  private Future<EachCall> writeEach(List<Mutation> mutations) {
    Promise<EachCall> started = Promise.promise();
    Context caller = vertx.getOrCreateContext();
    caller.runOnContext(v -> {
      List<Future<Void>> futures = store.writeEach(mutations);
      EachCall call = new EachCall(futures);
      for (int i = 0; i < futures.size(); i++) {
        int index = i;
        futures.get(i).onComplete(result -> {
          call.order.add(index);
          if (Vertx.currentContext() != caller) {
            call.offContext.add(index);
          }
        });
      }
      started.complete(call);
    });
    return started.future();
  }

  /** The futures of a {@link Store#writeEach} call and how they completed. */
  private static final class EachCall {
    final List<Future<Void>> futures;
    final List<Integer> order = Collections.synchronizedList(new ArrayList<>());
    final List<Integer> offContext = Collections.synchronizedList(new ArrayList<>());

    EachCall(List<Future<Void>> futures) {
      this.futures = futures;
    }

    /** @return completes once every future has, successfully or not */
    Future<EachCall> done() {
      return Future.join(futures).transform(ignored -> Future.succeededFuture(this));
    }

    /** Checks the completion order and context, and which futures failed. */
    void check(Set<Integer> failed) {
      List<Integer> expected = new ArrayList<>();
      for (int i = 0; i < futures.size(); i++) {
        expected.add(i);
        assertEquals(failed.contains(i), futures.get(i).failed(),
            "future " + i + " failed: " + futures.get(i).cause());
      }
      assertEquals(expected, order, "futures complete in list order");
      assertEquals(List.of(), offContext, "futures completed off the caller's context");
    }
  }

  @Test
  void writeEachAppliesEveryMutationInOrderDurably(VertxTestContext ctx) {
    List<Mutation> mutations = new ArrayList<>();
    mutations.add(merge("{\"a\": {\"x\": 1, \"y\": 1}}"));
    mutations.add(Mutation.delete(path("a")));
    mutations.add(Mutation.empty());
    mutations.add(merge("{\"a\": {\"y\": 2}}"));
    for (int i = 0; i < 200; i++) {
      mutations.add(merge("{\"many\": {\"m" + String.format("%03d", i) + "\": " + i + "}}"));
    }
    mutations.add(merge("{\"many\": {\"m000\": \"last\"}}"));
    List<String> rows = new ArrayList<>();
    rows.add("a/y=2");
    rows.add("many/m000=\"last\"");
    for (int i = 1; i < 200; i++) {
      rows.add("many/m" + String.format("%03d", i) + "=" + i);
    }
    String[] expected = rows.toArray(new String[0]);
    writeEach(mutations)
        .compose(EachCall::done)
        .compose(call -> check(() -> call.check(Set.of())))
        .compose(v -> expectRows(expected))
        .compose(v -> check(() -> assertEquals(List.of(), store.writeEach(List.of()))))
        .compose(v -> capabilities().contains(StoreCapability.PERSISTENT)
            ? store.close().compose(closed -> open(table)).compose(reopened -> {
              store = reopened;
              return expectRows(expected);
            }) : Future.succeededFuture())
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void writeEachFailsAMutationAloneAndCommitsTheOthers(VertxTestContext ctx) {
    assume(StoreCapability.FAILURE_INJECTION);
    List<Mutation> mutations = List.of(
        merge("{\"before\": 1}"),
        mutation("{\"merge\": {\"doomed\": 1, \"boom\": {\"x\": true}}}"),
        merge("{\"after\": {\"a\": 2}}"),
        Mutation.merge(MARKER, "again"),
        merge("{\"before\": 3}"));
    write(merge("{\"base\": 1}"))
        .compose(v -> failWritesAt(store, table, MARKER))
        .compose(v -> writeEach(mutations))
        .compose(EachCall::done)
        .compose(call -> check(() -> call.check(Set.of(1, 3)))
            .compose(v -> expectFailure(call.futures.get(1), null)))
        .compose(v -> expectRows("after/a=2", "base=1", "before=3"))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void writeEachRefusesAPathOverTheStoresLimitAlone(VertxTestContext ctx) {
    Assumptions.assumeFalse(capabilities().contains(StoreCapability.FULL_LENGTH_PATHS),
        "the store keeps paths of every length Kora allows: no path is too long for it");
    String[] keys = new String[Path.MAX_DEPTH];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = i + "k".repeat(Path.MAX_KEY_BYTES - 2);
    }
    Path tooLong = Path.of(keys);
    writeEach(List.of(merge("{\"a\": 1}"), Mutation.merge(tooLong, 1), merge("{\"b\": 2}")))
        .compose(EachCall::done)
        .compose(call -> check(() -> call.check(Set.of(1)))
            .compose(v -> expectFailure(call.futures.get(1), ErrorCode.TOO_LARGE)))
        .compose(v -> expectRows("a=1", "b=2"))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void writeEachQueuedBeforeCloseIsCommittedAndFailsAfterIt(VertxTestContext ctx) {
    Promise<EachCall> queued = Promise.promise();
    Promise<Void> closed = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> {
      // queued, then the store closed at once: close lets the queued writes be committed first
      writeEach(List.of(merge("{\"a\": 1}"), merge("{\"b\": 2}"))).onComplete(queued);
      queued.future().onComplete(call -> store.close().onComplete(closed));
    });
    queued.future()
        .compose(call -> closed.future().compose(v -> call.done()))
        .compose(call -> check(() -> call.check(Set.of())))
        .compose(v -> writeEach(List.of(merge("{\"c\": 1}"), Mutation.empty())))
        .compose(EachCall::done)
        .compose(call -> check(() -> call.check(Set.of(0, 1)))
            .compose(v -> expectFailure(call.futures.get(0), ErrorCode.STORE_UNAVAILABLE))
            .compose(v -> expectFailure(call.futures.get(1), ErrorCode.STORE_UNAVAILABLE)))
        .compose(v -> capabilities().contains(StoreCapability.PERSISTENT)
            ? open(table).compose(reopened -> {
              store = reopened;
              return expectRows("a=1", "b=2");
            }) : Future.succeededFuture())
        .onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------
  // Fences: every write transaction first checks a row (the cluster leader's epoch)

  /** The row the fence tests fence on, where a cluster's leader keeps its epoch. */
  protected static final Path EPOCH = Path.of("kora:cluster", "epoch");

  /**
   * Skips the running test unless the store fences its writes ({@link Store#fences()}): through a
   * JUnit assumption, so a store without fences (Cassandra) shows it as skipped, not passed.
   */
  protected void assumeFences() {
    Assumptions.assumeTrue(store.fences(), () -> getClass().getSimpleName() + ": the store "
        + store.describe() + " does not fence its writes (Store.fences() is false)");
  }

  /** @return the fence {@code path} = {@code value} (JSON text; null: absent) */
  protected static Fence fence(Path path, String value) {
    return new Fence(path, value);
  }

  /** Checks that {@code future} failed with {@code fenced} and a message naming the path. */
  protected static Future<Void> expectFenced(Future<?> future, Path path) {
    return expectFailure(future, ErrorCode.FENCED).compose(v -> check(() -> {
      String message = future.cause().getMessage();
      assertTrue(message.contains(path.toString()), message);
    }));
  }

  @Test
  void fenceIsRefusedByAStoreThatCannotFence() {
    Assumptions.assumeFalse(store.fences(), "the store fences its writes");
    UnsupportedOperationException refused = assertThrows(
        UnsupportedOperationException.class, () -> store.fence(fence(EPOCH, "1")));
    assertTrue(refused.getMessage().contains(store.describe()), refused.getMessage());
    assertTrue(refused.getMessage().contains("cannot fence"), refused.getMessage());
    assertThrows(UnsupportedOperationException.class,
        () -> store.fence(null));
  }

  @Test
  void writesAreNotCheckedWithoutAFence(VertxTestContext ctx) {
    assumeFences();
    write(Mutation.merge(EPOCH, 2))
        .compose(v -> {
          store.fence(fence(EPOCH, "1"));
          return expectFenced(write(merge("{\"a\": 0}")), EPOCH);
        })
        .compose(v -> {
          // cleared: the row no longer matters
          store.fence(null);
          return write(merge("{\"a\": 1}"));
        })
        .compose(v -> writeEach(List.of(merge("{\"b\": 2}"), merge("{\"c\": 3}"))))
        .compose(EachCall::done)
        .compose(call -> check(() -> call.check(Set.of())))
        .compose(v -> expectRows("a=1", "b=2", "c=3", "kora:cluster/epoch=2"))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void writesCommitWhileTheFenceHolds(VertxTestContext ctx) {
    assumeFences();
    Path owner = path("owner");
    // the row absent, and the fence wants it absent
    store.fence(fence(EPOCH, null));
    write(merge("{\"a\": 1}"))
        .compose(v -> writeEach(List.of(merge("{\"b\": 2}"), merge("{\"c\": 3}"))))
        .compose(EachCall::done)
        .compose(call -> check(() -> call.check(Set.of())))
        .compose(v -> {
          store.fence(null);
          return write(Mutation.merge(EPOCH, 1), Mutation.merge(owner, "node-1"));
        })
        .compose(v -> {
          // the row equal to the fence
          store.fence(fence(EPOCH, "1"));
          return write(merge("{\"d\": 4}"));
        })
        .compose(v -> writeEach(List.of(merge("{\"e\": 5}"), Mutation.delete(path("a")))))
        .compose(EachCall::done)
        .compose(call -> check(() -> call.check(Set.of())))
        .compose(v -> {
          // the value is the leaf's JSON text as stored: a string is quoted
          store.fence(fence(owner, "\"node-1\""));
          return write(merge("{\"f\": 6}"));
        })
        .compose(v -> {
          store.fence(fence(owner, "node-1"));
          return expectFenced(write(merge("{\"g\": 7}")), owner);
        })
        .compose(v -> expectRows("b=2", "c=3", "d=4", "e=5", "f=6", "kora:cluster/epoch=1",
            "owner=\"node-1\""))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void writeFailsWholeWhenTheFenceDoesNotHold(VertxTestContext ctx) {
    assumeFences();
    Path absent = path("nobody", "here");
    write(Mutation.merge(EPOCH, 2), merge("{\"keep\": {\"k\": 1}}"))
        .compose(v -> {
          store.fence(fence(EPOCH, "1"));
          Future<Void> doomed = store.write(List.of(merge("{\"a\": 1}"), Mutation.delete(
              path("keep")), Mutation.merge(EPOCH, 3)));
          return expectFenced(doomed, EPOCH).compose(checked -> check(() -> {
            String message = doomed.cause().getMessage();
            assertTrue(message.contains(" 2 ") && message.contains(" 1;"), message);
          }));
        })
        // the fence wants the row absent, but it is there
        .compose(v -> {
          store.fence(fence(EPOCH, null));
          return expectFenced(write(merge("{\"b\": 1}")), EPOCH);
        })
        // the fence wants a row that is absent
        .compose(v -> {
          store.fence(fence(absent, "1"));
          return expectFenced(write(merge("{\"c\": 1}")), absent);
        })
        // calls issued together, so that a store grouping them has them in one transaction
        .compose(v -> {
          store.fence(fence(EPOCH, "1"));
          return Future.join(expectFenced(write(merge("{\"d\": 1}")), EPOCH),
              expectFenced(write(merge("{\"e\": 1}"), Mutation.merge(EPOCH, 9)), EPOCH),
              expectFenced(write(Mutation.delete(path("keep"))), EPOCH)).mapEmpty();
        })
        .compose(v -> expectRows("keep/k=1", "kora:cluster/epoch=2"))
        // nothing broken: once the fence holds again, the store writes
        .compose(v -> {
          store.fence(fence(EPOCH, "2"));
          return write(merge("{\"f\": 1}"));
        })
        .compose(v -> expectRows("f=1", "keep/k=1", "kora:cluster/epoch=2"))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void writeEachFailsEveryMutationWhenTheFenceDoesNotHold(VertxTestContext ctx) {
    assumeFences();
    List<Mutation> mutations = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      mutations.add(merge("{\"m\": {\"m" + String.format("%02d", i) + "\": " + i + "}}"));
    }
    mutations.add(Mutation.merge(EPOCH, 5));
    Set<Integer> all = new LinkedHashSet<>();
    for (int i = 0; i < mutations.size(); i++) {
      all.add(i);
    }
    write(Mutation.merge(EPOCH, 2))
        .compose(v -> {
          store.fence(fence(EPOCH, "1"));
          return writeEach(mutations);
        })
        .compose(EachCall::done)
        .compose(call -> check(() -> call.check(all)).compose(v -> {
          Future<Void> chain = Future.succeededFuture();
          for (Future<Void> each : call.futures) {
            chain = chain.compose(checked -> expectFenced(each, EPOCH));
          }
          return chain;
        }))
        .compose(v -> expectRows("kora:cluster/epoch=2"))
        .compose(v -> {
          store.fence(fence(EPOCH, "2"));
          return writeEach(mutations.subList(0, 2));
        })
        .compose(EachCall::done)
        .compose(call -> check(() -> call.check(Set.of())))
        .compose(v -> expectRows("kora:cluster/epoch=2", "m/m00=0", "m/m01=1"))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * The takeover of a cluster's leader through one store: fenced on the old epoch, it writes the new
   * one (the check runs before the write, in the same transaction, so it commits), and from then on
   * the old fence no longer holds until the store is fenced on the new epoch.
   */
  @Test
  void aFencedStoreTakesOverByWritingTheFencedRow(VertxTestContext ctx) {
    assumeFences();
    write(Mutation.merge(EPOCH, 1))
        .compose(v -> {
          store.fence(fence(EPOCH, "1"));
          return write(Mutation.merge(EPOCH, 2), merge("{\"leader\": 2}"));
        })
        .compose(v -> expectFenced(write(merge("{\"late\": 1}")), EPOCH))
        .compose(v -> {
          store.fence(fence(EPOCH, "2"));
          return write(merge("{\"after\": 1}"));
        })
        .compose(v -> writeEach(List.of(merge("{\"after\": 2}"), merge("{\"more\": 1}"))))
        .compose(EachCall::done)
        .compose(call -> check(() -> call.check(Set.of())))
        .compose(v -> expectRows("after=2", "kora:cluster/epoch=2", "leader=2", "more=1"))
        .onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------
  // Fences between two stores on one table: a cluster leader taken over by another

  /**
   * @return whether two stores opened on one table (two {@link #open} calls with the same name)
   *     share its rows, as two nodes on one database server do; false for a store of one process
   *     (memory). The takeover tests between two stores run only where this is true.
   */
  protected boolean sharesTables() {
    return false;
  }

  /** Skips the running test unless the store fences and two stores can share a table. */
  protected void assumeSharedFences() {
    assumeFences();
    Assumptions.assumeTrue(sharesTables(), () -> getClass().getSimpleName() + ": two stores"
        + " opened on one table do not share it");
  }

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
    assumeSharedFences();
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
    assumeSharedFences();
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

  // ---------------------------------------------------------------------------------------------
  // Order of keys

  /** Keys from every UTF-8 length, in UTF-16 order a different order than in UTF-8 byte order. */
  private static final List<String> ORDER_KEYS = List.of(" ", "!", "A", "Z", "a", "a b", "a!", "ab",
      "z", "~", "\u0080", "é", "ÿ", "Ā", "\u07ff", "\u0800", "中", "\ud7ff", "\ue000", "\uf8ff",
      "\ufffd", "\uffff", "\ud800\udc00", "𝄞", "😀", "\udbff\udfff");

  /** @return the keys sorted by their UTF-8 bytes, the tree's order */
  public static List<String> utf8Sorted(List<String> keys) {
    List<String> sorted = new ArrayList<>(keys);
    sorted.sort((x, y) -> Arrays.compareUnsigned(x.getBytes(StandardCharsets.UTF_8),
        y.getBytes(StandardCharsets.UTF_8)));
    return sorted;
  }

  // ---------------------------------------------------------------------------------------------
  // The change log layout (ChangeLog): versions, entries and ids are rows written with the data

  /** A commit as the node's sequencer writes it: the mutation plus its version, entry and id. */
  private static Mutation commit(long version, Mutation mutation, String id) {
    return mutation.plusLeaves(ChangeLog.commitRows(version, mutation.encode(), id, 1_000L * version,
        true));
  }

  /** @return every entry after {@code after} and the counters, read with one cursor */
  private Future<Map.Entry<List<ChangeLog.Entry>, ChangeLog.Counters>> logAfter(long after) {
    List<ChangeLog.Entry> entries = new ArrayList<>();
    return ChangeLog.open(store, after).compose(cursor -> pullLog(cursor, entries)
        .compose(v -> cursor.finish()))
        .map(counters -> Map.entry(entries, counters));
  }

  private Future<Void> pullLog(ChangeLog.Cursor cursor, List<ChangeLog.Entry> into) {
    return cursor.next(2).compose(batch -> {
      into.addAll(batch);
      return batch.isEmpty() ? Future.succeededFuture() : pullLog(cursor, into);
    });
  }

  @Test
  void changeLogEntriesVersionsAndIdsAreWrittenWithTheirCommit(VertxTestContext ctx) {
    Mutation first = merge("{\"todos\": {\"t1\": {\"title\": \"milk\", \"n\": [1, 2.5]}}}");
    Mutation second = mutation("{\"delete\": {\"todos\": {\"t1\": 1}},"
        + " \"merge\": {\"x\": \"\u00e9\\u0000\"}}");
    Mutation third = merge("{\"y\": true}");
    // an id with the characters a key may not hold, and the longest one
    String slashed = "phone/1%:\u0001:7";
    String longest = "c".repeat(ChangeLog.MAX_ID_BYTES - 2) + ":9";
    store.writeEach(List.of(commit(1, first, slashed), commit(2, second, null)))
        .get(1)
        .compose(v -> write(commit(5, third, longest)))
        .compose(v -> logAfter(0))
        .compose(log -> check(() -> {
          List<ChangeLog.Entry> entries = log.getKey();
          assertEquals(List.of(1L, 2L, 5L), entries.stream().map(ChangeLog.Entry::version)
              .toList());
          assertEquals(first, entries.get(0).mutation());
          assertEquals(second, entries.get(1).mutation());
          assertEquals(slashed, entries.get(0).id());
          assertNull(entries.get(1).id());
          assertEquals(5_000L, entries.get(2).atMs());
          assertEquals(new ChangeLog.Counters(5, 0), log.getValue());
        }))
        .compose(v -> logAfter(2))
        .compose(log -> check(() -> assertEquals(List.of(5L), log.getKey().stream()
            .map(ChangeLog.Entry::version).toList(), "entries after 2")))
        .compose(v -> read(ChangeLog.idPath(slashed)))
        .compose(version -> check(() -> assertEquals(1, ((Number) version).intValue())))
        .compose(v -> read(ChangeLog.idPath(longest)))
        .compose(version -> check(() -> assertEquals(5, ((Number) version).intValue())))
        .compose(v -> ChangeLog.hasEntry(store, 2))
        .compose(present -> check(() -> assertTrue(present)))
        .compose(v -> ChangeLog.hasEntry(store, 3))
        .compose(present -> check(() -> assertFalse(present)))
        .compose(v -> expectAt(path("todos"), null))
        .compose(v -> expectAt(path("x"), "\u00e9\u0000"))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void trimmingRemovesEntriesAndIdsAndMovesTheMark(VertxTestContext ctx) {
    List<Mutation> commits = new ArrayList<>();
    for (int v = 1; v <= 6; v++) {
      commits.add(commit(v, merge("{\"n\": " + v + "}"), "c:" + v));
    }
    store.writeEach(commits).get(commits.size() - 1)
        .compose(v -> logAfter(0))
        .compose(log -> write(ChangeLog.trim(log.getKey().subList(0, 4), true)))
        .compose(v -> logAfter(0))
        .compose(log -> check(() -> {
          assertEquals(List.of(5L, 6L), log.getKey().stream().map(ChangeLog.Entry::version)
              .toList());
          assertEquals(new ChangeLog.Counters(6, 4), log.getValue());
        }))
        .compose(v -> read(ChangeLog.idPath("c:4")))
        .compose(gone -> check(() -> assertNull(gone, "the id goes with its entry")))
        .compose(v -> read(ChangeLog.idPath("c:5")))
        .compose(kept -> check(() -> assertEquals(5, ((Number) kept).intValue())))
        .compose(v -> ChangeLog.counters(store))
        .compose(counters -> check(() -> assertEquals(new ChangeLog.Counters(6, 4), counters)))
        .compose(v -> expectAt(path("n"), 6))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void aStoreNeverWrittenByANodeHasNoVersionYet(VertxTestContext ctx) {
    ChangeLog.counters(store)
        .compose(counters -> check(() -> assertEquals(new ChangeLog.Counters(0, 0), counters)))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void childrenOrderByUtf8Bytes(VertxTestContext ctx) {
    List<String> expected = utf8Sorted(ORDER_KEYS);
    List<String> shuffled = new ArrayList<>(ORDER_KEYS);
    Collections.shuffle(shuffled, new Random(7));
    List<Mutation> writes = new ArrayList<>();
    for (String key : shuffled) {
      writes.add(Mutation.merge(path("o", key), obj("{\"v\": 1, \"w\": {\"x\": 2}}")));
      writes.add(Mutation.merge(path(key), ORDER_KEYS.indexOf(key)));
    }
    List<String> expectedNested = new ArrayList<>();
    List<String> expectedTop = new ArrayList<>();
    for (String key : expected) {
      expectedNested.add("o/" + key + "/v=1");
      expectedNested.add("o/" + key + "/w/x=2");
      expectedTop.add(key);
    }
    store.write(writes)
        .compose(v -> check(() -> {
          List<String> byKeyOrder = new ArrayList<>(ORDER_KEYS);
          byKeyOrder.sort(Path.KEY_ORDER);
          assertEquals(expected, byKeyOrder, "Path.compareKeys is UTF-8 byte order");
        }))
        .compose(v -> expectRows(ReadRange.subtree(path("o")), expectedNested.toArray(new String[0])))
        .compose(v -> rows(store, ReadRange.subtree(Path.ROOT)))
        .compose(all -> check(() -> {
          List<String> topKeys = new ArrayList<>();
          for (String row : all) {
            String first = row.substring(0, row.indexOf(row.startsWith("o/") ? '/' : '='));
            if (!first.equals("o")) {
              topKeys.add(first);
            }
          }
          List<String> expectedRoot = new ArrayList<>(expectedTop);
          assertEquals(expectedRoot, topKeys, "order of leaves at depth 1");
        }))
        .compose(v -> expectChildren(path("o"), null, null, null, expected))
        .compose(v -> expectChildren(path("o"), "\ue000", null, null,
            expected.subList(expected.indexOf("\ue000"), expected.size())))
        .compose(v -> expectChildren(path("o"), "\ue000", "😀", null,
            List.of("\ue000", "\uf8ff", "\ufffd", "\uffff", "\ud800\udc00", "𝄞")))
        .compose(v -> expectChildren(path("o"), "\u07ff", null, 3, List.of("\u07ff", "\u0800", "中")))
        .compose(v -> expectChildren(path("o"), "a", "a~", null, List.of("a", "a b", "a!", "ab")))
        .compose(v -> expectChildren(path("o"), "\u00ff", "\u0100", null, List.of("ÿ")))
        .compose(v -> expectChildren(path("o"), null, "!", null, List.of(" ")))
        .compose(v -> read(Path.ROOT, "\ud83d\ude00", null, null))
        .compose(value -> check(() -> assertEquals(
            obj("{}").put("😀", ORDER_KEYS.indexOf("😀")).put("\udbff\udfff",
                ORDER_KEYS.indexOf("\udbff\udfff")), value)))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Checks that reading {@code base} with the bounds gives exactly {@code children}, in that order, as
   * whole subtrees equal to what a whole read of {@code base} has for them.
   */
  private Future<Void> expectChildren(Path base, String min, String max, Integer limit,
      List<String> children) {
    return read(base).compose(whole -> read(base, min, max, limit).compose(value -> check(() -> {
      String query = "read of '" + base + "' min=" + min + " max=" + max + " limit=" + limit;
      if (children.isEmpty()) {
        assertNull(value, query);
        return;
      }
      JsonObject actual = assertInstanceOf(JsonObject.class, value, query);
      assertEquals(children, new ArrayList<>(actual.fieldNames()), query);
      for (String child : children) {
        assertEquals(((JsonObject) whole).getValue(child), actual.getValue(child),
            query + ": child '" + child + "' must come whole");
      }
    })));
  }

  // ---------------------------------------------------------------------------------------------
  // min, max and limit

  @Test
  void boundsAtDepth0(VertxTestContext ctx) {
    checkBounds(Path.ROOT, ctx);
  }

  @Test
  void boundsAtDepth1(VertxTestContext ctx) {
    checkBounds(path("users"), ctx);
  }

  @Test
  void boundsAtDepth3(VertxTestContext ctx) {
    checkBounds(path("a", "b", "c"), ctx);
  }

  private void checkBounds(Path base, VertxTestContext ctx) {
    List<Mutation> setup = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      setup.add(Mutation.merge(base.child("c" + i), obj("{\"v\": " + i + ", \"sub\": {\"x\": " + i
          + ", \"y\": [" + i + "]}, \"z\": \"" + i + "\"}")));
    }
    if (!base.isRoot()) {
      // neighbours of the base that no bounded read of it may return
      Path parent = base.parent();
      String last = base.lastKey();
      List<String> neighbours = new ArrayList<>(List.of(last + "!", last + " ", last + "0",
          last + "~", "c1"));
      if (last.length() > 1) {
        neighbours.add(last.substring(0, last.length() - 1));
      }
      for (String neighbour : neighbours) {
        setup.add(Mutation.merge(parent.child(neighbour), obj("{\"c1\": \"not me\", \"c3\": 0}")));
      }
    }
    List<String> all = List.of("c1", "c2", "c3", "c4", "c5");
    store.write(setup)
        .compose(v -> expectChildren(base, null, null, null, all))
        .compose(v -> expectChildren(base, "c2", null, null, all.subList(1, 5)))
        .compose(v -> expectChildren(base, null, "c4", null, all.subList(0, 3)))
        .compose(v -> expectChildren(base, "c2", "c4", null, all.subList(1, 3)))
        .compose(v -> expectChildren(base, null, null, 2, all.subList(0, 2)))
        .compose(v -> expectChildren(base, "c2", null, 2, all.subList(1, 3)))
        .compose(v -> expectChildren(base, "c2", "c4", 5, all.subList(1, 3)))
        .compose(v -> expectChildren(base, null, null, 5, all))
        .compose(v -> expectChildren(base, null, null, 1_000, all))
        .compose(v -> expectChildren(base, null, null, 1, List.of("c1")))
        .compose(v -> expectChildren(base, "c2a", null, null, all.subList(2, 5)))
        .compose(v -> expectChildren(base, null, "c2a", null, all.subList(0, 2)))
        .compose(v -> expectChildren(base, "c5", null, null, List.of("c5")))
        // limit 0, empty and inverted ranges, min beyond all keys, max before all keys
        .compose(v -> expectChildren(base, null, null, 0, List.of()))
        .compose(v -> expectChildren(base, "c2", null, 0, List.of()))
        .compose(v -> expectChildren(base, "c3", "c3", null, List.of()))
        .compose(v -> expectChildren(base, "c4", "c2", null, List.of()))
        .compose(v -> expectChildren(base, "d", null, null, List.of()))
        .compose(v -> expectChildren(base, "c6", null, 3, List.of()))
        .compose(v -> expectChildren(base, null, "c", null, List.of()))
        .compose(v -> expectChildren(base, null, "c1", null, List.of()))
        .compose(v -> expectChildren(base, null, "C9", 2, List.of()))
        // the cursor itself: every leaf of the children in [c2, c4), in order
        .compose(v -> expectRows(new ReadRange(base, "c2", "c4"), leafRows(base, 2, 3)))
        .compose(v -> expectRows(new ReadRange(base, "c5", null), leafRows(base, 5, 5)))
        .compose(v -> expectRows(new ReadRange(base, null, "c2"), leafRows(base, 1, 1)))
        .compose(v -> expectRows(new ReadRange(base, "c6", null)))
        .compose(v -> expectRows(new ReadRange(base, null, "c1")))
        .onComplete(ctx.succeedingThenComplete());
  }

  private static String[] leafRows(Path base, int from, int to) {
    List<String> rows = new ArrayList<>();
    String prefix = base.isRoot() ? "" : base + "/";
    for (int i = from; i <= to; i++) {
      rows.add(prefix + "c" + i + "/sub/x=" + i);
      rows.add(prefix + "c" + i + "/sub/y=[" + i + "]");
      rows.add(prefix + "c" + i + "/v=" + i);
      rows.add(prefix + "c" + i + "/z=\"" + i + "\"");
    }
    return rows.toArray(new String[0]);
  }

  @Test
  void leafAtQueriedPath(VertxTestContext ctx) {
    write(merge("{\"a\": {\"b\": \"leaf\", \"b0\": {\"c\": 1}, \"a\": 2}}"))
        .compose(v -> expectAt(path("a", "b"), "leaf"))
        .compose(v -> read(path("a", "b"), null, null, 3))
        .compose(value -> check(() -> assertEquals("leaf", value, "limit does not bound a leaf")))
        .compose(v -> read(path("a", "b"), "a", null, null))
        .compose(value -> check(() -> assertNull(value, "a leaf has no children from min")))
        .compose(v -> read(path("a", "b"), null, "z", null))
        .compose(value -> check(() -> assertNull(value, "a leaf has no children before max")))
        .compose(v -> expectRows(ReadRange.subtree(path("a", "b")), "a/b=\"leaf\""))
        .compose(v -> expectRows(new ReadRange(path("a", "b"), "", null)))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void leafAtAncestorOfQueriedPathGivesNothing(VertxTestContext ctx) {
    write(merge("{\"a\": \"leaf\", \"a b\": {\"c\": 1}, \"ab\": {\"c\": 2}}"))
        .compose(v -> expectAt(path("a", "b"), null))
        .compose(v -> expectAt(path("a", "b", "c"), null))
        .compose(v -> read(path("a", "b"), "a", null, 5))
        .compose(value -> check(() -> assertNull(value)))
        .compose(v -> expectRows(ReadRange.subtree(path("a", "b"))))
        .compose(v -> expectRows(ReadRange.subtree(path("a", "c"))))
        .onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------
  // Limits: key length and depth

  @Test
  void keysAtTheByteLimit(VertxTestContext ctx) {
    String ascii = "a".repeat(Path.MAX_KEY_BYTES);
    String twoByte = "é".repeat(Path.MAX_KEY_BYTES / 2);
    String threeByte = "中".repeat(Path.MAX_KEY_BYTES / 3);
    String fourByte = "😀".repeat(Path.MAX_KEY_BYTES / 4);
    String mixed = "b".repeat(Path.MAX_KEY_BYTES - 4) + "\uffff" + "c";
    String almost = "a".repeat(Path.MAX_KEY_BYTES - 1);
    List<String> keys = List.of(ascii, twoByte, threeByte, fourByte, mixed, almost);
    for (String key : keys) {
      assertEquals(key.equals(almost) ? 767 : 768, key.getBytes(StandardCharsets.UTF_8).length);
    }
    List<Mutation> writes = new ArrayList<>();
    for (String key : keys) {
      writes.add(Mutation.merge(path("long", key), key.length()));
    }
    writes.add(Mutation.merge(path("long", ascii, threeByte, fourByte), "deep"));
    List<String> expected = new ArrayList<>();
    for (String key : utf8Sorted(keys)) {
      if (key.equals(ascii)) {
        expected.add("long/" + ascii + "/" + threeByte + "/" + fourByte + "=\"deep\"");
      } else {
        expected.add("long/" + key + "=" + key.length());
      }
    }
    store.write(writes)
        .compose(v -> expectRows(ReadRange.subtree(path("long")), expected.toArray(new String[0])))
        .compose(v -> expectAt(path("long", ascii, threeByte), obj("{}").put(fourByte, "deep")))
        .compose(v -> expectAt(path("long", fourByte), fourByte.length()))
        .compose(v -> expectChildren(path("long"), threeByte, null, 2,
            utf8Sorted(keys).subList(utf8Sorted(keys).indexOf(threeByte),
                utf8Sorted(keys).indexOf(threeByte) + 2)))
        .compose(v -> expectChildren(path("long"), almost, ascii, null, List.of(almost)))
        .compose(v -> write(Mutation.delete(path("long", ascii))))
        .compose(v -> expectAt(path("long", ascii), null))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void pathsOfMaximumDepth(VertxTestContext ctx) {
    String[] keys = new String[Path.MAX_DEPTH];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = "d" + i;
    }
    Path deepest = Path.of(keys);
    Path sibling = deepest.parent().child("e");
    Path middle = deepest.prefix(16);
    write(Mutation.merge(deepest, "bottom"), Mutation.merge(sibling, 32))
        .compose(v -> expectAt(deepest, "bottom"))
        .compose(v -> expectAt(deepest.parent(), obj("{\"d31\": \"bottom\", \"e\": 32}")))
        .compose(v -> read(Path.ROOT))
        .compose(root -> check(() -> {
          Object node = root;
          for (int i = 0; i < keys.length - 1; i++) {
            node = ((JsonObject) node).getValue(keys[i]);
          }
          assertEquals(obj("{\"d31\": \"bottom\", \"e\": 32}"), node);
        }))
        .compose(v -> expectRows(ReadRange.subtree(middle), deepest + "=\"bottom\"",
            sibling + "=32"))
        .compose(v -> expectChildren(deepest.parent(), "e", null, 1, List.of("e")))
        // a leaf in the middle of the chain removes the whole deep subtree
        .compose(v -> write(Mutation.merge(middle, false)))
        .compose(v -> expectRows(middle + "=false"))
        .compose(v -> write(Mutation.merge(deepest, "back")))
        .compose(v -> expectRows(deepest + "=\"back\""))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void longestPaths(VertxTestContext ctx) {
    assume(StoreCapability.FULL_LENGTH_PATHS);
    String[] keys = new String[Path.MAX_DEPTH];
    String[] pieces = {"a", "é", "中", "😀"};
    for (int i = 0; i < keys.length; i++) {
      String piece = pieces[i % pieces.length];
      int bytes = piece.getBytes(StandardCharsets.UTF_8).length;
      keys[i] = (i % 10) + piece.repeat((Path.MAX_KEY_BYTES - 1) / bytes)
          + "z".repeat((Path.MAX_KEY_BYTES - 1) % bytes);
      assertEquals(Path.MAX_KEY_BYTES, keys[i].getBytes(StandardCharsets.UTF_8).length);
    }
    Path first = Path.of(keys);
    keys[keys.length - 1] = "z" + keys[keys.length - 1].substring(1);
    Path second = Path.of(keys);
    write(Mutation.merge(second, 2), Mutation.merge(first, 1))
        .compose(v -> expectRows(first + "=1", second + "=2"))
        .compose(v -> expectAt(first, 1))
        .compose(v -> expectChildren(first.parent(), second.lastKey(), null, null,
            List.of(second.lastKey())))
        .compose(v -> write(Mutation.delete(first)))
        .compose(v -> expectRows(second + "=2"))
        .onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------
  // Persistence and isolation

  @Test
  void dataSurvivesCloseAndReopen(VertxTestContext ctx) {
    assume(StoreCapability.PERSISTENT);
    write(merge("{\"p\": {\"a\": 1, \"b\": {\"c\": \"x\"}}, \"q\": [1, 2], \"r\": \"gone\"}"))
        .compose(v -> write(Mutation.delete(path("p", "a")), merge("{\"r\": null}")))
        .compose(v -> store.close())
        .compose(v -> open(table))
        .compose(reopened -> {
          store = reopened;
          return expectRows("p/b/c=\"x\"", "q=[1,2]");
        })
        .compose(v -> write(merge("{\"p\": {\"b\": 5}}")))
        .compose(v -> store.close())
        .compose(v -> open(table))
        .compose(reopened -> {
          store = reopened;
          return expectRoot("{\"p\": {\"b\": 5}, \"q\": [1, 2]}");
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void tablesAreIsolated(VertxTestContext ctx) {
    String otherTable = newTable();
    open(otherTable).compose(other ->
        Future.join(write(merge("{\"a\": 1, \"shared\": {\"x\": 1}}")),
                other.write(List.of(merge("{\"b\": 2, \"shared\": {\"y\": 2}}"))))
            .compose(v -> write(Mutation.delete(path("shared"))))
            .compose(v -> expectRows("a=1"))
            .compose(v -> rows(other, ReadRange.subtree(Path.ROOT)))
            .compose(otherRows -> check(() -> assertEquals(List.of("b=2", "shared/y=2"),
                otherRows)))
            .compose(v -> other.close())
            .compose(v -> expectRows("a=1")))
        .onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------
  // Cursors

  @Test
  void cursorReturnsBatchesOfAtMostMaxRows(VertxTestContext ctx) {
    List<LeafWrite> leaves = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      leaves.add(new LeafWrite(path("c", String.format("k%02d", i)), i));
    }
    List<Integer> sizes = new ArrayList<>();
    write(Mutation.fromFlat(List.of(), leaves), merge("{\"b\": 1, \"d\": 1}"))
        .compose(v -> store.read(ReadRange.subtree(path("c"))))
        .compose(cursor -> cursor.next(10)
            .compose(rows -> {
              sizes.add(rows.size());
              return check(() -> assertEquals(path("c", "k00"), rows.get(0).path()));
            })
            .compose(v -> cursor.next(10)).map(rows -> sizes.add(rows.size()))
            .compose(v -> cursor.next(10)).compose(rows -> {
              sizes.add(rows.size());
              return check(() -> assertEquals(new StoredLeaf(path("c", "k24"), "24"),
                  rows.get(rows.size() - 1)));
            })
            .compose(v -> cursor.next(10)).map(rows -> sizes.add(rows.size()))
            .compose(v -> cursor.next(1)).map(rows -> sizes.add(rows.size()))
            .compose(v -> cursor.close())
            .compose(v -> cursor.close()))
        .compose(v -> check(() -> assertEquals(List.of(10, 10, 5, 0, 0), sizes)))
        // a cursor closed before its end frees its resources too
        .compose(v -> store.read(ReadRange.subtree(Path.ROOT)))
        .compose(cursor -> cursor.next(1).compose(rows -> cursor.close()))
        .compose(v -> expectRows(ReadRange.subtree(path("d")), "d=1"))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void cursorIsASnapshot(VertxTestContext ctx) {
    assume(StoreCapability.SNAPSHOT_CURSORS);
    List<LeafWrite> leaves = new ArrayList<>();
    for (int i = 0; i < 2_500; i++) {
      leaves.add(new LeafWrite(path("snap", String.format("k%04d", i)), "old"));
    }
    AtomicInteger count = new AtomicInteger();
    write(Mutation.fromFlat(List.of(), leaves))
        .compose(v -> store.read(ReadRange.subtree(path("snap"))))
        .compose(cursor -> cursor.next(1_000)
            .compose(rows -> {
              count.addAndGet(rows.size());
              // change the subtree while the cursor is half way: it must not see any of it
              return write(Mutation.delete(path("snap", "k2000")),
                  merge("{\"snap\": {\"k1500\": \"new\", \"k0500\": \"new\", \"k9999\": \"new\"}}"));
            })
            .compose(v -> drain(cursor, rows -> {
              count.addAndGet(rows.size());
              for (StoredLeaf row : rows) {
                assertEquals("\"old\"", row.valueJson(), "row " + row.path());
              }
            }))
            .eventually(cursor::close))
        .compose(v -> check(() -> assertEquals(2_500, count.get())))
        .compose(v -> expectAt(path("snap", "k1500"), "new"))
        .compose(v -> expectAt(path("snap", "k2000"), null))
        .onComplete(ctx.succeedingThenComplete());
  }

  private interface RowCheck {
    void accept(List<StoredLeaf> rows) throws Throwable;
  }

  private static Future<Void> drain(LeafCursor cursor, RowCheck check) {
    return cursor.next(1_000).compose(rows -> {
      if (rows.isEmpty()) {
        return Future.succeededFuture();
      }
      return check(() -> check.accept(rows)).compose(v -> drain(cursor, check));
    });
  }

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.MINUTES)
  void largeSubtreeStreamsInBatches(VertxTestContext ctx) {
    int total = Integer.getInteger(LARGE_LEAVES_PROPERTY, DEFAULT_LARGE_LEAVES);
    int perMutation = 1_000;
    int perWrite = 10;
    Path base = path("big");
    Future<Void> chain = write(merge("{\"bif\": 1, \"big!\": 2, \"big0\": 3, \"bigger\": 4,"
        + " \"bih\": 5, \"bi\": {\"g\": 6}}"));
    int mutations = (total + perMutation - 1) / perMutation;
    for (int first = 0; first < mutations; first += perWrite) {
      int from = first;
      chain = chain.compose(v -> {
        List<Mutation> batch = new ArrayList<>();
        for (int m = from; m < Math.min(from + perWrite, mutations); m++) {
          List<LeafWrite> leaves = new ArrayList<>(perMutation);
          for (int i = 0; i < perMutation && m * perMutation + i < total; i++) {
            leaves.add(new LeafWrite(base.child(String.format("g%05d", m))
                .child(String.format("l%03d", i)), m * perMutation + i));
          }
          batch.add(Mutation.fromFlat(List.of(), leaves));
        }
        return store.write(batch);
      });
    }
    AtomicLong batches = new AtomicLong();
    AtomicLong sum = new AtomicLong();
    Path[] last = {null};
    chain
        .compose(v -> TreeReader.stream(store, ReadRange.subtree(base), 1_000, rows -> {
          batches.incrementAndGet();
          return check(() -> {
            assertTrue(rows.size() <= 1_000, "batch of " + rows.size() + " rows");
            for (StoredLeaf row : rows) {
              assertTrue(last[0] == null || last[0].compareTo(row.path()) < 0,
                  "rows in order: " + last[0] + " then " + row.path());
              last[0] = row.path();
              sum.addAndGet(Long.parseLong(row.valueJson()));
            }
          }).map(true);
        }))
        .compose(count -> check(() -> {
          assertEquals(total, count, "rows in the subtree");
          assertEquals((total + 999) / 1_000, batches.get(), "batches of 1,000");
          assertEquals((long) total * (total - 1) / 2, sum.get(), "sum of the values");
        }))
        .compose(v -> read(path("big", "g00000"), null, null, 2))
        .compose(value -> check(() -> assertEquals(2, ((JsonObject) value).size())))
        .compose(v -> write(Mutation.delete(base)))
        .compose(v -> expectRows("bi/g=6", "bif=1", "big!=2", "big0=3", "bigger=4", "bih=5"))
        .onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------
  // Concurrency

  @Test
  void concurrentWritersEndInOneWritersState(VertxTestContext ctx) {
    int writers = 8;
    int rounds = 10;
    Future<Void> chain = Future.succeededFuture();
    for (int round = 0; round < rounds; round++) {
      int r = round;
      chain = chain.compose(v -> raceRound(r, writers));
    }
    chain.onComplete(ctx.succeedingThenComplete());
  }

  private Future<Void> raceRound(int round, int writers) {
    Path target = path("race", "p");
    List<Object> candidates = new ArrayList<>();
    List<Future<Void>> writes = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      Object value;
      Mutation mutation;
      if (w % 4 == 3) {
        value = "leaf " + round + "/" + w;
        mutation = Mutation.merge(target, value);
      } else {
        JsonObject object = obj("{}").put("writer", w).put("round", round).put("k" + w, w)
            .put("nested", obj("{}").put("w" + w, new JsonArray().add(w).add(round)));
        value = object;
        // a merge of an object over the whole previous state of the same shape: replace it
        mutation = Mutation.replace(target, object);
      }
      candidates.add(value);
      // each writer calls write() from its own worker thread, all at once
      writes.add(vertx.executeBlocking(() -> store.write(List.of(mutation)), false)
          .compose(f -> f));
    }
    return Future.all(writes)
        .compose(v -> read(target))
        .compose(value -> check(() -> assertTrue(candidates.contains(value),
            "round " + round + ": state must be one writer's value, got " + value)))
        .compose(v -> read(target))
        .compose(value -> rows(store, ReadRange.subtree(path("race")))
            .compose(rows -> check(() -> assertEquals(value instanceof JsonObject
                ? Tree.countLeaves((JsonObject) value) : 1, rows.size(),
                "round " + round + ": rows left beside the winner's: " + rows))));
  }

  @Test
  void readersSeeWholeMutations(VertxTestContext ctx) {
    Path target = path("atomic");
    int keys = 20;
    int versions = 40;
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger reads = new AtomicInteger();
    Supplier<Future<Void>> writer = () -> {
      Future<Void> chain = Future.succeededFuture();
      for (int version = 1; version <= versions; version++) {
        JsonObject object = new JsonObject();
        for (int k = 0; k < keys; k++) {
          object.put(String.format("k%02d", k), version);
        }
        // odd versions replace, even ones merge over the same keys: both must be seen whole
        Mutation mutation = version % 2 == 1 ? Mutation.replace(target, object)
            : Mutation.merge(target, object);
        chain = chain.compose(v -> nextTick()).compose(v -> store.write(List.of(mutation)));
      }
      return chain.eventually(() -> {
        writing.set(false);
        return Future.succeededFuture();
      });
    };
    Promise<Void> reader1 = Promise.promise();
    Promise<Void> reader2 = Promise.promise();
    readLoop(target, keys, writing, reads, reader1);
    readLoop(target, keys, writing, reads, reader2);
    Future.all(writer.get(), reader1.future(), reader2.future())
        .compose(v -> check(() -> assertTrue(reads.get() >= 2, "reads done: " + reads.get())))
        .compose(v -> read(target))
        .compose(value -> check(() -> assertEquals(versions, ((JsonObject) value).getValue("k07"))))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Reads until the writer is done; iterates through the event loop, so futures never nest. */
  private void readLoop(Path target, int keys, AtomicBoolean writing, AtomicInteger reads,
      Promise<Void> done) {
    boolean last = !writing.get();
    read(target).compose(value -> check(() -> {
      reads.incrementAndGet();
      if (value == null) {
        return;
      }
      JsonObject object = (JsonObject) value;
      assertEquals(keys, object.size(), "a reader saw part of a mutation: " + object);
      assertEquals(1, new LinkedHashSet<>(object.getMap().values()).size(),
          "a reader saw two versions mixed: " + object);
    })).onComplete(result -> {
      if (result.failed()) {
        done.tryFail(result.cause());
      } else if (last) {
        done.tryComplete();
      } else {
        vertx.runOnContext(v -> readLoop(target, keys, writing, reads, done));
      }
    });
  }

  @Test
  void futuresCompleteOnTheCallersContext(VertxTestContext ctx) {
    Context caller = vertx.getOrCreateContext();
    Promise<Void> done = Promise.promise();
    caller.runOnContext(start -> {
      Executable onCaller = () -> assertTrue(Vertx.currentContext() == caller,
          "callback ran on " + Vertx.currentContext() + " in " + Thread.currentThread().getName()
              + ", not on the caller's context " + caller);
      write(merge("{\"a\": {\"b\": 1}}"))
          .compose(v -> check(onCaller))
          .compose(v -> store.read(ReadRange.subtree(path("a"))))
          .compose(cursor -> check(onCaller)
              .compose(v -> cursor.next(10))
              .compose(rows -> check(onCaller))
              .compose(v -> cursor.next(10))
              .compose(rows -> check(onCaller))
              .compose(v -> cursor.close()))
          .compose(v -> check(onCaller))
          .compose(v -> TreeReader.read(store, path("a"), QueryOptions.WHOLE))
          .compose(value -> check(onCaller))
          .compose(v -> store.close())
          .compose(v -> check(onCaller))
          .onComplete(done);
    });
    done.future().onComplete(ctx.succeedingThenComplete());
  }

  // ---------------------------------------------------------------------------------------------
  // Close

  @Test
  void callsAfterCloseFailWithStoreUnavailable(VertxTestContext ctx) {
    write(merge("{\"a\": 1}"))
        .compose(v -> store.close())
        .compose(v -> expectFailure(write(merge("{\"b\": 1}")), ErrorCode.STORE_UNAVAILABLE))
        .compose(v -> expectFailure(store.write(List.of(Mutation.delete(path("a")))),
            ErrorCode.STORE_UNAVAILABLE))
        .compose(v -> expectFailure(store.read(ReadRange.subtree(Path.ROOT)),
            ErrorCode.STORE_UNAVAILABLE))
        .compose(v -> expectFailure(TreeReader.read(store, Path.ROOT, QueryOptions.WHOLE),
            ErrorCode.STORE_UNAVAILABLE))
        .compose(v -> store.close())
        .compose(v -> check(() -> assertTrue(store.describe() != null)))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void openCursorFailsOnceTheStoreIsClosed(VertxTestContext ctx) {
    List<LeafWrite> leaves = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      leaves.add(new LeafWrite(path("c", String.format("k%02d", i)), i));
    }
    Promise<LeafCursor> cursorHolder = Promise.promise();
    write(Mutation.fromFlat(List.of(), leaves))
        .compose(v -> store.read(ReadRange.subtree(path("c"))))
        .compose(cursor -> {
          cursorHolder.complete(cursor);
          return cursor.next(10);
        })
        .compose(rows -> store.close())
        .compose(v -> cursorHolder.future())
        .compose(cursor -> expectFailure(cursor.next(10), ErrorCode.STORE_UNAVAILABLE)
            .compose(v -> cursor.close()))
        .onComplete(ctx.succeedingThenComplete());
  }
}
