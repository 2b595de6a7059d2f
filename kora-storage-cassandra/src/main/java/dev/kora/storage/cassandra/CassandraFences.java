package dev.kora.storage.cassandra;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;
import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
import com.datastax.oss.driver.api.core.servererrors.UnavailableException;
import dev.kora.storage.cassandra.CassandraRedo.Op;
import dev.kora.storage.spi.FenceCheck;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.LongConsumer;

/**
 * A store's fences on Cassandra: one row of the fence table per fenced path, changed only by
 * lightweight transactions (Paxos on that one partition), which decide every fenced write before
 * any of its data is written. See docs/cluster.md, "Cassandra".
 *
 * <ul>
 *   <li><b>Taking a fence over</b> ({@link #ready}, lazily, before the first write that checks a
 *       new {@link FenceCheck}): read the row with SERIAL consistency (which completes any Paxos
 *       round under way), apply its redo again (the last fenced write of whichever store held it;
 *       the same cells at the same timestamps, so idempotent), raise the store's clock above the row's
 *       {@code end_timestamp} (every later write wins over anything the former holder still applies
 *       late), read the fenced leaf from the data table (the tree's truth: unfenced writes may have
 *       changed it) and, when it holds the fence's value, claim the row: one lightweight transaction
 *       setting a new {@code claim} id, conditional only on the row's value being as read (a
 *       holder still deciding ordinary writes cannot starve it); then read the row again and replay
 *       a redo decided in between, which is final now that nobody else can decide. A claim that
 *       finds another value (another takeover) starts again, at most
 *       {@value #MAX_CLAIM_ATTEMPTS} times.</li>
 *   <li><b>A fenced write</b> ({@link #decide}): one lightweight transaction on the row, conditional
 *       on the fence's value and on {@code seq}, {@code write_id} and {@code claim} being what this
 *       store last wrote, records the group's operations as the redo and the value the group leaves
 *       at the fenced path. Applied: the write is decided, and the store applies its data. Not
 *       applied: the row changed (another store claimed it, or an earlier write of this store
 *       changed the fenced leaf), the group fails with {@code fenced}, nothing written.</li>
 *   <li><b>Unknown outcomes</b> (the transaction timed out, or the data failed after it applied):
 *       the store refuses every write of that fence with {@code fenced} ({@link #broken}) until it is
 *       fenced anew, whose takeover replays the redo and so completes the write.</li>
 * </ul>
 *
 * <p>Threading: called by the store's commit, one group at a time; its state is one immutable
 * {@link State} in a volatile field.
 */
final class CassandraFences {

  /** Claims lost to a concurrent change of the row before the takeover gives up. */
  static final int MAX_CLAIM_ATTEMPTS = 5;

  private final CqlSession session;
  private final CassandraSchema schema;
  private final CassandraLayout layout;
  private final CassandraOps ops;
  private final LongConsumer raiseClock;
  private volatile State state;

  /**
   * What the store holds of its current fence: claimed (it may write), or refused until fenced anew.
   *
   * @param check the fence this state is for
   * @param claim this store's claim id of the row, null when refused
   * @param seq the row's {@code seq} as this store last wrote it
   * @param writeId the row's {@code write_id} as this store last wrote it
   * @param value the row's {@code value} as this store last wrote it
   * @param refusal the error of every write while refused, else null
   */
  private record State(FenceCheck check, UUID claim, long seq, UUID writeId, String value,
      KoraException refusal) {

    static State refused(FenceCheck check, KoraException refusal) {
      return new State(check, null, 0, null, null, refusal);
    }
  }

  /**
   * @param raiseClock raises the store's timestamp clock above the given timestamp
   */
  CassandraFences(CqlSession session, CassandraSchema schema, CassandraLayout layout,
      CassandraOps ops, LongConsumer raiseClock) {
    this.session = session;
    this.schema = schema;
    this.layout = layout;
    this.ops = ops;
    this.raiseClock = raiseClock;
  }

  /**
   * Makes sure the store holds {@code check}'s fence row, taking it over first when it is a new
   * fence.
   *
   * @return completes once this store may decide writes on the row; fails with {@code fenced} when
   *     the fenced leaf does not hold the fence's value or the store is refused until fenced anew,
   *     with {@code store_unavailable} when Cassandra cannot be reached (the next write tries again)
   */
  CompletionStage<Void> ready(FenceCheck check) {
    State current = state;
    if (current != null && current.check() == check) {
      return current.refusal() == null ? CompletableFuture.completedFuture(null)
          : CompletableFuture.failedFuture(current.refusal());
    }
    return takeOver(check, 1);
  }

