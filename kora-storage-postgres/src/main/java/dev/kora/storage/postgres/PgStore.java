package dev.kora.storage.postgres;

import dev.kora.storage.LeafCursor;
import dev.kora.storage.ReadRange;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.spi.GroupCommit;
import dev.kora.storage.spi.ServerUrl;
import dev.kora.storage.spi.StoreBase;
import dev.kora.storage.spi.StoreFutures;
import dev.kora.storage.spi.WritePlan;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The tree in one PostgreSQL table, one row per leaf: {@code (path text COLLATE "C" PRIMARY KEY,
 * value text NOT NULL)}, paths encoded by {@link dev.kora.storage.spi.PathEncoding} so that byte order
 * (the "C" collation of a UTF8 database) is the tree's order and a subtree is one key range, values as
 * JSON text kept exactly. Reactive, through vertx-pg-client: no JDBC, no worker threads. Open it with
 * {@link dev.kora.storage.Stores#open} and a URL such as
 * {@code postgres://kora:secret@db:5432/app?table=todo} (or {@code postgresql://...}), or with
 * {@link #open}. The table is created on first use.
 *
 * <p>URL options, which take precedence over {@link StoreOptions}: {@code table} (default
 * {@link StoreOptions#getTable()}), {@code poolSize} (connections for reads; writes use one more) and
 * {@code timeoutMs} (the operation timeout: connecting, waiting for a pooled connection, each
 * statement through the server's {@code statement_timeout}, each cursor batch). User and password are
 * percent-decoded; the password is never logged nor put in a message.
 *
 * <p>Threading: every method may be called from any thread, event loops included, and never blocks.
 * Futures complete on the caller's context.
 *
 * <p>Guarantees: concurrent {@link #write} calls, and the mutations of {@link #writeEach}, are
 * committed in groups ({@link StoreBase}'s {@link GroupCommit}), one transaction per group, each call atomic (all of its mutations or none; a call that fails on its own
 * fails alone, the others are committed again without it) and durable when its future succeeds (with
 * the server's default {@code synchronous_commit=on}). Statements are pipelined and batched (see
 * {@link PgWriter}). Writers of several nodes on one table are serialized by a transaction-level
 * advisory lock. Each cursor reads one snapshot ({@code REPEATABLE READ}, see {@link PgCursor}).
 * Fences ({@link #fence}) are supported: each write transaction reads the fence's row
 * {@code FOR UPDATE} after the advisory lock and fails its whole group with {@code fenced}, rolled
 * back, when the row does not hold the fence's value.
 *
 * <p>Limits: a btree index entry holds at most 2,704 bytes, so the store keeps stored paths of at
 * most {@value #MAX_PATH_BYTES} UTF-8 bytes (keys plus one separator byte each) and refuses a longer
 * leaf with {@code too_large} before anything is written.
 *
 * <p>Errors: an unreachable server, a shutdown, a timeout or a closed store fail with
 * {@link KoraException} code {@code store_unavailable}; errors of the statements themselves (a
 * constraint, a trigger) with {@code internal}. A failed write has written nothing. A bad URL fails
 * {@link #open} with {@code invalid_message}.
 */
public final class PgStore extends StoreBase<List<WritePlan>> {

  /**
   * The longest stored path in UTF-8 bytes: PostgreSQL's btree entry limit (2,704 bytes with 8 kB
   * pages) less the entry's header (8 bytes) and the text's length word (4 bytes), for paths that do
   * not compress.
   */
  public static final int MAX_PATH_BYTES = 2_692;

  /** The URL schemes of this driver. */
  static final Set<String> SCHEMES = Set.of("postgres", "postgresql");
  /** The server's port when the URL names none. */
  static final int DEFAULT_PORT = 5432;

  private final ServerUrl url;
  private final PgSql sql;
  private final Pool writerPool;
  private final Pool readerPool;
  private final PgWriter writer;
  private final Set<PgCursor> cursors = ConcurrentHashMap.newKeySet();

  private PgStore(Vertx vertx, ServerUrl url, PgSql sql, Pool writerPool, Pool readerPool) {
    super(vertx, url.timeoutMs(), GroupCommit.DEFAULT_MAX_GROUP,
        GroupCommit.DEFAULT_MAX_GROUP_ROWS);
    this.url = url;
    this.sql = sql;
    this.writerPool = writerPool;
    this.readerPool = readerPool;
    this.writer = new PgWriter(vertx, writerPool, sql, url.timeoutMs(), url.describe());
  }

  /**
   * Connects, creates the table on first use and opens the store. Never blocks.
   *
   * @param vertx the Vert.x instance
   * @param options the URL ({@code postgres://...} or {@code postgresql://...}), table, pool size and
   *     operation timeout
   * @return the open store; fails with {@code invalid_message} for a bad URL, {@code store_unavailable}
   *     when the server cannot be reached, the database is not UTF8 or the table has another shape
   */
  public static Future<PgStore> open(Vertx vertx, StoreOptions options) {
    ServerUrl url;
    try {
      url = parse(options);
    } catch (KoraException e) {
      return Future.failedFuture(e);
    }
    Context caller = vertx.getOrCreateContext();
    PgSql sql = PgSql.of(url.database(), url.table());
    Pool writerPool = pool(vertx, url, 1, "writer");
    Pool readerPool = pool(vertx, url, url.poolSize(), "reader");
    PgStore store = new PgStore(vertx, url, sql, writerPool, readerPool);
    Future<PgStore> opened = writerPool.withTransaction(connection -> connection
            .query("SHOW server_encoding").execute()
            .compose(encoding -> {
              String name = encoding.iterator().next().getString(0);
              if (!"UTF8".equalsIgnoreCase(name)) {
                return Future.failedFuture(new KoraException(ErrorCode.STORE_UNAVAILABLE, "the"
                    + " database of " + url.describe() + " is encoded in " + name + "; Kora needs"
                    + " UTF8, whose byte order is the tree's key order"));
              }
              return connection.preparedQuery(sql.lock()).execute(Tuple.of(sql.lockKey()));
            })
            // "relation already exists, skipping" is a NOTICE the client would log as a warning
            .compose(locked -> connection.query("SET LOCAL client_min_messages TO WARNING")
                .execute())
            .compose(quiet -> connection.query(sql.create()).execute())
            .compose(created -> connection.preparedQuery(sql.shape()).execute(Tuple.of(sql.quoted())))
            .compose(shape -> checkShape(url, shape)))
        .map(store)
        .recover(error -> Future.join(writerPool.close(), readerPool.close())
            .transform(ignored -> Future.failedFuture(
                PgErrors.wrap("opening " + url.describe(), error))));
    return StoreFutures.on(caller, opened);
  }

  static ServerUrl parse(StoreOptions options) {
    return ServerUrl.parse(options, DEFAULT_PORT, Set.of());
  }

  /** @return how the store's connections connect to the server of {@code url} */
  static PgConnectOptions connectOptions(ServerUrl url) {
    Map<String, String> properties = new HashMap<>(PgConnectOptions.DEFAULT_PROPERTIES);
    properties.put("application_name", "kora");
    // bounds every statement, lock waits included, on the server: it cancels and rolls back
    properties.put("statement_timeout", Long.toString(url.timeoutMs()));
    PgConnectOptions connect = new PgConnectOptions()
        .setHost(url.host())
        .setPort(url.port())
        .setDatabase(url.database())
        .setCachePreparedStatements(true)
        .setProperties(properties);
    if (url.user() != null) {
      connect.setUser(url.user());
    }
    if (url.password() != null) {
      connect.setPassword(url.password());
    }
    return connect;
  }

  private static Pool pool(Vertx vertx, ServerUrl url, int size, String role) {
    int timeout = (int) Math.min(Integer.MAX_VALUE, url.timeoutMs());
    PoolOptions pool = new PoolOptions()
        .setMaxSize(size)
        .setName("kora-postgres-" + role + "-" + url.table())
        .setConnectionTimeout(timeout)
        .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS);
    return PgBuilder.pool()
        .with(pool)
        .with(new NetClientOptions().setConnectTimeout(timeout).setTcpKeepAlive(true))
        .connectingTo(connectOptions(url))
        .using(vertx)
        .build();
  }

  private static Future<Void> checkShape(ServerUrl url, io.vertx.sqlclient.RowSet<Row> shape) {
    List<String> columns = new ArrayList<>();
    for (Row row : shape) {
      columns.add(row.getString(0) + " " + row.getString(1) + " " + row.getString(2) + " "
          + (row.getBoolean(3) ? "pk" : "-"));
    }
    if (columns.size() == 2 && columns.get(0).equals("path text C pk")
        && columns.get(1).startsWith("value text ") && columns.get(1).endsWith(" -")) {
      return Future.succeededFuture();
    }
    return Future.failedFuture(new KoraException(ErrorCode.STORE_UNAVAILABLE, "table "
        + url.table() + " in " + url.describe() + " is not a Kora tree table (path text COLLATE"
        + " \"C\" PRIMARY KEY, value text): " + columns));
  }

  /** @return the table that holds this tree */
  public String table() {
    return url.table();
  }

  @Override
  protected List<WritePlan> plan(List<Mutation> mutations) {
    return WritePlan.of(mutations, MAX_PATH_BYTES, "postgres");
  }

  @Override
  protected long rows(List<WritePlan> work) {
    return WritePlan.size(work);
  }

  /** @return true: every write transaction checks the fence first; see {@link PgWriter} */
  @Override
  public boolean fences() {
    return true;
  }

  /** Runs the group in one pipelined transaction, checking the fence first; see {@link PgWriter}. */
  @Override
  protected Future<Void> commit(List<GroupCommit.Entry<List<WritePlan>>> group) {
    return writer.commit(group, fenceCheck());
  }

  /**
   * {@inheritDoc}
   *
   * <p>The cursor holds a reader connection and one snapshot transaction until it is exhausted or
   * closed.
   */
  @Override
  protected Future<LeafCursor> openCursor(ReadRange range) {
    Vertx vertx = vertx();
    Context caller = vertx.getOrCreateContext();
    String action = "opening a cursor on " + url.describe();
    Future<PgCursor> opened = readerPool.getConnection()
        .compose(connection -> PgCursor.open(this, connection, range))
        .compose(cursor -> {
          cursors.add(cursor);
          if (isClosed()) {
            // the store closed while the cursor opened: do not leak the connection
            return cursor.close().transform(v -> Future.failedFuture(closedError()));
          }
          return Future.succeededFuture(cursor);
        });
    return StoreFutures.on(caller, StoreFutures.limit(vertx, opened, url.timeoutMs(), action,
        error -> PgErrors.wrap(action, error), PgCursor::close)).map(cursor -> cursor);
  }

  /** Closes the open cursors, then both pools. */
  @Override
  protected Future<Void> free() {
    List<Future<Void>> closingCursors = new ArrayList<>();
    for (PgCursor cursor : new ArrayList<>(cursors)) {
      closingCursors.add(cursor.close());
    }
    return Future.join(closingCursors)
        .transform(ignored -> Future.join(writerPool.close(), readerPool.close()))
        .mapEmpty();
  }

  /** @return e.g. {@code postgres://kora:***@db:5432/app?table=kora&poolSize=4&timeoutMs=10000} */
  @Override
  public String describe() {
    return url.describe();
  }

  PgSql sql() {
    return sql;
  }

  long timeoutMs() {
    return url.timeoutMs();
  }

  void unregister(PgCursor cursor) {
    cursors.remove(cursor);
  }
}
