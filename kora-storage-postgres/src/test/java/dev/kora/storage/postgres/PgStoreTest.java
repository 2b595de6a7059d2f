package dev.kora.storage.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kora.storage.ServerStoreTestBase;
import dev.kora.storage.Store;
import dev.kora.storage.StoreCapability;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.Stores;
import dev.kora.storage.spi.PathEncoding;
import dev.kora.storage.spi.ServerUrl;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxTestContext;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs the conformance suite on the PostgreSQL store against a real server — by default on
 * 127.0.0.1:5432 (user postgres, database {@code kora_test}, as
 * {@code scripts/services/postgres.sh ensure} sets up), or the server of the environment variable
 * {@value #URL_VARIABLE} — each test on fresh tables that are dropped after it. An unreachable server
 * fails the tests; none is skipped. Plus the driver's own tests.
 *
 * <p>Opt-out: {@link StoreCapability#FULL_LENGTH_PATHS} — a btree index entry holds at most 2,704
 * bytes, so the store refuses stored paths longer than {@value PgStore#MAX_PATH_BYTES} bytes
 * ({@code too_large}) instead of the 24,608 bytes of the longest path the tree allows.
 *
 * <p>Failure injection is real: {@link #failWritesAt} creates a {@code BEFORE INSERT} trigger on the
 * tree's table whose PL/pgSQL function raises an exception when the marker path is written, so the
 * server fails the statement in the middle of the store's transaction.
 */
class PgStoreTest extends ServerStoreTestBase {

  /** Environment variable with the URL of the server to test against. */
  static final String URL_VARIABLE = "KORA_PG_URL";
  /** The URL used when the variable is not set. */
  static final String DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kora_test";

  static String testUrl() {
    return urlFromEnvironment(URL_VARIABLE, DEFAULT_URL);
  }

  @BeforeAll
  static void serverIsReachable() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      sql(vertx, "SELECT 1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      fail("PostgreSQL is not reachable at " + Stores.redact(testUrl()) + " (" + e.getMessage()
          + "): start it with scripts/services/postgres.sh ensure, or set " + URL_VARIABLE
          + " to a server's URL");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Runs SQL (one or more statements) on a connection of its own to the test database, connected as
   * the store's.
   */
  static Future<RowSet<Row>> sql(Vertx vertx, String sql) {
    PgConnectOptions connect = PgStore.connectOptions(PgStore.parse(new StoreOptions()
        .setUrl(testUrl())));
    Pool pool = PgBuilder.pool().connectingTo(connect).using(vertx).build();
    return pool.query(sql).execute().eventually(pool::close);
  }

  private Future<String> query(String sql) {
    return sql(vertx, sql).map(rows -> rows.iterator().hasNext()
        ? String.valueOf(rows.iterator().next().getValue(0)) : null);
  }

  @Override
  protected String url() {
    return testUrl();
  }

  @Override
  protected int maxPathBytes() {
    return PgStore.MAX_PATH_BYTES;
  }

  @Override
  protected Future<Void> dropStore(String table) {
    return sql(vertx, "DROP TABLE IF EXISTS \"" + table + "\"; DROP FUNCTION IF EXISTS \"fail_"
        + table + "\"()").mapEmpty();
  }

  @Override
  protected Set<StoreCapability> capabilities() {
    return EnumSet.complementOf(EnumSet.of(StoreCapability.FULL_LENGTH_PATHS));
  }

  @Override
  protected Future<Void> failWritesAt(Store store, String table, Path marker) {
    StringBuilder literal = new StringBuilder("''");
    for (String key : marker.keys()) {
      literal.append(" || '").append(key.replace("'", "''")).append("' || chr(1)");
    }
    return sql(vertx, "CREATE FUNCTION \"fail_" + table + "\"() RETURNS trigger LANGUAGE plpgsql AS"
        + " $$ BEGIN IF NEW.path = " + literal + " THEN RAISE EXCEPTION 'injected failure at "
        + marker + "'; END IF; RETURN NEW; END $$; CREATE TRIGGER \"fail_" + table + "\" BEFORE"
        + " INSERT ON \"" + table + "\" FOR EACH ROW EXECUTE FUNCTION \"fail_" + table + "\"()")
        .mapEmpty();
  }

  /** The lock is held by a transaction on a pool of one connection, closed by the commit. */
  @Override
  protected Future<RowLock> lockRow(String table, Path path) {
    Pool pool = PgBuilder.pool().connectingTo(PgStore.connectOptions(PgStore.parse(
        new StoreOptions().setUrl(testUrl())))).using(vertx).build();
    String row = PathEncoding.encode(path);
    return pool.getConnection().compose(connection -> connection.begin().compose(transaction ->
        connection.preparedQuery("SELECT value FROM \"" + table + "\" WHERE path = $1 FOR UPDATE")
            .execute(Tuple.of(row))
            .map(locked -> (RowLock) value -> connection.preparedQuery("UPDATE \"" + table
                    + "\" SET value = $1 WHERE path = $2").execute(Tuple.of(value, row))
                .compose(updated -> transaction.commit())
                .eventually(pool::close))))
        .onFailure(error -> pool.close());
  }

  // ---------------------------------------------------------------------------------------------
  // Driver-only tests

  @Test
  void postgresqlSchemeAndDefaultPort(VertxTestContext ctx) {
    ServerUrl parsed = PgStore.parse(new StoreOptions().setUrl("postgresql://kora@db/app"));
    assertEquals(5432, parsed.port());
    assertEquals("postgresql://kora@db:5432/app?table=kora&poolSize=4&timeoutMs=10000",
        parsed.describe());
    assertTrue(new PgStoreProvider().accepts(new StoreOptions().setUrl("Postgres://h/db")));
    assertFalse(new PgStoreProvider().accepts(new StoreOptions().setUrl("postgres:/h/db")));
    expectFailure(Stores.open(vertx, new StoreOptions().setUrl("postgres://h/db?sslMode=x")),
        ErrorCode.INVALID_MESSAGE).onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void rowsAreMaterializedPathsInCollationC(VertxTestContext ctx) {
    write(merge("{\"todos\": {\"t1\": {\"title\": \"milk\", \"größe\": 2}}}"))
        .compose(v -> query("SELECT string_agg(replace(path, chr(1), '|') || '=' || value, ' '"
            + " ORDER BY path) FROM \"" + table + "\""))
        .compose(all -> check(() -> assertEquals(
            "todos|t1|größe|=2 todos|t1|title|=\"milk\"", all)))
        .compose(v -> query("SELECT c.collname FROM pg_attribute a JOIN pg_collation c"
            + " ON c.oid = a.attcollation WHERE a.attrelid = '\"" + table + "\"'::regclass"
            + " AND a.attname = 'path'"))
        .compose(collation -> check(() -> assertEquals("C", collation)))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void tableOfAnotherShapeIsRefused(VertxTestContext ctx) {
    String foreign = newTable();
    sql(vertx, "CREATE TABLE \"" + foreign + "\" (path text PRIMARY KEY, value jsonb NOT NULL)")
        // open() registers the table, so it is dropped after the test
        .compose(v -> expectFailure(open(foreign), ErrorCode.STORE_UNAVAILABLE))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void statementsOverTheTimeoutFailWithStoreUnavailable(VertxTestContext ctx) {
    // another session holds the table's write lock: the write waits, then the server's
    // statement_timeout cancels it
    Store[] slow = new Store[1];
    Stores.open(vertx, new StoreOptions().setUrl(withOption(url(), "timeoutMs", "500"))
            .setTable(table))
        .compose(opened -> {
          slow[0] = opened;
          Future<RowSet<Row>> locker = sql(vertx, "BEGIN; LOCK TABLE \"" + table + "\";"
              + " SELECT pg_sleep(2); COMMIT");
          Future<Void> late = vertx.timer(300)
              .compose(v -> opened.write(java.util.List.of(merge("{\"late\": 1}"))));
          return expectFailure(late, ErrorCode.STORE_UNAVAILABLE)
              .compose(v -> check(() -> assertTrue(late.cause().getMessage()
                  .contains("statement timeout"), late.cause().getMessage())))
              .compose(v -> locker.mapEmpty());
        })
        .compose(v -> slow[0].write(java.util.List.of(merge("{\"later\": 2}"))))
        .compose(v -> expectRows("later=2"))
        .eventually(() -> slow[0] == null ? Future.succeededFuture() : slow[0].close())
        .onComplete(ctx.succeedingThenComplete());
  }
}