  private CompletionStage<Void> takeOver(FenceCheck check, int attempt) {
    return readRow(check).thenCompose(row -> replay(row)
        .thenCompose(v -> readLeaf(check.fence().path()))
        .thenCompose(stored -> {
          if (!Objects.equals(stored, check.fence().value())) {
            // not cached: the leaf may hold the fence's value again by the next write
            check.verify(stored);
          }
          return claim(check, row, stored, attempt);
        }));
  }

  /** @return the fence row read with SERIAL consistency (any Paxos round under way completed) */
  private CompletionStage<Row> readRow(FenceCheck check) {
    Statement<?> read = schema.fenceRead.bind(check.row())
        .setConsistencyLevel(ConsistencyLevel.SERIAL);
    return session.executeAsync(read).thenApply(result -> result.one());
  }

  /** Applies the row's redo again and raises the clock above its timestamps. */
  private CompletionStage<Void> replay(Row row) {
    if (row == null) {
      return CompletableFuture.completedFuture(null);
    }
    if (!row.isNull("end_timestamp")) {
      raiseClock.accept(row.getLong("end_timestamp"));
    }
    ByteBuffer redo = row.getByteBuffer("redo");
    if (redo == null || row.isNull("redo_timestamp")) {
      return CompletableFuture.completedFuture(null);
    }
    return ops.runPerPartition(CassandraRedo.decode(redo, row.getLong("redo_timestamp")));
  }

  /** @return the JSON text of the leaf at {@code path} in the data table, null when absent */
  private CompletionStage<String> readLeaf(Path path) {
    return session.executeAsync(schema.selectLeaf(layout.partition(path), layout.clustering(path)))
        .thenApply(result -> {
          Row row = result.one();
          return row == null ? null : row.getString(0);
        });
  }

  /**
   * Claims the row, conditional only on its value being as read, so that a holder that goes on
   * deciding ordinary writes meanwhile cannot starve the takeover; its decisions made between the
   * read and the claim are then final (it can decide nothing after the claim), and the row is read
   * again and its newer redo replayed.
   */
  private CompletionStage<Void> claim(FenceCheck check, Row row, String stored, int attempt) {
    UUID claim = UUID.randomUUID();
    String value = stored == null ? CassandraSchema.ABSENT_VALUE : stored;
    Statement<?> lwt = row == null
        ? schema.fenceCreate.bind(check.row(), value, 0L, claim, claim)
        : schema.fenceClaim.bind(claim, value, check.row(), row.getString("value"));
    return session.executeAsync(lwt.setIdempotent(false)).thenCompose(result -> {
      if (!result.wasApplied()) {
        if (attempt >= MAX_CLAIM_ATTEMPTS) {
          throw new KoraException(ErrorCode.STORE_UNAVAILABLE, "the fence row of "
              + check.fence().path() + " changed under each of " + attempt + " attempts to"
              + " claim it (other stores take it over); nothing was written");
        }
        return takeOver(check, attempt + 1);
      }
      if (row == null) {
        state = new State(check, claim, 0, claim, value, null);
        return CompletableFuture.completedFuture(null);
      }
      return readRow(check).thenCompose(now -> {
        if (now == null) {
          throw check.fencedOff("lost its fence row while claiming it; nothing was written");
        }
        UUID last = now.getUuid("write_id");
        CompletionStage<Void> replayed = last.equals(row.getUuid("write_id"))
            ? CompletableFuture.completedFuture(null) : replay(now);
        return replayed.thenRun(() -> state = new State(check, claim, now.getLong("seq"), last,
            value, null));
      });
    });
  }

