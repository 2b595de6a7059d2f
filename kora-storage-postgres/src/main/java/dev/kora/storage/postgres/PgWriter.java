package dev.kora.storage.postgres;

import dev.kora.storage.spi.FenceCheck;
import dev.kora.storage.spi.GroupCommit;
import dev.kora.storage.spi.StoreFutures;
import dev.kora.storage.spi.WritePlan;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowIterator;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * Commits the groups of a {@link PgStore}'s {@link GroupCommit}: one transaction per group on a
 * connection of the writer pool, its statements pipelined (sent without waiting for each answer) —
 * first {@code pg_advisory_xact_lock} on the table, which serializes the writers of several nodes
 * sharing the table, then the {@link WritePlan}s of all calls, in order, coalesced
 * ({@link WritePlan#coalesce}: a thousand single-leaf mutations, in one call or in a thousand, are
 * one plan), each plan as one
 * {@code executeBatch} of range deletes, one {@code DELETE ... = ANY($1)} of the points and one
 * {@code INSERT ... SELECT FROM unnest($1, $2) ON CONFLICT DO UPDATE} of the upserts. A group of a
 * thousand calls costs a few round trips, not one per leaf.
 *
 * <p>Fences: when the store is fenced, the statement after the advisory lock is
 * {@code SELECT value ... WHERE path = $1 FOR UPDATE} of the fence's row, which locks it to the end of
 * the transaction (after the advisory lock, not before: two writers taking the two locks in opposite
 * orders would deadlock). Its answer is checked once the pipeline has run and before COMMIT: when
 * the row does not hold the fence's value the transaction is rolled back and the whole group fails
 * with {@code fenced} ({@link FenceCheck#verify}), whatever the later statements did — no call is at
 * fault, none is retried.
 *
 * <p>When a statement fails, the first failure in pipeline order is the cause (later ones only see an
 * aborted transaction); the transaction is rolled back and, unless it is {@code store_unavailable},
 * the group runs again on the same connection with each call's plans coalesced apart (as SQLite and
 * MySQL do), so that the first failing statement names its call, which fails alone
 * ({@link GroupCommit.EntryFailure}). Statements are bounded by the server-side
 * {@code statement_timeout} (the operation timeout); a group that gets no answer at all (a network
 * partition) fails after twice the timeout, with a message saying that the outcome is then unknown.
 * Runs on the event loop; never blocks.
 */
final class PgWriter {

  private final Vertx vertx;
  private final Pool pool;
  private final PgSql sql;
  private final long timeoutMs;
  private final String describe;

  PgWriter(Vertx vertx, Pool pool, PgSql sql, long timeoutMs, String describe) {
    this.vertx = vertx;
    this.pool = pool;
    this.sql = sql;
    this.timeoutMs = timeoutMs;
    this.describe = describe;
  }

  /**
   * Commits a group in one transaction that first checks {@code fence}; the
   * {@link GroupCommit.Committer} of the store, which passes its fence.
   *
   * @param group the calls, in order
   * @param fence the store's fence when the group was taken, or null for none
   * @return completes once committed; fails with {@code fenced} when the fence does not hold, with
   *     {@link GroupCommit.EntryFailure} naming a call at fault, or with another
   *     {@link KoraException}
   */
  Future<Void> commit(List<GroupCommit.Entry<List<WritePlan>>> group, FenceCheck fence) {
    String action = "writing to " + describe;
    // a group of several calls is coalesced across calls; if a statement fails on its own, the
    // group runs again with each call's statements apart, to name the call at fault
    boolean coalesce = group.size() > 1;
    Future<Void> committed = pool.getConnection()
        .recover(error -> Future.failedFuture(PgErrors.wrap("connecting to " + describe, error)))
        .compose(connection -> transaction(connection, group, fence, action, coalesce)
            .recover(error -> error instanceof Regroup
                ? transaction(connection, group, fence, action, false)
                : Future.failedFuture(error))
            .eventually(connection::close));
    return StoreFutures.limit(vertx, committed,
        GroupCommit.Entry.remainingMs(group) + timeoutMs, action + " (the outcome is unknown if"
            + " the commit was sent)", error -> error instanceof GroupCommit.EntryFailure
            ? error : PgErrors.wrap(action, error), null);
  }

  /** A coalesced group failed on a statement of its own: run it again call by call. */
  private static final class Regroup extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Regroup(Throwable cause) {
      super(cause.getMessage(), cause, false, false);
    }
  }

  /**
   * @param fence checked by the statement after the lock (owner -1, as the lock), or null
   * @param coalesce whether the plans of all calls form one coalesced step (owner -2) rather than
   *     steps per call (owner = the call's index)
   */
  private Future<Void> transaction(SqlConnection connection,
      List<GroupCommit.Entry<List<WritePlan>>> group, FenceCheck fence, String action,
      boolean coalesce) {
    return connection.begin().compose(tx -> {
      List<Future<?>> steps = new ArrayList<>();
      List<Integer> owners = new ArrayList<>();
      steps.add(connection.preparedQuery(sql.lock()).execute(Tuple.of(sql.lockKey())));
      owners.add(-1);
      Future<RowSet<Row>> fenceRow = fence == null ? null
          : connection.preparedQuery(sql.selectForUpdate()).execute(Tuple.of(fence.row()));
      if (fenceRow != null) {
        steps.add(fenceRow);
        owners.add(-1);
      }
      int parts = coalesce ? 1 : group.size();
      for (int i = 0; i < parts; i++) {
        List<WritePlan> plans = coalesce ? WritePlan.coalesce(allPlans(group))
            : WritePlan.coalesce(group.get(i).work());
        int owner = coalesce ? -2 : i;
        for (WritePlan plan : plans) {
          if (!plan.ranges().isEmpty()) {
            List<Tuple> ranges = new ArrayList<>(plan.ranges().size());
            for (WritePlan.Range range : plan.ranges()) {
              ranges.add(Tuple.of(range.from(), range.to()));
            }
            steps.add(connection.preparedQuery(sql.deleteRange()).executeBatch(ranges));
            owners.add(owner);
          }
          if (!plan.points().isEmpty()) {
            steps.add(connection.preparedQuery(sql.deletePoints())
                .execute(Tuple.tuple().addArrayOfString(plan.points().toArray(new String[0]))));
            owners.add(owner);
          }
          if (!plan.upserts().isEmpty()) {
            String[] paths = new String[plan.upserts().size()];
            String[] values = new String[paths.length];
            for (int r = 0; r < paths.length; r++) {
              paths[r] = plan.upserts().get(r).path();
              values[r] = plan.upserts().get(r).valueJson();
            }
            steps.add(connection.preparedQuery(sql.upsert())
                .execute(Tuple.tuple().addArrayOfString(paths).addArrayOfString(values)));
            owners.add(owner);
          }
        }
      }
      return Future.join(steps).transform(joined -> {
        KoraException fenced = fenceRow != null && fenceRow.succeeded()
            ? violation(fence, fenceRow.result()) : null;
        if (fenced != null) {
          return tx.rollback().otherwiseEmpty().transform(v -> Future.<Void>failedFuture(fenced));
        }
        if (joined.succeeded()) {
          return tx.commit().recover(error -> Future.failedFuture(
              PgErrors.wrap("committing to " + describe, error)));
        }
        int first = 0;
        while (!steps.get(first).failed()) {
          first++;
        }
        KoraException error = PgErrors.wrap(action, steps.get(first).cause());
        int owner = owners.get(first);
        boolean own = !ErrorCode.STORE_UNAVAILABLE.equals(error.code());
        Throwable failure = own && owner >= 0 ? new GroupCommit.EntryFailure(owner, error)
            : own && owner == -2 ? new Regroup(error) : error;
        return tx.rollback().otherwiseEmpty().transform(v -> Future.<Void>failedFuture(failure));
      });
    });
  }

  /** @return the {@code fenced} error when the row read does not hold the fence, else null */
  private static KoraException violation(FenceCheck fence, RowSet<Row> answer) {
    RowIterator<Row> rows = answer.iterator();
    try {
      fence.verify(rows.hasNext() ? rows.next().getString(0) : null);
      return null;
    } catch (KoraException e) {
      return e;
    }
  }

  private static List<WritePlan> allPlans(List<GroupCommit.Entry<List<WritePlan>>> group) {
    List<WritePlan> plans = new ArrayList<>();
    for (GroupCommit.Entry<List<WritePlan>> entry : group) {
      plans.addAll(entry.work());
    }
    return plans;
  }
}
