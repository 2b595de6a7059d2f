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
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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

  /** True: every store opened on a table of the test database shares its rows. */
  @Override
  protected boolean sharesTables() {
    return true;
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
  // Fences: the fence's row locked by another transaction

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
}
