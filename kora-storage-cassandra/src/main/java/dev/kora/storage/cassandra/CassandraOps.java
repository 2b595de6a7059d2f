package dev.kora.storage.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchableStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.Statement;
import dev.kora.storage.cassandra.CassandraRedo.Kind;
import dev.kora.storage.cassandra.CassandraRedo.Op;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the row operations of a write ({@link CassandraRedo.Op}, in the order
 * {@link CassandraWritePlan#ops()} gives them) in three steps, one after the other: the list
 * additions, the data, the list removals. The list of partitions lives in one partition, so each of
 * its steps is one UNLOGGED batch, atomic and isolated without the batch log. A failure of the
 * removals is only logged: it leaves empty partitions listed, which reads skip. The data goes one of
 * two ways:
 *
 * <ul>
 *   <li>{@link #runLogged}, an unfenced write: one LOGGED batch, atomic through Cassandra's batch
 *       log, at most {@value CassandraStore#MAX_BATCH_STATEMENTS} statements
 *       ({@code too_large} beyond, before anything is run);</li>
 *   <li>{@link #runPerPartition}, a fenced write or its replay: one UNLOGGED batch per partition
 *       (atomic and isolated within it, no batch log and no {@code batch_size_fail_threshold}),
 *       {@value #WINDOW} partitions at a time. Atomicity across partitions comes from the redo in
 *       the fence row, which the next store to take the fence over replays.</li>
 * </ul>
 *
 * Thread-safe; never blocks.
 */
final class CassandraOps {

  /** Partitions whose batches run at the same time. */
  static final int WINDOW = 32;

  private static final Logger LOG = LoggerFactory.getLogger(CassandraOps.class);

  private final CqlSession session;
  private final CassandraSchema schema;
  private final String describe;

  /**
   * @param describe the store's description for log lines
   */
  CassandraOps(CqlSession session, CassandraSchema schema, String describe) {
    this.session = session;
    this.schema = schema;
    this.describe = describe;
  }

  /**
   * @param ops the write's operations
   * @return completes once applied; fails with {@code too_large} before anything runs when the data
   *     needs more than {@value CassandraStore#MAX_BATCH_STATEMENTS} statements
   */
  CompletionStage<Void> runLogged(List<Op> ops) {
    Steps steps = new Steps(ops);
    if (steps.data.size() > CassandraStore.MAX_BATCH_STATEMENTS) {
      throw new KoraException(ErrorCode.TOO_LARGE, "this write needs " + steps.data.size()
          + " CQL statements and Cassandra takes at most " + CassandraStore.MAX_BATCH_STATEMENTS
          + " in one batch; write it in smaller parts");
    }
    return batch(steps.listing, DefaultBatchType.UNLOGGED)
        .thenCompose(v -> batch(steps.data, DefaultBatchType.LOGGED))
        .thenCompose(v -> unlist(steps.unlisting));
  }

  /**
   * @param ops the write's operations (a fenced write's, or a redo replayed)
   * @return completes once applied; idempotent, since every operation carries its timestamp
   */
  CompletionStage<Void> runPerPartition(List<Op> ops) {
    Steps steps = new Steps(ops);
    Map<String, List<BatchableStatement<?>>> byPartition = new LinkedHashMap<>();
    for (int i = 0; i < steps.data.size(); i++) {
      byPartition.computeIfAbsent(steps.dataParts.get(i), part -> new ArrayList<>())
          .add(steps.data.get(i));
    }
    List<List<BatchableStatement<?>>> batches = new ArrayList<>();
    for (List<BatchableStatement<?>> partition : byPartition.values()) {
      for (int from = 0; from < partition.size(); from += CassandraStore.MAX_BATCH_STATEMENTS) {
        batches.add(partition.subList(from, Math.min(partition.size(),
            from + CassandraStore.MAX_BATCH_STATEMENTS)));
      }
    }
    return batch(steps.listing, DefaultBatchType.UNLOGGED)
        .thenCompose(v -> inWindows(batches, 0))
        .thenCompose(v -> unlist(steps.unlisting));
  }

  private CompletionStage<Void> inWindows(List<List<BatchableStatement<?>>> batches, int from) {
    if (from >= batches.size()) {
      return CompletableFuture.completedFuture(null);
    }
    int to = Math.min(batches.size(), from + WINDOW);
    CompletableFuture<?>[] running = new CompletableFuture<?>[to - from];
    for (int i = from; i < to; i++) {
      running[i - from] = batch(batches.get(i), DefaultBatchType.UNLOGGED).toCompletableFuture();
    }
    return CompletableFuture.allOf(running).thenCompose(v -> inWindows(batches, to));
  }

  private CompletionStage<Void> unlist(List<BatchableStatement<?>> unlisting) {
    return batch(unlisting, DefaultBatchType.UNLOGGED).exceptionally(error -> {
      // the write is applied; only empty partitions stay listed, which reads skip
      LOG.warn("{}: could not unlist {} deleted partitions: {}", describe, unlisting.size(),
          error.toString());
      return null;
    });
  }

  /** Runs statements as one batch (a single one alone). */
  private CompletionStage<Void> batch(List<BatchableStatement<?>> statements,
      DefaultBatchType type) {
    if (statements.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    Statement<?> statement = statements.size() == 1 ? statements.get(0)
        : BatchStatement.newInstance(type, statements);
    return session.executeAsync(statement).thenApply(result -> null);
  }

  /** The operations bound, split by step. */
  private final class Steps {
    final List<BatchableStatement<?>> listing = new ArrayList<>();
    final List<BatchableStatement<?>> data = new ArrayList<>();
    /** The partition of each statement of {@link #data}. */
    final List<String> dataParts = new ArrayList<>();
    final List<BatchableStatement<?>> unlisting = new ArrayList<>();

    Steps(List<Op> ops) {
      for (Op op : ops) {
        if (op.kind() == Kind.LIST) {
          listing.add(schema.bind(op));
        } else if (op.kind().onData()) {
          data.add(schema.bind(op));
          dataParts.add(op.part());
        } else {
          unlisting.add(schema.bind(op));
        }
      }
    }
  }
}
