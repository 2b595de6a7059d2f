package dev.kora.storage.jdbc;

import dev.kora.storage.LeafCursor;
import dev.kora.storage.ReadRange;
import dev.kora.storage.spi.GroupCommit;
import dev.kora.storage.spi.StoreBase;
import dev.kora.storage.spi.WritePlan;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A {@link dev.kora.storage.Store} on a JDBC database, for the drivers that bring a {@link JdbcDialect} (SQLite,
 * MySQL/MariaDB): the tree in one table of {@code (path, value)} rows, paths encoded by
 * {@link dev.kora.storage.spi.PathEncoding} so that a subtree is one key range.
 *
 * <p>Threading: every method may be called from any thread, event loops included, and never blocks.
 * Writes run on one connection on the shared worker pool {@code kora-NAME-writer}
 * ({@link JdbcDialect#writerThreads()} threads), reads on {@code kora-NAME-reader} ({@code poolSize}
 * threads) over at most {@code poolSize} read connections. Futures complete on the caller's context.
 *
 * <p>Writes: concurrent {@link #write} calls, and the mutations of {@link #writeEach}, are queued
 * and committed in groups by {@link StoreBase}'s {@link GroupCommit}: one transaction and one commit
 * for all calls queued while the previous group was written. Each call is atomic; a call that fails
 * on its own fails alone. Each cursor reads one snapshot. See {@link JdbcWriter} and
 * {@link JdbcCursor}.
 *
 * <p>Fences ({@link #fence}): supported. Each write transaction first reads the fence's row with
 * the dialect's {@link JdbcDialect#selectForUpdate() locking query} and, when the row does not hold
 * the fence's value, rolls back and fails every call of its group with {@code fenced}.
 *
 * <p>Errors: an unreachable or busy database, a closed store or an operation over its timeout fail
 * with {@link KoraException} code {@code store_unavailable}; errors of the statements themselves (a
 * constraint, a trigger) with {@code internal}; a path longer than the table's key allows with
 * {@code too_large}. A failed write has written nothing.
 *
 * <p>A driver may subclass it to add accessors of its own, taking over an opened store with
 * {@link #JdbcStore(JdbcStore)}.
 */
public class JdbcStore extends StoreBase<List<WritePlan>> {

  private final JdbcDialect dialect;
  private final WorkerExecutor writerPool;
  private final WorkerExecutor readerPool;
  private final JdbcWriter writer;
  private final JdbcReaders readers;

  private JdbcStore(Vertx vertx, JdbcDialect dialect, WorkerExecutor writerPool,
      WorkerExecutor readerPool, JdbcWriter writer, JdbcReaders readers) {
    super(vertx, dialect.timeoutMs(), GroupCommit.DEFAULT_MAX_GROUP,
        GroupCommit.DEFAULT_MAX_GROUP_ROWS);
    this.dialect = dialect;
    this.writerPool = writerPool;
    this.readerPool = readerPool;
    this.writer = writer;
    this.readers = readers;
  }

  /**
   * Takes over an opened store, for a driver's subclass; {@code opened} must not be used afterwards.
   *
   * @param opened a store returned by {@link #open}
   */
  protected JdbcStore(JdbcStore opened) {
    super(opened);
    this.dialect = opened.dialect;
    this.writerPool = opened.writerPool;
    this.readerPool = opened.readerPool;
    this.writer = opened.writer;
    this.readers = opened.readers;
  }

  /**
   * Connects, creates the table on first use and opens the store. Never blocks: the connection is
   * opened on the writer pool.
   *
   * @param vertx the Vert.x instance whose worker pools the store uses
   * @param dialect makes the database's dialect, e.g. from a parsed URL; may throw a
   *     {@link KoraException} ({@code invalid_message} for a bad URL), which fails the future
   * @return the open store; fails with {@code store_unavailable} when the database cannot be reached
   *     or its table has another shape
   */
  public static Future<JdbcStore> open(Vertx vertx, Supplier<? extends JdbcDialect> dialect) {
    JdbcDialect made;
    try {
      made = dialect.get();
    } catch (KoraException e) {
      return Future.failedFuture(e);
    }
    long timeoutMs = made.timeoutMs();
    long maxExecuteMs = Math.max(60_000, 2 * timeoutMs);
    WorkerExecutor writerPool = vertx.createSharedWorkerExecutor("kora-" + made.name() + "-writer",
        made.writerThreads(), maxExecuteMs, TimeUnit.MILLISECONDS);
    WorkerExecutor readerPool = vertx.createSharedWorkerExecutor("kora-" + made.name() + "-reader",
        made.poolSize(), maxExecuteMs, TimeUnit.MILLISECONDS);
    JdbcWriter writer = new JdbcWriter(vertx, made, writerPool, timeoutMs);
    JdbcReaders readers = new JdbcReaders(vertx, readerPool, made, made.poolSize(), timeoutMs);
    // the store (and its write queue) is made on the caller's context, once the writer is open
    JdbcStore store = new JdbcStore(vertx, made, writerPool, readerPool, writer, readers);
    return writerPool.executeBlocking(() -> {
      writer.open();
      return store;
    }, false).recover(error -> Future.join(writerPool.close(), readerPool.close())
        .transform(ignored -> Future.failedFuture(
            made.wrap("opening " + made.describe(), error))));
  }

  /** @return the store's dialect, for a driver's subclass */
  protected final JdbcDialect dialect() {
    return dialect;
  }

  @Override
  protected final List<WritePlan> plan(List<Mutation> mutations) {
    return WritePlan.of(mutations, dialect.maxPathBytes(), dialect.name());
  }

  @Override
  protected final long rows(List<WritePlan> work) {
    return WritePlan.size(work);
  }

  /** @return true: every write transaction checks the fence first; see {@link JdbcWriter} */
  @Override
  public final boolean fences() {
    return true;
  }

  /** Runs the group on the writer connection, checking the fence first; see {@link JdbcWriter}. */
  @Override
  protected final Future<Void> commit(List<GroupCommit.Entry<List<WritePlan>>> group) {
    return writer.commit(group, fenceCheck());
  }

  /**
   * {@inheritDoc}
   *
   * <p>The cursor holds a read connection and one snapshot transaction until it is exhausted or
   * closed.
   */
  @Override
  protected final Future<LeafCursor> openCursor(ReadRange range) {
    return readers.read(range);
  }

  /** Closes the writer connection and the readers' (open cursors with them), then the pools. */
  @Override
  protected final Future<Void> free() {
    return Future.join(writer.close(), readers.close())
        .transform(result -> Future.join(writerPool.close(), readerPool.close())
            .transform(ignored -> result.succeeded() ? Future.<Void>succeededFuture()
                : Future.<Void>failedFuture(
                    dialect.wrap("closing " + dialect.describe(), result.cause()))));
  }

  @Override
  public final String describe() {
    return dialect.describe();
  }

  /**
   * Runs a query on the writer connection, for tests and diagnostics, e.g. {@code PRAGMA synchronous}.
   *
   * @param sql a query
   * @return the first column of its first row, or null
   */
  public final Future<String> queryWriter(String sql) {
    return writer.query(sql);
  }
}
