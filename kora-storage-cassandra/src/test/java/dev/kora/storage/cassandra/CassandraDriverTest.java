package dev.kora.storage.cassandra;

import static dev.kora.storage.StoreTestBase.check;
import static dev.kora.storage.StoreTestBase.merge;
import static dev.kora.storage.StoreTestBase.utf8Sorted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import dev.kora.storage.ReadRange;
import dev.kora.storage.Store;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.StoreTestBase;
import dev.kora.storage.Stores;
import dev.kora.storage.TreeReader;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Cassandra store's own tests: the layout in the tables (read back with plain CQL), byte order
 * of text in Cassandra, the list of partitions, partition depth 2, the URL, contexts and failures.
 * Encoded paths are shown with {@code /} for the separator U+0001.
 */
@ExtendWith(VertxExtension.class)
class CassandraDriverTest {

  /** Keys of every UTF-8 length whose UTF-16 order differs from their UTF-8 byte order. */
  static final List<String> ORDER_KEYS = List.of(" ", "!", "A", "a", "a b", "a!", "ab", "~",
      "\u0080", "é", "ÿ", "Ā", "\u07ff", "\u0800", "中", "\ud7ff", "\ue000", "\ue001", "\uf8ff",
      "\ufb01", "\ufffd", "\uffff", "\ud800\udc00", "𝄞", "😀", "\udbff\udfff");

  private static final AtomicInteger COUNTER = new AtomicInteger();

  private Vertx vertx;
  private final List<Store> stores = new ArrayList<>();
  private final List<String> tables = new ArrayList<>();

