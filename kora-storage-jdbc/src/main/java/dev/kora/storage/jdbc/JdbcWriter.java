package dev.kora.storage.jdbc;

import dev.kora.storage.spi.FenceCheck;
import dev.kora.storage.spi.GroupCommit;
import dev.kora.storage.spi.WritePlan;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The single writer connection of a {@link JdbcStore}: commits the groups of {@link GroupCommit}, one
 * transaction per group, with JDBC batches. All JDBC work runs on the shared worker pool
 * {@code kora-NAME-writer} of the dialect, under this object's lock.
 *
 * <p>A group runs in one transaction ({@link JdbcDialect#beginWrite()}): the {@link WritePlan}s of all
 * its calls, in order and {@link WritePlan#coalesce coalesced} into as few as possible — a batch of
 * range deletes, a batch of point deletes, a batch of upserts per plan — then one COMMIT (one fsync
 * for the group). When a statement of a coalesced group fails with an error of its own, the group is
 * rolled back and run again call by call, to find the call at fault. A call whose operation timeout
 * passed before its turn, or whose statements fail with an error of their own (not
 * {@code store_unavailable}), fails alone: the transaction is rolled back and {@link GroupCommit}
 * runs the others again.
 *
 * <p>Fences: when the store is fenced, every transaction first reads the fence's row with
 * {@link JdbcDialect#selectForUpdate()}, which keeps it locked to the end of the transaction, and
 * when the row does not hold the fence's value rolls back and fails the whole group with
 * {@code fenced} ({@link FenceCheck#verify}), before anything was written. A transient
 * failure ({@link JdbcDialect#isTransient}: a deadlock) reruns the whole transaction up to
 * {@value #ATTEMPTS} times. Once COMMIT has begun, its outcome is reported as it is.
 *
 * <p>Connection failures: after a {@code store_unavailable} failure, or when the connection was idle
 * for {@value #VALIDATE_AFTER_IDLE_MS} ms, the connection is checked before the next group and opened
 * anew when it is broken, so the store recovers by itself once the database is back.
 *
 * <p>Memory: a dialect whose connection keeps memory between writes ({@link JdbcDialect#keepsMemory},
 * SQLite's page cache) has it given back ({@link JdbcDialect#releaseMemory}) once no group has
 * committed for {@value #RELEASE_AFTER_IDLE_MS} ms: a timer armed after a commit when none is, and
 * armed again for the rest of the time when writes came meanwhile.
 */
final class JdbcWriter {

  private static final int[] NONE = new int[0];

  /** Transaction attempts when the database reports a transient failure. */
  static final int ATTEMPTS = 3;
  /** Idle time after which the connection is checked before use. */
  static final long VALIDATE_AFTER_IDLE_MS = 5_000;

  /** Ms without a commit after which the connection's memory is given back, if it keeps any. */
  static final long RELEASE_AFTER_IDLE_MS = 15_000;

  private final Vertx vertx;
  private final JdbcDialect dialect;
  private final WorkerExecutor executor;
  private final long timeoutMs;

  // Guarded by this object's lock; used on the writer pool only.
  private Connection connection;
  private PreparedStatement deleteRange;
  private PreparedStatement deletePoint;
  private JdbcDialect.RowWrites rowWrites;
  private PreparedStatement selectFence;
  private long lastUsed;
  private boolean suspect;
  private boolean closed;
  /** The timer of {@link #releaseIfIdle}, or -1. */
  private long releaseTimer = -1;

  JdbcWriter(Vertx vertx, JdbcDialect dialect, WorkerExecutor executor, long timeoutMs) {
    this.vertx = vertx;
    this.dialect = dialect;
    this.executor = executor;
    this.timeoutMs = timeoutMs;
  }

  /** Opens the connection and creates the table. Blocking: call on the writer pool. */
  synchronized void open() throws SQLException {
    Connection opened = dialect.connectWriter();
    try {
      dialect.createTable(opened);
      prepare(opened);
    } catch (SQLException | RuntimeException e) {
      closeQuietly(opened);
      throw e;
    }
    connection = opened;
    lastUsed = System.nanoTime();
  }

  private void prepare(Connection opened) throws SQLException {
    String table = dialect.quotedTable();
    deleteRange = opened.prepareStatement("DELETE FROM " + table + " WHERE path >= ? AND path < ?");
    deletePoint = opened.prepareStatement("DELETE FROM " + table + " WHERE path = ?");
    rowWrites = dialect.prepareRowWrites(opened);
    selectFence = opened.prepareStatement(dialect.selectForUpdate());
  }

  /** A connection to use: the current one, checked when in doubt, or a new one. */
  private void ensureConnection() throws SQLException {
    if (closed) {
      throw closedError();
    }
    long idleMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastUsed);
    if (connection != null && (suspect || idleMs > VALIDATE_AFTER_IDLE_MS)) {
      boolean valid;
      try {
        valid = connection.isValid((int) Math.max(1, Math.min(30, timeoutMs / 1000)));
      } catch (SQLException e) {
        valid = false;
      }
      if (!valid) {
        closeQuietly(connection);
        connection = null;
      }
    }
    if (connection == null) {
      Connection opened = dialect.connectWriter();
      try {
        prepare(opened);
      } catch (SQLException | RuntimeException e) {
        closeQuietly(opened);
        throw e;
      }
      connection = opened;
    }
    suspect = false;
  }

  KoraException closedError() {
    return new KoraException(ErrorCode.STORE_UNAVAILABLE, dialect.publicName()
        + " is closed");
  }

  /**
   * Commits a group, in one transaction that first checks {@code fence}; the
   * {@link GroupCommit.Committer} of the store, which passes its fence.
   *
   * @param group the calls, in order
   * @param fence the store's fence when the group was taken, or null for none
   * @return completes once committed; fails with {@code fenced} when the fence does not hold, with
   *     {@link GroupCommit.EntryFailure} or another {@link KoraException} as described above
   */
  Future<Void> commit(List<GroupCommit.Entry<List<WritePlan>>> group, FenceCheck fence) {
    return executor.executeBlocking(() -> {
      runGroup(group, fence);
      return null;
    }, false);
  }

  private synchronized void runGroup(List<GroupCommit.Entry<List<WritePlan>>> group,
      FenceCheck fence) {
    String action = "writing to " + dialect.publicName();
    try {
      ensureConnection();
    } catch (SQLException | RuntimeException e) {
      throw dialect.wrap("connecting to " + dialect.publicName(), e);
    }
    // First the whole group coalesced into few large batches; should one of its calls fail on its
    // own, the group is run again call by call to find which one.
    boolean coalesced = (group.size() > 1 || group.get(0).work().size() > 1) && noneExpired(group);
    for (int attempt = 1; ; attempt++) {
      try {
        dialect.beforeWrite(connection, GroupCommit.Entry.remainingMs(group));
        execute(dialect.beginWrite());
      } catch (SQLException e) {
        suspect = true;
        rollbackQuietly(null);
        throw dialect.wrap("starting a write transaction on " + dialect.publicName(), e);
      }
      if (fence != null) {
        // before any statement of the calls, so that no call is taken to be at fault
        try {
          fence.verify(readLocked(fence.row()));
        } catch (KoraException e) {
          rollbackQuietly(e);
          throw e;
        } catch (SQLException | RuntimeException e) {
          KoraException error = dialect.wrap("checking the fence " + fence.fence().path()
              + " on " + dialect.publicName(), e);
          rollbackQuietly(error);
          if (e instanceof SQLException sql && dialect.isTransient(sql) && attempt < ATTEMPTS) {
            continue;
          }
          if (ErrorCode.STORE_UNAVAILABLE.equals(error.code())) {
            suspect = true;
          }
          throw error;
        }
      }
      // The work of one transaction: the whole group as one coalesced step (owner -1), or one step
      // per call (owner = the call's index), so that a failure names the call at fault.
      int steps = coalesced ? 1 : group.size();
      boolean again = false; // roll back and run the transaction again
      for (int i = 0; i < steps; i++) {
        int owner = coalesced ? -1 : i;
        try {
          if (owner >= 0 && group.get(owner).expired()) {
            throw new KoraException(ErrorCode.STORE_UNAVAILABLE, action + " took longer than "
                + timeoutMs + " ms; nothing was written");
          }
          List<WritePlan> plans = owner >= 0 ? group.get(owner).work()
              : WritePlan.coalesce(allPlans(group));
          for (WritePlan plan : plans) {
            apply(plan);
          }
        } catch (SQLException | RuntimeException e) {
          clearBatches();
          KoraException error = dialect.wrap(action, e);
          rollbackQuietly(error);
          if (e instanceof SQLException sql && dialect.isTransient(sql) && attempt < ATTEMPTS) {
            again = true;
            break;
          }
          if (e instanceof KoraException || !ErrorCode.STORE_UNAVAILABLE.equals(error.code())) {
            if (owner < 0) {
              // one call of the coalesced group is at fault: run the group call by call to find it
              coalesced = false;
              attempt--;
              again = true;
              break;
            }
            // its own fault (or its deadline): it fails alone, the others are committed again
            throw new GroupCommit.EntryFailure(owner, error);
          }
          suspect = true;
          throw error;
        }
      }
      if (again) {
        continue;
      }
      try {
        execute("COMMIT");
      } catch (SQLException e) {
        KoraException error = dialect.wrap("committing to " + dialect.publicName(), e);
        rollbackQuietly(error);
        if (dialect.isTransient(e) && attempt < ATTEMPTS) {
          continue;
        }
        suspect = true;
        throw error;
      }
      lastUsed = System.nanoTime();
      armRelease(RELEASE_AFTER_IDLE_MS);
      return;
    }
  }

  /** Arms the timer of {@link #releaseIfIdle} unless it is armed; holding the lock. */
  private void armRelease(long delayMs) {
    if (releaseTimer < 0 && !closed && dialect.keepsMemory()) {
      releaseTimer = vertx.setTimer(Math.max(1, delayMs), id -> executor.executeBlocking(() -> {
        releaseIfIdle();
        return null;
      }, false));
    }
  }

  /**
   * Gives the connection's memory back when no group has committed for
   * {@value #RELEASE_AFTER_IDLE_MS} ms, else waits for the rest of that time. Blocking: on the
   * writer pool.
   */
  private synchronized void releaseIfIdle() {
    releaseTimer = -1;
    if (closed || connection == null) {
      return;
    }
    long idleMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastUsed);
    if (idleMs < RELEASE_AFTER_IDLE_MS) {
      armRelease(RELEASE_AFTER_IDLE_MS - idleMs);
      return;
    }
    try {
      dialect.releaseMemory(connection);
    } catch (SQLException e) {
      // checked before the next group
      suspect = true;
    }
  }

  private static boolean noneExpired(List<GroupCommit.Entry<List<WritePlan>>> group) {
    for (GroupCommit.Entry<List<WritePlan>> entry : group) {
      if (entry.expired()) {
        return false;
      }
    }
    return true;
  }

  private static List<WritePlan> allPlans(List<GroupCommit.Entry<List<WritePlan>>> group) {
    List<WritePlan> plans = new java.util.ArrayList<>();
    for (GroupCommit.Entry<List<WritePlan>> entry : group) {
      plans.addAll(entry.work());
    }
    return plans;
  }

  /** @return the value of the row at {@code path}, or null; the row stays locked (see the dialect) */
  private String readLocked(String path) throws SQLException {
    dialect.setPath(selectFence, 1, path);
    try (ResultSet rows = selectFence.executeQuery()) {
      return rows.next() ? rows.getString(1) : null;
    }
  }

  private void execute(String sql) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.execute(sql);
    }
  }

  /**
   * Deletes (ranges, then points), tells the dialect's row writes what was deleted, then upserts;
   * see {@link WritePlan}.
   */
  private void apply(WritePlan plan) throws SQLException {
    int[] rangeRows = NONE;
    if (!plan.ranges().isEmpty()) {
      for (WritePlan.Range range : plan.ranges()) {
        dialect.setPath(deleteRange, 1, range.from());
        dialect.setPath(deleteRange, 2, range.to());
        deleteRange.addBatch();
      }
      rangeRows = deleteRange.executeBatch();
    }
    int[] pointRows = NONE;
    if (!plan.points().isEmpty()) {
      for (String point : plan.points()) {
        dialect.setPath(deletePoint, 1, point);
        deletePoint.addBatch();
      }
      pointRows = deletePoint.executeBatch();
    }
    rowWrites.deleted(plan, rangeRows, pointRows);
    for (WritePlan.Row row : plan.upserts()) {
      rowWrites.add(row.path(), row.valueJson());
    }
    rowWrites.execute();
  }

  private void rollbackQuietly(KoraException error) {
    try {
      execute("ROLLBACK");
    } catch (SQLException e) {
      // e.g. the database already rolled the transaction back itself, or the connection is gone
      if (error != null) {
        error.addSuppressed(e);
      }
    }
  }

  private void clearBatches() {
    JdbcDialect.clearBatches(deleteRange, deletePoint);
    rowWrites.clear();
  }

  /**
   * Runs SQL on the writer connection, for tests and diagnostics.
   *
   * @return the first column of the first row, or null
   */
  Future<String> query(String sql) {
    return executor.executeBlocking(() -> {
      synchronized (this) {
        ensureConnection();
        try (Statement statement = connection.createStatement();
            ResultSet rows = statement.executeQuery(sql)) {
          return rows.next() ? rows.getString(1) : null;
        }
      }
    }, false);
  }

  /** Closes the connection; the {@link GroupCommit} has drained before. */
  Future<Void> close() {
    return executor.executeBlocking(() -> {
      synchronized (this) {
        closed = true;
        if (releaseTimer >= 0) {
          vertx.cancelTimer(releaseTimer);
          releaseTimer = -1;
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

  private static void closeQuietly(Connection connection) {
    try {
      connection.close();
    } catch (SQLException ignored) {
      // a connection that failed: nothing more to do
    }
  }
}