  /**
   * Decides a fenced write: the lightweight transaction on the fence row. Call after
   * {@link #ready} succeeded for {@code check}, before any of the write's data is applied.
   *
   * @param check the fence the write checks
   * @param mutations the group's mutations, in order, for the value they leave at the fence's path
   * @param writeOps the group's operations, recorded as the row's redo
   * @return completes once decided (the data must then be applied, see {@link #broken} when that
   *     fails); fails with {@code fenced} when the row changed since this store last wrote it (the
   *     store is then refused until fenced anew), also when the outcome is unknown, and with the
   *     error of a request Cassandra refused before deciding it ({@code too_large},
   *     {@code store_unavailable}) otherwise, the store still holding the row
   */
  CompletionStage<Void> decide(FenceCheck check, List<Mutation> mutations, List<Op> writeOps) {
    State held = state;
    if (held == null || held.check() != check || held.refusal() != null) {
      return CompletableFuture.failedFuture(held != null && held.check() == check
          ? held.refusal() : check.fencedOff("is not held by this store; nothing was written"));
    }
    UUID writeId = UUID.randomUUID();
    String value = valueAfter(check.fence().path(), held.value(), mutations);
    long now = CassandraStore.nextTimestamp();
    long base = writeOps.isEmpty() ? now : CassandraRedo.base(writeOps);
    long end = writeOps.isEmpty() ? now : CassandraRedo.end(writeOps);
    String expected = check.fence().value() == null ? CassandraSchema.ABSENT_VALUE
        : check.fence().value();
    Statement<?> lwt = schema.fenceWrite.bind(value, held.seq() + 1, writeId,
        CassandraRedo.encode(writeOps, base), base, end, check.row(), expected, held.seq(),
        held.writeId(), held.claim()).setIdempotent(false);
    return session.executeAsync(lwt).handle((result, error) -> {
      if (error != null) {
        throw undecided(check, held, error);
      }
      // not applied: the row's current values of the columns of the condition, none without a row
      boolean applied = result.wasApplied(); // before the row is taken: the driver wants it so
      Row row = applied ? null : result.one();
      if (row != null && !row.getColumnDefinitions().contains("write_id")) {
        row = null;
      }
      if (applied || (row != null && writeId.equals(row.getUuid("write_id")))) {
        state = new State(check, held.claim(), held.seq() + 1, writeId, value, null);
        return null;
      }
      KoraException refusal = refusal(check, held, row);
      state = State.refused(check, refusal);
      throw refusal;
    });
  }

  /**
   * Refuses every later write of {@code check} until the store is fenced anew: the outcome of a
   * decided write is unknown (its data failed after the transaction applied).
   *
   * @param error the data's failure
   * @return the {@code fenced} error to fail the group with
   */
  KoraException broken(FenceCheck check, Throwable error) {
    KoraException refusal = check.fencedOff("could not apply a decided write (" + unwrap(error)
        + "): it is recorded in the fence row and the next store fenced on this path completes it;"
        + " this store refuses writes until it is fenced anew");
    state = State.refused(check, refusal);
    return refusal;
  }

  /** The transaction failed: known not applied when Cassandra refused it before deciding. */
  private RuntimeException undecided(FenceCheck check, State held, Throwable error) {
    Throwable cause = unwrap(error);
    if (cause instanceof InvalidQueryException || cause instanceof UnavailableException
        || cause instanceof KoraException) {
      return CassandraErrors.wrap("deciding a fenced write on " + check.fence().path(), cause);
    }
    KoraException refusal = check.fencedOff("could not be checked: the outcome of the write's"
        + " lightweight transaction is unknown (" + cause + "); this store refuses writes until it"
        + " is fenced anew, which completes the write if it was decided");
    state = State.refused(check, refusal);
    return refusal;
  }

  private static KoraException refusal(FenceCheck check, State held, Row row) {
    if (row == null) {
      return check.fencedOff("has no fence row any more; nothing of this write was written");
    }
    if (!held.claim().equals(row.getUuid("claim"))) {
      return check.fencedOff("was claimed by another store since this store was fenced (a newer"
          + " fence); nothing of this write was written");
    }
    String stored = row.getString("value");
    try {
      check.verify(stored == null || stored.equals(CassandraSchema.ABSENT_VALUE) ? null : stored);
    } catch (KoraException differs) {
      return differs;
    }
    return check.fencedOff("changed since this store's last write (seq " + held.seq() + ", now "
        + row.getLong("seq") + "); nothing of this write was written");
  }

  private static Throwable unwrap(Throwable error) {
    while (error instanceof CompletionException && error.getCause() != null) {
      error = error.getCause();
    }
    return error;
  }

  /**
   * @param fence the fenced path
   * @param before the row's value before the mutations ({@link CassandraSchema#ABSENT_VALUE} for
   *     absent)
   * @param mutations applied in order
   * @return the JSON text of the leaf at {@code fence} after them, or
   *     {@link CassandraSchema#ABSENT_VALUE}: a delete at or above it, or a leaf written above or
   *     under it, removes it; a leaf written at it sets it
   */
  static String valueAfter(Path fence, String before, List<Mutation> mutations) {
    String value = before;
    for (Mutation mutation : mutations) {
      for (Path deleted : mutation.deletes()) {
        if (deleted.contains(fence)) {
          value = CassandraSchema.ABSENT_VALUE;
        }
      }
      for (LeafWrite write : mutation.writes()) {
        if (write.path().equals(fence)) {
          value = write.valueJson();
        } else if (write.path().overlaps(fence)) {
          value = CassandraSchema.ABSENT_VALUE;
        }
      }
    }
    return value;
  }
}