  @BeforeAll
  static void cassandraAnswers() {
    CassandraTestServer.session();
  }

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Store store : stores) {
      store.close().otherwiseEmpty().toCompletionStage().toCompletableFuture()
          .get(1, TimeUnit.MINUTES);
    }
    for (String table : tables) {
      CassandraTestServer.drop(table);
    }
  }

  private static String newTable() {
    return "kd_" + COUNTER.incrementAndGet() + "_"
        + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
  }

  /** Opens a store on a fresh table with extra URL options, closed and dropped after the test. */
  private Future<CassandraStore> open(String options) {
    String table = newTable();
    tables.add(table);
    return open(table, options);
  }

  private Future<CassandraStore> open(String table, String options) {
    return Stores.open(vertx, new StoreOptions().setUrl(CassandraTestServer.url(table, options)))
        .map(store -> {
          stores.add(store);
          return (CassandraStore) store;
        });
  }

  private static String show(String encoded) {
    return encoded.replace('\u0001', '/');
  }

  /** @return the rows of a CQL query, each as its columns joined by {@code |}, paths shown */
  private Future<List<String>> cql(String query, Object... values) {
    List<String> result = new ArrayList<>();
    CompletionStage<AsyncResultSet> first = CassandraTestServer.session().executeAsync(
        SimpleStatement.newInstance(query, values).setTimeout(Duration.ofSeconds(60)));
    return Future.fromCompletionStage(first, vertx.getOrCreateContext())
        .compose(page -> drain(page, result)).map(v -> result);
  }

  private Future<Void> drain(AsyncResultSet page, List<String> into) {
    for (Row row : page.currentPage()) {
      List<String> columns = new ArrayList<>();
      for (int i = 0; i < row.getColumnDefinitions().size(); i++) {
        Object value = row.getObject(i);
        columns.add(value instanceof String ? show((String) value) : String.valueOf(value));
      }
      into.add(String.join("|", columns));
    }
    if (!page.hasMorePages()) {
      return Future.succeededFuture();
    }
    return Future.fromCompletionStage(page.fetchNextPage(), vertx.getOrCreateContext())
        .compose(next -> drain(next, into));
  }

  private Future<List<String>> partitionRows(CassandraStore store, String part) {
    return cql("SELECT path, leaf FROM kora_test.\"" + store.table() + "\" WHERE part = ?", part);
  }

  private Future<List<String>> listed(CassandraStore store) {
    return cql("SELECT part FROM kora_test.\"" + store.table() + "_partitions\" WHERE bucket = 0");
  }

  /** @return the rows of the range, taken from the cursor 7 at a time */
  private static Future<List<String>> rows(Store store, ReadRange range) {
    return StoreTestBase.rows(store, range, 7);
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void rowsOfOneTopLevelKeyShareOnePartition(VertxTestContext ctx) {
    open("").compose(store -> store.write(List.of(merge("{\"todos\": {\"t1\": {\"title\": \"milk\","
            + " \"done\": false}, \"t2\": \"x\"}, \"motd\": \"hi\"}")))
        .compose(v -> partitionRows(store, "todos\u0001"))
        .compose(rows -> check(() -> assertEquals(List.of("t1/done/|false",
            "t1/title/|\"milk\"", "t2/|\"x\""), rows)))
        .compose(v -> partitionRows(store, "motd\u0001"))
        .compose(rows -> check(() -> assertEquals(List.of("|\"hi\""), rows, "a leaf at the"
            + " partition's own path has the empty clustering key")))
        .compose(v -> cql("SELECT count(*) FROM kora_test.\"" + store.table() + "\""))
        .compose(count -> check(() -> assertEquals(List.of("4"), count)))
        .compose(v -> listed(store))
        .compose(parts -> check(() -> assertEquals(List.of("motd/", "todos/"), parts)))
        // emptied by deletes below the depth: stays listed, reads skip it
        .compose(v -> store.write(List.of(Mutation.delete(Path.of("todos", "t1")),
            Mutation.delete(Path.of("todos", "t2")))))
        .compose(v -> listed(store))
        .compose(parts -> check(() -> assertEquals(List.of("motd/", "todos/"), parts)))
        .compose(v -> rows(store, ReadRange.subtree(Path.ROOT)))
        .compose(rows -> check(() -> assertEquals(List.of("motd=\"hi\""), rows)))
        // deleted whole: unlisted
        .compose(v -> store.write(List.of(Mutation.delete(Path.of("todos")))))
        .compose(v -> listed(store))
        .compose(parts -> check(() -> assertEquals(List.of("motd/"), parts)))
        // a replaced partition is deleted whole and listed again by the same write
        .compose(v -> store.write(List.of(Mutation.replace(Path.of("motd"),
            new JsonObject().put("a", 1)))))
        .compose(v -> listed(store))
        .compose(parts -> check(() -> assertEquals(List.of("motd/"), parts)))
        .compose(v -> partitionRows(store, "motd\u0001"))
        .compose(rows -> check(() -> assertEquals(List.of("a/|1"), rows))))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void cassandraOrdersTextByUtf8Bytes(VertxTestContext ctx) {
    List<String> expected = utf8Sorted(ORDER_KEYS);
    List<String> utf16 = new ArrayList<>(ORDER_KEYS);
    Collections.sort(utf16);
    assertNotEquals(expected, utf16, "the keys must tell UTF-8 from UTF-16 order");
    List<String> shuffled = new ArrayList<>(ORDER_KEYS);
    Collections.shuffle(shuffled, new Random(11));
    List<Mutation> writes = new ArrayList<>();
    for (String key : shuffled) {
      writes.add(Mutation.merge(Path.of("o", key), 1));
      writes.add(Mutation.merge(Path.of(key, "x"), 2));
    }
    List<String> clustering = new ArrayList<>();
    for (String key : expected) {
      clustering.add(key + "/|1");
    }
    List<String> topKeys = new ArrayList<>(ORDER_KEYS);
    topKeys.add("o");
    List<String> partitions = new ArrayList<>();
    List<String> rootExpected = new ArrayList<>();
    for (String top : utf8Sorted(topKeys)) {
      partitions.add(top + "/");
      if (top.equals("o")) {
        expected.forEach(key -> rootExpected.add("o/" + key + "=1"));
      } else {
        rootExpected.add(top + "/x=2");
      }
    }
    open("").compose(store -> store.write(writes)
        .compose(v -> partitionRows(store, "o\u0001"))
        .compose(rows -> check(() -> assertEquals(clustering, rows,
            "clustering keys (text) in UTF-8 byte order")))
        .compose(v -> listed(store))
        .compose(parts -> check(() -> assertEquals(partitions, parts,
            "listed partitions (text clustering keys) in UTF-8 byte order")))
        .compose(v -> rows(store, ReadRange.subtree(Path.ROOT)))
        .compose(rows -> check(() -> assertEquals(rootExpected, rows, "root read")))
        .compose(v -> rows(store, new ReadRange(Path.ROOT, "\ue000", "😀")))
        .compose(rows -> check(() -> assertEquals(List.of("\ue000/x=2", "\ue001/x=2",
            "\uf8ff/x=2", "\ufb01/x=2", "\ufffd/x=2", "\uffff/x=2", "\ud800\udc00/x=2",
            "𝄞/x=2"), rows)))
        .compose(v -> rows(store, new ReadRange(Path.of("o"), "\u07ff", "\ue001")))
        .compose(rows -> check(() -> assertEquals(List.of("o/\u07ff=1", "o/\u0800=1", "o/中=1",
            "o/\ud7ff=1", "o/\ue000=1"), rows))))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void partitionDepthTwo(VertxTestContext ctx) {
    open("&partitionDepth=2").compose(store -> store.write(List.of(merge("{\"users\": {\"ann\":"
            + " {\"name\": \"Ann\", \"age\": 3}, \"bob\": {\"name\": \"Bob\"}},"
            + " \"motd\": \"hi\"}")))
        .compose(v -> partitionRows(store, "users\u0001ann\u0001"))
        .compose(rows -> check(() -> assertEquals(List.of("age/|3", "name/|\"Ann\""), rows)))
        .compose(v -> partitionRows(store, "motd\u0001"))
        .compose(rows -> check(() -> assertEquals(List.of("|\"hi\""), rows, "a leaf shallower"
            + " than the depth is alone in a partition named by its whole path")))
        .compose(v -> listed(store))
        .compose(parts -> check(() -> assertEquals(List.of("motd/", "users/ann/", "users/bob/"),
            parts)))
        // reads shallower than the depth walk the listed partitions
        .compose(v -> rows(store, new ReadRange(Path.of("users"), "b", null)))
        .compose(rows -> check(() -> assertEquals(List.of("users/bob/name=\"Bob\""), rows)))
        .compose(v -> TreeReader.read(store, Path.ROOT, new QueryOptions(null, null, 1, false)))
        .compose(value -> check(() -> assertEquals(new JsonObject().put("motd", "hi"), value)))
        .compose(v -> rows(store, new ReadRange(Path.of("users", "ann"), "b", null)))
        .compose(rows -> check(() -> assertEquals(List.of("users/ann/name=\"Ann\""), rows)))
        // a leaf above the depth deletes the partitions under it
        .compose(v -> store.write(List.of(Mutation.merge(Path.of("users"), "none"))))
        .compose(v -> listed(store))
        .compose(parts -> check(() -> assertEquals(List.of("motd/", "users/"), parts)))
        .compose(v -> rows(store, ReadRange.subtree(Path.ROOT)))
        .compose(rows -> check(() -> assertEquals(List.of("motd=\"hi\"", "users=\"none\""), rows)))
        // writing under it deletes that shallow leaf's partition
        .compose(v -> store.write(List.of(merge("{\"users\": {\"cat\": {\"name\": \"Cat\"}}}"),
            merge("{\"users\": {\"dan\": \"x\"}}"))))
        .compose(v -> listed(store))
        .compose(parts -> check(() -> assertEquals(List.of("motd/", "users/cat/", "users/dan/"),
            parts)))
        .compose(v -> partitionRows(store, "users\u0001dan\u0001"))
        .compose(rows -> check(() -> assertEquals(List.of("|\"x\""), rows)))
        // a delete above the depth in the same write as the partitions it removes
        .compose(v -> store.write(List.of(merge("{\"users\": {\"eve\": {\"a\": 1}}}"),
            Mutation.delete(Path.of("users")), merge("{\"users\": {\"fay\": {\"a\": 2}}}"))))
        .compose(v -> listed(store))
        .compose(parts -> check(() -> assertEquals(List.of("motd/", "users/fay/"), parts)))
        .compose(v -> rows(store, ReadRange.subtree(Path.ROOT)))
        .compose(rows -> check(() -> assertEquals(List.of("motd=\"hi\"", "users/fay/a=2"),
            rows))))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void writesInsideOnePartitionStayInIt(VertxTestContext ctx) {
    open("&partitionDepth=2").compose(store -> check(() -> {
      Mutation write = Mutation.merge(Path.of("users", "ann", "name"), "Ann");
      CassandraWritePlan plan = new CassandraWritePlan(new CassandraLayout(2), null);
      plan.prepare(List.of(write));
      assertEquals(List.of("users\u0001"), List.copyOf(plan.shallowAncestors));
      assertTrue(plan.spanning.isEmpty());
      long[] clock = {0};
      plan.build(List.of(write), Map.of(), Set.of(), () -> ++clock[0]);
      // subtree range delete, the leaf at users/ann, the insert: all in users/ann
      assertEquals(3, plan.data.size());
      for (CassandraRedo.Op op : plan.data) {
        assertEquals("users\u0001ann\u0001", op.part());
      }
      assertEquals(Set.of("users\u0001ann\u0001"), plan.listed);
      assertTrue(plan.unlisted.isEmpty());
      assertTrue(plan.listTimestamp > 3, "listed after every data timestamp");

      // with a leaf listed at users, the write deletes its partition and unlists it
      CassandraWritePlan replacing = new CassandraWritePlan(new CassandraLayout(2), null);
      replacing.prepare(List.of(write));
      replacing.build(List.of(write), Map.of(), Set.of("users\u0001"), () -> ++clock[0]);
      assertEquals(4, replacing.data.size());
      assertEquals(Set.of("users\u0001"), replacing.unlisted.keySet());
    })).onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void partitionDepthIsFixedWhenTheTableIsCreated(VertxTestContext ctx) {
    String table = newTable();
    tables.add(table);
    open(table, "").compose(store -> store.close())
        .compose(v -> open(table, "&partitionDepth=2").transform(result -> check(() -> {
          KoraException error = assertInstanceOf(KoraException.class, result.cause());
          assertEquals(ErrorCode.INVALID_MESSAGE, error.code());
          assertTrue(error.getMessage().contains("partitionDepth=1"), error.getMessage());
        })))
        .compose(v -> open(table, "&partitionDepth=1"))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void futuresCompleteOnTheCallersContext(VertxTestContext ctx) {
    Context context = vertx.getOrCreateContext();
    Promise<Void> done = Promise.promise();
    open("").onComplete(ctx.succeeding(store -> context.runOnContext(v ->
        store.write(List.of(merge("{\"a\": {\"b\": 1}}")))
            .compose(x -> check(() -> assertSame(context, Vertx.currentContext(), "write")))
            .compose(x -> store.read(ReadRange.subtree(Path.ROOT)))
            .compose(cursor -> check(() -> assertSame(context, Vertx.currentContext(), "read"))
                .compose(x -> cursor.next(10))
                .compose(rows -> check(() -> {
                  assertSame(context, Vertx.currentContext(), "next");
                  assertEquals(1, rows.size());
                }))
                .compose(x -> cursor.close()))
            .onComplete(done))));
    done.future().onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void refusedWriteLeavesNothing(VertxTestContext ctx) {
    open("").compose(store -> store.write(List.of(merge("{\"keep\": 1}")))
        .compose(v -> {
          store.failWritesAt(Path.of("boom", "x"));
          return store.write(List.of(merge("{\"a\": {\"b\": 1}, \"keep\": 2}"),
              merge("{\"boom\": {\"x\": true}}"), merge("{\"z\": 1}")));
        })
        .transform(result -> check(() -> {
          KoraException error = assertInstanceOf(KoraException.class, result.cause());
          assertEquals(ErrorCode.STORE_UNAVAILABLE, error.code());
          // the server's own refusal, while executing the batch
          assertTrue(error.getMessage().contains("InvalidQueryException: Key length of"),
              error.getMessage());
        }))
        .compose(v -> rows(store, ReadRange.subtree(Path.ROOT)))
        .compose(rows -> check(() -> assertEquals(List.of("keep=1"), rows))))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * A write inside one partition is not bound by {@code batch_size_fail_threshold}, one that spans
   * partitions is: {@code too_large} when over it (a server whose threshold is 1 MiB or more gets a
   * write under it, which must pass).
   */
  @Test
  void batchesSpanningPartitionsAreBoundByTheServersThreshold(VertxTestContext ctx) {
    open("").compose(store -> vertx.executeBlocking(CassandraTestServer::batchSizeFailThresholdKib)
        .compose(kib -> {
          boolean over = kib < 1_024;
          String big = "x".repeat((int) (Math.min(kib, 1_024) * 1_024 + 4_096));
          return store.write(List.of(Mutation.merge(Path.of("one", "a"), big)))
              .compose(v -> store.write(List.of(Mutation.merge(Path.of("two"), "small"),
                  Mutation.merge(Path.of("three"), big))))
              .transform(result -> check(() -> {
                if (!over) {
                  assertTrue(result.succeeded(), "threshold " + kib + " KiB: " + result.cause());
                  return;
                }
                KoraException error = assertInstanceOf(KoraException.class, result.cause(),
                    "threshold " + kib + " KiB");
                assertEquals(ErrorCode.TOO_LARGE, error.code(), error.getMessage());
              }))
              .compose(v -> rows(store, ReadRange.subtree(Path.ROOT)))
              .compose(rows -> check(() -> assertEquals(over ? 1 : 3, rows.size())));
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void unreachableCassandraIsStoreUnavailable(VertxTestContext ctx) {
    Stores.open(vertx, new StoreOptions().setUrl("cassandra://127.0.0.1:1/kora_test")
            .setOperationTimeoutMs(3_000))
        .transform(result -> check(() -> {
          KoraException error = assertInstanceOf(KoraException.class, result.cause());
          assertEquals(ErrorCode.STORE_UNAVAILABLE, error.code(), error.getMessage());
        }))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void urls() {
    CassandraUrl url = CassandraUrl.parse(new StoreOptions().setUrl("cassandra://k%40ra:s3cr%2Ft"
        + "@db1:9043,db2,[::1]:9044/app?table=tree&partitionDepth=2&localDatacenter=dc2"
        + "&replication=3&consistency=quorum"));
    assertEquals("k@ra", url.user());
    assertEquals("s3cr/t", url.password());
    assertEquals(List.of("db1:9043", "db2:9042", "::1:9044"), url.contactPoints().stream()
        .map(point -> point.getHostString() + ":" + point.getPort()).toList());
    assertEquals("app", url.keyspace());
    assertEquals("tree", url.table());
    assertEquals(2, url.partitionDepth());
    assertEquals("dc2", url.localDatacenter());
    assertEquals(3, url.replication());
    assertEquals("QUORUM", url.consistency().name());
    assertFalse(url.describe().contains("s3cr"), url.describe());
    assertFalse(url.toString().contains("s3cr"), url.toString());
    assertEquals("cassandra://k@ra:***@db1:9043,db2:9042,::1:9044/app?table=tree&partitionDepth=2"
        + "&localDatacenter=dc2&consistency=QUORUM", url.describe());

    CassandraUrl defaults = CassandraUrl.parse(new StoreOptions().setTable("kt")
        .setUrl("cassandra://localhost/ks"));
    assertEquals("kt", defaults.table());
    assertEquals(1, defaults.partitionDepth());
    assertEquals("datacenter1", defaults.localDatacenter());
    assertEquals(1, defaults.replication());
    assertEquals("LOCAL_QUORUM", defaults.consistency().name());
    assertEquals(9042, defaults.contactPoints().get(0).getPort());
    assertTrue(new CassandraStoreProvider().accepts(new StoreOptions().setUrl("cassandra://h/k")));
    assertFalse(new CassandraStoreProvider().accepts(new StoreOptions().setUrl("sqlite:/x.db")));

    for (String bad : List.of("cassandra://host", "cassandra://host/", "cassandra:///ks",
        "cassandra://host/1ks", "cassandra://host/ks?partitionDepth=0",
        "cassandra://host/ks?partitionDepth=33", "cassandra://host/ks?replication=x",
        "cassandra://host:99999/ks", "cassandra://host/ks?consistency=most",
        "cassandra://host/ks?colour=red", "cassandra://host/ks?table=a-b",
        "cassandra://u:secret@host/ks?table=" + "t".repeat(38))) {
      KoraException error = assertThrows(KoraException.class,
          () -> CassandraUrl.parse(new StoreOptions().setUrl(bad)), bad);
      assertEquals(ErrorCode.INVALID_MESSAGE, error.code());
      assertFalse(error.getMessage().contains("secret"), error.getMessage());
    }
  }
}
