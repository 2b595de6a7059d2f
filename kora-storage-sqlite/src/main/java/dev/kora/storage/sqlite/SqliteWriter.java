package dev.kora.storage.sqlite;

import dev.kora.storage.spi.PathEncoding;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Files;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;

/**
 * The single writer connection of a {@link SqliteStore} and its group commit.
 *
 * <p>{@link #write} may be called from any thread: it queues a request and returns. All JDBC work runs
 * on one thread of the shared worker pool {@value #POOL_NAME}, one task at a time. A task takes every
 * request queued so far (up to {@value #MAX_GROUP}) and applies them in one {@code BEGIN IMMEDIATE}
 * transaction, then commits once: one fsync for the whole group. A request that fails on its own
 * fails alone; the others of its group are applied again without it and commit (see
 * {@link #runGroup}).
 *
 * <p>Timeouts: a request still queued when its operation timeout passes fails with
 * {@code store_unavailable} and is never applied. A request already being applied checks its deadline
 * before each mutation and is rolled back if it passed; waiting for the database lock is bounded by the
 * busy timeout, set to the earliest deadline of the group. Once COMMIT has begun, its outcome is
 * reported as it is, even if that is after the deadline, so a {@code store_unavailable} failure always
 * means nothing was written.
 */
final class SqliteWriter {

  /** Name of the shared worker pool (one thread) that runs every SQLite writer of a Vert.x instance. */
  static final String POOL_NAME = "kora-sqlite-writer";
  /** Most write requests committed in one transaction. */
  static final int MAX_GROUP = 512;
  /**
   * Most leaf writes and deletes in one group; a larger single request still forms a group alone.
   * Keeps one transaction, and the writer thread's turn, bounded when big writes queue up.
   */
  static final long MAX_GROUP_ROWS = 100_000;

  private static final int PENDING = 0;
  private static final int RUNNING = 1;
  private static final int DONE = 2;

  private final Vertx vertx;
  private final WorkerExecutor executor;
  private final SqliteUrl url;
  private final long timeoutMs;
  private final ConcurrentLinkedQueue<Request> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  // Confined to the writer thread (and guarded by this object's lock as well).
  private SQLiteConnection connection;
  private PreparedStatement deleteRange;
  private PreparedStatement deleteUnder;
  private PreparedStatement deletePoint;
  private PreparedStatement upsert;
  private PreparedStatement begin;
  private PreparedStatement commit;
  private PreparedStatement rollback;

  SqliteWriter(Vertx vertx, WorkerExecutor executor, SqliteUrl url, long timeoutMs) {
    this.vertx = vertx;
    this.executor = executor;
    this.url = url;
    this.timeoutMs = timeoutMs;
  }

  /**
   * Opens the writer connection: creates the file's directories, the file and the table, switches the
   * file to WAL and checks it. Blocking: call on the writer pool.
   */
  synchronized void open() throws Exception {
    java.nio.file.Path parent = url.file().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout(busyTimeout(timeoutMs));
    config.setEncoding(SQLiteConfig.Encoding.UTF8);
    SQLiteConnection opened = (SQLiteConnection) config.createConnection(url.jdbcUrl());
    try (Statement statement = opened.createStatement()) {
      String mode = queryString(statement, "PRAGMA journal_mode=WAL");
      if (!"wal".equalsIgnoreCase(mode)) {
        throw SqliteErrors.unavailable("cannot switch " + url.file() + " to WAL mode (journal_mode is "
            + mode + ")");
      }
      statement.execute("PRAGMA synchronous=" + url.synchronous());
      String encoding = queryString(statement, "PRAGMA encoding");
      if (!"UTF-8".equalsIgnoreCase(encoding)) {
        throw SqliteErrors.unavailable(url.file() + " is encoded in " + encoding
            + "; Kora needs UTF-8, whose byte order is the tree's key order");
      }
      statement.execute("CREATE TABLE IF NOT EXISTS " + url.quotedTable()
          + " (path TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID");
      checkShape(statement);
      String table = url.quotedTable();
      deleteRange = opened.prepareStatement("DELETE FROM " + table
          + " WHERE path >= ? AND path < ?");
      deleteUnder = opened.prepareStatement("DELETE FROM " + table
          + " WHERE path > ? AND path < ?");
      deletePoint = opened.prepareStatement("DELETE FROM " + table + " WHERE path = ?");
      upsert = opened.prepareStatement("INSERT INTO " + table + " (path, value) VALUES (?, ?)"
          + " ON CONFLICT (path) DO UPDATE SET value = excluded.value");
      begin = opened.prepareStatement("BEGIN IMMEDIATE");
      commit = opened.prepareStatement("COMMIT");
      rollback = opened.prepareStatement("ROLLBACK");
    } catch (Exception e) {
      opened.close();
      throw e;
    }
    connection = opened;
  }

