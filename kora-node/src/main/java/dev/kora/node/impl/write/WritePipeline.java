package dev.kora.node.impl.write;

import dev.kora.interceptors.InterceptorChain;
import dev.kora.interceptors.PreparedMutation;
import dev.kora.interceptors.Session;
import dev.kora.node.core.NodeMetrics;
import dev.kora.node.core.RequestLimits;
import dev.kora.node.core.ReservedPaths;
import dev.kora.node.impl.effects.JobScheduler;
import dev.kora.node.spi.CommittedBefore;
import dev.kora.node.spi.WriteCoordinator;
import dev.kora.storage.Store;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The write path of a node, from a mutation to its commit, in order:
 *
 * <ol>
 *   <li>a client's mutation may not be larger than {@link RequestLimits#maxLeavesPerMutation};</li>
 *   <li>the reserved-path rule ({@link ReservedPaths}): a client may not write {@code kora:*};</li>
 *   <li>the interceptors ({@link InterceptorChain#prepare}): validate, before (additions), effects;</li>
 *   <li>effect jobs are added under {@code kora:jobs} to the same mutation;</li>
 *   <li>the {@link WriteCoordinator} commits it durably, grouped with concurrent ones, and hands it to
 *       the commit feed (pushes, event bus);</li>
 *   <li>{@code afterMutation} runs and the effect jobs start.</li>
 * </ol>
 *
 * <p>A client session's mutations are queued for commit in the order it sent them, even when an
 * interceptor answers later for an earlier one (or an id is looked up in the store). A mutation with
 * an id ({@link MutationIds}) is written at most once: a resend while the first send is in progress
 * gets its outcome, a resend after it committed gets its version, without interceptors or effects.
 * Confined to the node's context.
 */
public final class WritePipeline {

  private final Context context;
  private final NodeMetrics metrics;
  private final InterceptorChain chain;
  private final JobScheduler jobs;
  private final WriteCoordinator coordinator;
  private final RequestLimits limits;
  private final MutationIds ids;
  private final boolean logged;
  /** Per client session: completes once its latest mutation is queued for the store. */
  private final Map<Session, Future<Void>> queuedBefore = new HashMap<>();

  /**
   * @param context the node's context
   * @param chain the interceptors
   * @param jobs the durable effect jobs
   * @param coordinator commits
   * @param limits the limits on clients' mutations
   * @param store where mutation ids are looked up
   * @param logged whether the node keeps a change log (without it, ids are refused)
   * @param metrics where the time in interceptors is counted
   */
  public WritePipeline(Context context, InterceptorChain chain, JobScheduler jobs,
      WriteCoordinator coordinator, RequestLimits limits, Store store, boolean logged,
      NodeMetrics metrics) {
    this.metrics = metrics;
    this.context = context;
    this.chain = chain;
    this.jobs = jobs;
    this.coordinator = coordinator;
    this.limits = limits;
    this.ids = new MutationIds(store);
    this.logged = logged;
  }

  /**
   * @param mutation the mutation
   * @param id the client's id of the mutation, or null; a mutation whose id was committed before
   *     is not written again and answers its first version
   * @param first the client says it never sent this id before: it is not looked up in the store
   * @param session who writes
   * @return the version once durable; an empty final mutation commits nothing and answers the current
   *     version; fails with {@code too_large} (a client's mutation over the leaf limit),
   *     {@code denied}, an interceptor's code, {@code interceptor_failed},
   *     {@code store_unavailable}, {@code closed}, or {@code invalid_mutation} for an id while the
   *     node keeps no change log
   */
  public Future<Long> mutate(Mutation mutation, String id, boolean first, Session session) {
    try {
      if (!session.isInternal()) {
        limits.checkLeaves(mutation);
      }
      ReservedPaths.checkWrite(mutation, session);
      if (id != null && !logged) {
        throw new KoraException(ErrorCode.INVALID_MUTATION, "this node keeps no change log"
            + " (changeLog is off), so it cannot make mutations with an 'id' exactly-once");
      }
    } catch (KoraException e) {
      return Future.failedFuture(e);
    }
    if (id == null) {
      return ordered(mutation, null, false, session);
    }
    Future<Long> running = ids.inFlight(id);
    if (running != null) {
      return running; // a resend while the first send is still in progress: the same outcome
    }
    // Single-threaded context: nothing can look the id up between these two steps.
    return ids.track(id, ordered(mutation, id, !first, session), !first);
  }

  /**
   * Prepares and submits in the session's order (see the class comment).
   *
   * @param lookUp whether the id must be looked up in the store first (an id not marked as a
   *     first send)
   */
  private Future<Long> ordered(Mutation mutation, String id, boolean lookUp, Session session) {
    if (session.isInternal() || (!chain.preparesMutations() && !lookUp
        && !queuedBefore.containsKey(session))) {
      // Internal writes are not ordered per session; without interceptors or id look-ups, prepare
      // answers at once, so every mutation is queued for the store in arrival order anyway.
      return prepareAndSubmit(mutation, id, lookUp, session, Promise.promise());
    }
    // A client's mutations commit in the order it sent them, even when an interceptor answers later
    // for an earlier one: each waits until the one before is queued for the store.
    Future<Void> previous = queuedBefore.get(session);
    Promise<Void> queued = Promise.promise();
    queuedBefore.put(session, queued.future());
    queued.future().onComplete(v -> queuedBefore.remove(session, queued.future()));
    if (previous == null || previous.isComplete()) {
      return prepareAndSubmit(mutation, id, lookUp, session, queued);
    }
    return previous.transform(ignored -> prepareAndSubmit(mutation, id, lookUp, session, queued));
  }

  /**
   * Runs the interceptors, queues the result for commit ({@code queued} completes then, or on
   * failure), and after the commit — once the reply and the pushes are out — runs
   * {@code afterMutation} and starts the effect jobs.
   */
  private Future<Long> prepareAndSubmit(Mutation mutation, String id, boolean lookUp,
      Session session, Promise<Void> queued) {
    if (!lookUp) {
      // No id, or a first send (the client says so), which cannot have been committed.
      return prepareAndSubmitNew(mutation, id, false, session, queued);
    }
    return ids.committed(id).compose(version -> {
      if (version != null) {
        // Committed before: answered with its version, not applied, intercepted or effected again.
        queued.tryComplete();
        return Future.succeededFuture(version);
      }
      return prepareAndSubmitNew(mutation, id, true, session, queued);
    }, failure -> {
      queued.tryComplete();
      return Future.failedFuture(failure);
    });
  }

  /**
   * @param resend whether the mutation was sent before (its id was looked up and not found here);
   *     the coordinator checks it again where the order is decided
   */
  private Future<Long> prepareAndSubmitNew(Mutation mutation, String id, boolean resend,
      Session session, Promise<Void> queued) {
    Future<PreparedMutation> preparing;
    if (chain.preparesMutations()) {
      long started = System.nanoTime();
      preparing = chain.prepare(mutation, session).andThen(done -> metrics.interceptors(
          NodeMetrics.InterceptorPhase.PREPARE, System.nanoTime() - started));
    } else {
      preparing = chain.prepare(mutation, session);
    }
    Future<Long> result = preparing.compose(prepared -> {
      Mutation toWrite = prepared.mutation();
      List<JobScheduler.Job> newJobs = jobs.jobs(prepared.effects());
      if (!newJobs.isEmpty()) {
        toWrite = toWrite.combine(jobs.store(newJobs));
      }
      if (toWrite.isEmpty()) {
        queued.tryComplete();
        return Future.succeededFuture(coordinator.version());
      }
      Mutation written = toWrite;
      Future<Long> committed = coordinator.submit(written, id, resend);
      queued.tryComplete();
      if (!chain.reactsAfterMutation() && newJobs.isEmpty()) {
        return id != null ? committed.recover(WritePipeline::committedBefore) : committed;
      }
      Future<Long> done = committed.onSuccess(version -> context.runOnContext(v -> {
        long started = System.nanoTime();
        chain.afterMutation(written, session);
        metrics.interceptors(NodeMetrics.InterceptorPhase.AFTER_MUTATION,
            System.nanoTime() - started);
        jobs.start(newJobs);
      }));
      return id != null ? done.recover(WritePipeline::committedBefore) : done;
    });
    result.onComplete(v -> queued.tryComplete());
    return result;
  }

  /**
   * A resend the coordinator found committed before: answered with the first commit's version;
   * this send was not committed, so its after-hooks and effect jobs do not run.
   */
  private static Future<Long> committedBefore(Throwable failure) {
    return failure instanceof CommittedBefore before ? Future.succeededFuture(before.version())
        : Future.failedFuture(failure);
  }
}