  /** Refuses a table that exists with another shape, e.g. a collation that breaks byte order. */
  private void checkShape(Statement statement) throws SQLException {
    String sql;
    try (ResultSet rs = statement.executeQuery("SELECT sql FROM sqlite_schema WHERE type = 'table'"
        + " AND name = '" + url.table() + "'")) {
      sql = rs.next() ? rs.getString(1) : "";
    }
    String normalized = sql.toUpperCase(Locale.ROOT).replaceAll("\\s+", " ");
    if (!normalized.contains("WITHOUT ROWID") || normalized.contains("COLLATE")
        || !normalized.contains("PATH TEXT") || !normalized.contains("VALUE TEXT")) {
      throw SqliteErrors.unavailable("table " + url.table() + " in " + url.file()
          + " is not a Kora tree table: " + sql);
    }
  }

  private static String queryString(Statement statement, String sql) throws SQLException {
    try (ResultSet rs = statement.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  private static int busyTimeout(long ms) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, ms));
  }

  /**
   * Queues mutations to be written in one atomic transaction.
   *
   * @param mutations the mutations, in order
   * @return completes on the caller's context once durable
   */
  Future<Void> write(List<Mutation> mutations) {
    Request request = new Request(mutations, vertx.getOrCreateContext(),
        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs));
    request.timer = vertx.setTimer(timeoutMs, id -> request.expire());
    queue.add(request);
    schedule();
    return request.promise.future();
  }

  private void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      try {
        executor.executeBlocking(() -> {
          drainOnce();
          return null;
        }, false);
      } catch (RuntimeException e) {
        // the pool is gone: nothing will ever run these
        scheduled.set(false);
        Request request;
        while ((request = queue.poll()) != null) {
          request.fail(SqliteErrors.unavailable("the SQLite store " + url.describe() + " is closed"));
        }
      }
    }
  }

  private void drainOnce() {
    try {
      synchronized (this) {
        List<Request> group = takeGroup();
        if (!group.isEmpty()) {
          runGroup(group);
        }
      }
    } finally {
      scheduled.set(false);
      if (!queue.isEmpty()) {
        schedule();
      }
    }
  }

  private List<Request> takeGroup() {
    List<Request> group = new ArrayList<>();
    long rows = 0;
    Request request;
    // the writer thread is the only consumer, so what peek() sees is what poll() takes
    while (group.size() < MAX_GROUP && (request = queue.peek()) != null) {
      long size = request.size();
      if (!group.isEmpty() && rows + size > MAX_GROUP_ROWS) {
        break;
      }
      queue.poll();
      if (request.start()) {
        group.add(request);
        rows += size;
      }
    }
    return group;
  }

  /**
   * Applies a group of requests in one transaction and commits once. Optimistic: no savepoints on the
   * hot path. When one request fails with an error of its own (code {@code internal}, e.g. a
   * constraint, or its deadline passed), the transaction is rolled back, that request fails alone, and
   * the others are applied again in a new transaction. An error of the database itself ({@code store_unavailable}: busy, I/O,
   * disk full) fails the whole group. Runs on the writer thread, holding the lock.
   */
  private void runGroup(List<Request> group) {
    if (connection == null) {
      KoraException closed = SqliteErrors.unavailable("the SQLite store " + url.describe()
          + " is closed");
      group.forEach(request -> request.fail(closed));
      return;
    }
    List<Request> pending = new ArrayList<>(group);
    while (!pending.isEmpty()) {
      long now = System.nanoTime();
      long earliest = Long.MAX_VALUE;
      for (Request request : pending) {
        earliest = Math.min(earliest, request.deadline - now);
      }
      try {
        connection.setBusyTimeout(busyTimeout(TimeUnit.NANOSECONDS.toMillis(earliest)));
        begin.execute();
      } catch (SQLException e) {
        failAll(pending, SqliteErrors.wrap("starting a write transaction on " + url.describe(), e));
        return;
      }
      int failed = -1;
      KoraException failure = null;
      for (int i = 0; i < pending.size(); i++) {
        try {
          apply(pending.get(i));
        } catch (Exception e) {
          clearBatches();
          failed = i;
          failure = SqliteErrors.wrap("writing to " + url.describe(), e);
          break;
        }
      }
      if (failure != null) {
        rollbackQuietly(failure);
        if (!(failure instanceof Expired) && !ErrorCode.INTERNAL.equals(failure.code())) {
          failAll(pending, failure);
          return;
        }
        pending.remove(failed).fail(failure);
        continue;
      }
      try {
        commit.execute();
      } catch (SQLException e) {
        KoraException error = SqliteErrors.wrap("committing to " + url.describe(), e);
        rollbackQuietly(error);
        failAll(pending, error);
        return;
      }
      pending.forEach(Request::succeed);
      return;
    }
  }

  private static void failAll(List<Request> requests, KoraException error) {
    requests.forEach(request -> request.fail(error));
  }

  private void rollbackQuietly(KoraException error) {
    try {
      rollback.execute();
    } catch (SQLException e) {
      // e.g. SQLite already rolled the transaction back itself ("no transaction is active")
      error.addSuppressed(e);
    }
  }

  private void clearBatches() {
    for (PreparedStatement statement : List.of(deleteRange, deleteUnder, deletePoint, upsert)) {
      try {
        statement.clearBatch();
      } catch (SQLException ignored) {
        // the statement is closed with its connection
      }
    }
  }

  /** Applies one request's mutations in order; the caller holds the transaction. */
  private void apply(Request request) throws SQLException {
    for (Mutation mutation : request.mutations) {
      if (System.nanoTime() - request.deadline > 0) {
        throw new Expired("writing to " + url.describe() + " took longer than " + timeoutMs
            + " ms; nothing was written");
      }
      applyMutation(mutation);
    }
  }

  /**
   * Deletes first: one range delete per deleted subtree. Then per leaf written: a range delete of the
   * rows under it and point deletes of leaf rows at its ancestors (leaves of one mutation never overlap,
   * so these deletes cannot touch another leaf of the same mutation), and last the upserts.
   */
  private void applyMutation(Mutation mutation) throws SQLException {
    List<Path> deletes = mutation.deletes();
    if (!deletes.isEmpty()) {
      for (Path path : deletes) {
        String encoded = PathEncoding.encode(path);
        deleteRange.setString(1, encoded);
        deleteRange.setString(2, PathEncoding.subtreeEnd(encoded));
        deleteRange.addBatch();
      }
      deleteRange.executeBatch();
    }
    List<LeafWrite> writes = mutation.writes();
    if (writes.isEmpty()) {
      return;
    }
    Set<String> ancestors = new HashSet<>();
    for (LeafWrite write : writes) {
      String encoded = PathEncoding.encode(write.path());
      deleteUnder.setString(1, encoded);
      deleteUnder.setString(2, PathEncoding.subtreeEnd(encoded));
      deleteUnder.addBatch();
      int last = encoded.length() - 1;
      for (int i = encoded.indexOf(PathEncoding.SEPARATOR); i < last;
          i = encoded.indexOf(PathEncoding.SEPARATOR, i + 1)) {
        ancestors.add(encoded.substring(0, i + 1));
      }
      upsert.setString(1, encoded);
      upsert.setString(2, write.valueJson());
      upsert.addBatch();
    }
    deleteUnder.executeBatch();
    if (!ancestors.isEmpty()) {
      for (String ancestor : ancestors) {
        deletePoint.setString(1, ancestor);
        deletePoint.addBatch();
      }
      deletePoint.executeBatch();
    }
    upsert.executeBatch();
  }

  /**
   * Runs SQL on the writer connection, for tests and diagnostics, e.g. {@code PRAGMA synchronous}.
   *
   * @return the first column of the first row, or null
   */
  Future<String> query(String sql) {
    return executor.executeBlocking(() -> {
      synchronized (this) {
        if (connection == null) {
          throw SqliteErrors.unavailable("the SQLite store " + url.describe() + " is closed");
        }
        try (Statement statement = connection.createStatement()) {
          return queryString(statement, sql);
        }
      }
    }, false);
  }

  /**
   * Writes what is still queued, then closes the connection. Requests queued later fail with
   * {@code store_unavailable}.
   */
  Future<Void> close() {
    return executor.executeBlocking(() -> {
      synchronized (this) {
        List<Request> group;
        while (!(group = takeGroup()).isEmpty()) {
          runGroup(group);
        }
        if (connection != null) {
          try {
            connection.close();
          } finally {
            connection = null;
          }
        }
      }
      return null;
    }, false);
  }

  /** A request whose deadline passed while it was being applied: it fails alone. */
  private static final class Expired extends KoraException {
    Expired(String message) {
      super(ErrorCode.STORE_UNAVAILABLE, message);
    }
  }

  /** One {@link #write} call: its mutations, who waits for it, and its state. */
  private final class Request {
    final List<Mutation> mutations;
    final Context context;
    final long deadline;
    final Promise<Void> promise = Promise.promise();
    final AtomicInteger state = new AtomicInteger(PENDING);
    volatile long timer;

    Request(List<Mutation> mutations, Context context, long deadline) {
      this.mutations = mutations;
      this.context = context;
      this.deadline = deadline;
    }

    /** @return how many leaf writes and deletes it holds */
    long size() {
      long rows = 0;
      for (Mutation mutation : mutations) {
        rows += mutation.writes().size() + mutation.deletes().size();
      }
      return rows;
    }

    /** @return whether the writer may apply it (it did not time out while queued) */
    boolean start() {
      return state.compareAndSet(PENDING, RUNNING);
    }

    void expire() {
      if (state.compareAndSet(PENDING, DONE)) {
        KoraException error = SqliteErrors.unavailable("writing to " + url.describe()
            + " did not start within " + timeoutMs + " ms; nothing was written");
        context.runOnContext(v -> promise.tryFail(error));
      }
    }

    void succeed() {
      state.set(DONE);
      vertx.cancelTimer(timer);
      context.runOnContext(v -> promise.tryComplete());
    }

    void fail(Throwable error) {
      state.set(DONE);
      vertx.cancelTimer(timer);
      context.runOnContext(v -> promise.tryFail(error));
    }
  }
}
