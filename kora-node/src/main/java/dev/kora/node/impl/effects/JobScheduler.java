package dev.kora.node.impl.effects;

import dev.kora.interceptors.Effect;
import dev.kora.interceptors.EffectHandler;
import dev.kora.node.core.NodeMetrics;
import dev.kora.node.core.ReservedPaths;
import dev.kora.node.spi.JobLeases;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Durable effect jobs. A job lives in the tree at {@code kora:jobs/<id>} as
 * {@code {"name": "notify", "args": "<JSON text>", "state": "pending", "attempts": 0, "created": ms}},
 * written in the same transaction as the mutation that caused it. After commit (and for every pending
 * job when the node starts) the scheduler runs it through the {@link EffectHandler} of its name: on
 * success the job is deleted; on failure it is retried after {@code backoff * 2^(attempts-1)} ms (at most
 * 10 minutes) until {@code maxAttempts}, then kept with {@code "state": "failed"} and
 * {@code "last_error"}. Jobs therefore run at least once, also across crashes. A job whose handler is
 * not loaded stays pending (with a warning) until a node that has it starts. A job runs only while
 * this node holds its lease ({@link JobLeases}: always, on a single node), and only as the store
 * holds it once the lease is held: the scheduler reads the job again after taking the lease and
 * leaves it alone when it is gone or no longer pending (another node finished it between the read
 * that found it and the lease, e.g. during a cluster's rescan after a member left), takes its
 * attempts from the store, and waits until its stored {@code next_at} when that is still ahead (a
 * retry another node scheduled). A node runs a job it already runs at most once at a time (a rescan
 * that finds a job this node is running leaves it), and asks for the lease again only once the
 * previous release has landed. What the cluster could not answer (a lease asked for or given back, the
 * rescan's read of the jobs) is asked again after {@code backoff} ms instead of being taken as "another
 * node runs it": a job is never dropped because the cluster was changing. Runs on the node's context.
 */
public final class JobScheduler {

  /** The reserved subtree holding jobs. */
  public static final Path JOBS = ReservedPaths.path("jobs");

  private static final System.Logger LOG = System.getLogger(JobScheduler.class.getName());
  private static final long MAX_BACKOFF_MS = 600_000;

  private final Vertx vertx;
  private final Map<String, EffectHandler> handlers;
  private final Function<Mutation, Future<Long>> writer;
  private final Function<Path, Future<Object>> reader;
  private final int maxAttempts;
  private final long backoffMs;
  private final JobLeases leases;
  private final NodeMetrics metrics;
  /** Jobs started and not yet done (succeeded or failed for good). */
  private int pending;
  /** Jobs whose lease this node asked for or holds, until it gives the lease back. */
  private final Set<String> running = new HashSet<>();
  private boolean stopped;

  /** A job to run once its write is durable. */
  public record Job(String id, String name, JsonObject args, int attempts) {
  }

  /**
   * @param vertx for timers
   * @param handlers effect handlers by name
   * @param writer writes the job bookkeeping through the node as internal mutations
   * @param reader reads the value at a path from the store as committed (a job, e.g.
   *     {@code kora:jobs/0001765000000000-1a2b3c4d}; null when absent)
   * @param maxAttempts most tries
   * @param backoffMs first retry delay
   * @param leases who may run a job now
   * @param metrics where jobs that fail for good are counted
   */
  public JobScheduler(Vertx vertx, Map<String, EffectHandler> handlers,
      Function<Mutation, Future<Long>> writer, Function<Path, Future<Object>> reader,
      int maxAttempts, long backoffMs, JobLeases leases, NodeMetrics metrics) {
    this.reader = reader;
    this.metrics = metrics;
    this.leases = leases;
    this.vertx = vertx;
    this.handlers = handlers;
    this.writer = writer;
    this.maxAttempts = maxAttempts;
    this.backoffMs = backoffMs;
  }

  /**
   * @param effects effects decided for a mutation
   * @return the jobs, with fresh ids
   */
  public List<Job> jobs(List<Effect> effects) {
    List<Job> jobs = new ArrayList<>();
    for (Effect effect : effects) {
      String id = String.format("%013d-%s", System.currentTimeMillis(),
          UUID.randomUUID().toString().substring(0, 8));
      jobs.add(new Job(id, effect.name(), effect.args(), 0));
    }
    return jobs;
  }

  /**
   * @param jobs jobs to store
   * @return the mutation that stores them under {@code kora:jobs}
   */
  public Mutation store(List<Job> jobs) {
    JsonObject all = new JsonObject();
    for (Job job : jobs) {
      all.put(job.id(), new JsonObject().put("name", job.name()).put("args", job.args().encode())
          .put("state", "pending").put("attempts", 0)
          .put("created", System.currentTimeMillis()));
    }
    return Mutation.merge(JOBS, all);
  }

  /** @param jobs jobs whose write is durable: run them now */
  public void start(List<Job> jobs) {
    for (Job job : jobs) {
      pending++;
      run(job);
    }
  }

  /** @return jobs started on this node and not yet done (succeeded or failed for good) */
  public int pending() {
    return pending;
  }

  /**
   * Reads the jobs under {@code kora:jobs} and runs every pending one ({@link #recover}): what a
   * cluster's leader does when a member left or it starts leading. When the store does not answer,
   * reads again after {@code backoff} ms until it does or the scheduler stops.
   */
  public void rescan() {
    if (!stopped) {
      untilAnswered("read the pending jobs to rescan them", () -> reader.apply(JOBS))
          .onSuccess(this::recover);
    }
  }

  /**
   * Asks the cluster or the store until it answers, {@code backoff} ms apart, logging each failure.
   *
   * @param what what is asked, for the log, e.g. {@code "give back the lease of job J"}
   * @param ask makes one request
   * @return the first answer; fails with the last failure once the scheduler has stopped
   */
  private <T> Future<T> untilAnswered(String what, Supplier<Future<T>> ask) {
    Promise<T> answered = Promise.promise();
    askAgain(what, ask, answered);
    return answered.future();
  }

  private <T> void askAgain(String what, Supplier<Future<T>> ask, Promise<T> answered) {
    ask.get().onComplete(answer -> {
      if (answer.succeeded() || stopped) {
        answered.handle(answer);
        return;
      }
      LOG.log(System.Logger.Level.WARNING, "could not " + what + "; trying again in " + backoffMs
          + " ms: " + answer.cause());
      vertx.setTimer(backoffMs, id -> askAgain(what, ask, answered));
    });
  }

  /**
   * Runs every pending job found in the tree (after a restart).
   *
   * @param stored the value at {@code kora:jobs}, or null
   * @return how many jobs were started
   */
  public int recover(Object stored) {
    if (!(stored instanceof JsonObject)) {
      return 0;
    }
    int started = 0;
    for (Map.Entry<String, Object> entry : (JsonObject) stored) {
      if (!(entry.getValue() instanceof JsonObject job)) {
        continue;
      }
      if (!"pending".equals(job.getString("state"))) {
        continue;
      }
      JsonObject args;
      try {
        args = new JsonObject(job.getString("args", "{}"));
      } catch (RuntimeException e) {
        args = new JsonObject();
      }
      pending++;
      run(new Job(entry.getKey(), job.getString("name"), args,
          job.getInteger("attempts", 0)));
      started++;
    }
    return started;
  }

  /** Stops starting and retrying jobs; what is stored stays for the next start. */
  public void stop() {
    stopped = true;
  }

  private void run(Job job) {
    if (stopped) {
      return;
    }
    if (!running.add(job.id())) {
      pending--; // this node runs it already (a rescan found a job under way here)
      return;
    }
    untilAnswered("ask for the lease of job " + job.id(), () -> leases.acquire(job.id()))
        .onComplete(granted -> {
          if (granted.succeeded() && granted.result()) {
            runIfStillPending(job);
          } else {
            running.remove(job.id());
            pending--; // another node runs it, or runs it next (or this scheduler stopped)
          }
        });
  }

  /**
   * Gives a job's lease back, asking again while the cluster does not answer (a lease left held
   * would keep every other node from the job). The job counts as running here until then, so that
   * neither a rescan nor a retry asks for the lease while the release is on its way: Hazelcast may
   * run the two in either order, and a late release would take the lease from the later run.
   *
   * @return completes once the lease is given back (or the scheduler stopped)
   */
  private Future<Void> release(String jobId) {
    return untilAnswered("give back the lease of job " + jobId, () -> leases.release(jobId))
        .andThen(released -> running.remove(jobId));
  }

  /**
   * Reads the job again now that this node holds its lease: what found it (a rescan's read, a
   * retry's timer) may be older than the last run of another node, which gives the lease back only
   * once the job's outcome is stored.
   */
  private void runIfStillPending(Job job) {
    reader.apply(JOBS.child(job.id())).onComplete(read -> {
      if (read.failed()) {
        // The store did not answer: keep the job and try again later, as after a failed attempt.
        LOG.log(System.Logger.Level.WARNING, "could not read job " + job.id() + " before running"
            + " it; trying again in " + backoffMs + " ms: " + read.cause());
        release(job.id()).onComplete(v -> retryAfter(backoffMs, job));
        return;
      }
      if (!(read.result() instanceof JsonObject stored)
          || !"pending".equals(stored.getString("state"))) {
        pending--; // finished (or failed for good) on another node since it was found
        release(job.id());
        return;
      }
      int attempts = Math.max(job.attempts(), intOr(stored.getValue("attempts"), 0));
      Job current = new Job(job.id(), job.name(), job.args(), attempts);
      long wait = longOr(stored.getValue("next_at"), 0) - System.currentTimeMillis();
      if (wait > 0) {
        // Another node's retry is not due yet: wait for it as that node would have.
        release(job.id()).onComplete(v -> retryAfter(Math.min(wait, MAX_BACKOFF_MS), current));
        return;
      }
      runLeased(current);
    });
  }

  private void retryAfter(long delayMs, Job job) {
    if (!stopped) {
      vertx.setTimer(delayMs, id -> run(job));
    }
  }

  private static int intOr(Object value, int otherwise) {
    return value instanceof Number number ? number.intValue() : otherwise;
  }

  private static long longOr(Object value, long otherwise) {
    return value instanceof Number number ? number.longValue() : otherwise;
  }

  /** Runs a job whose lease this node holds, and gives the lease back once the outcome is stored. */
  private void runLeased(Job job) {
    if (stopped) {
      release(job.id());
      return;
    }
    EffectHandler handler = handlers.get(job.name());
    if (handler == null) {
      // Perhaps the plugin that runs it is not loaded this time: keep the job for a later start.
      LOG.log(System.Logger.Level.WARNING, "no effect handler named '" + job.name() + "' for job "
          + job.id() + "; it stays pending until a node with that handler starts");
      release(job.id());
      return;
    }
    int attempt = job.attempts() + 1;
    Future<Void> outcome;
    try {
      outcome = handler.run(job.args().copy(), attempt);
    } catch (RuntimeException e) {
      outcome = Future.failedFuture(e);
    }
    Path path = JOBS.child(job.id());
    outcome.onComplete(result -> {
      if (result.succeeded()) {
        pending--;
        writer.apply(Mutation.delete(path)).onComplete(v -> release(job.id()));
        return;
      }
      String error = String.valueOf(result.cause().getMessage());
      if (attempt >= maxAttempts) {
        pending--;
        metrics.jobFailed();
        LOG.log(System.Logger.Level.WARNING, "job " + job.id() + " (" + job.name()
            + ") failed for good after " + attempt + " attempts: " + error);
        writer.apply(Mutation.merge(path, new JsonObject().put("state", "failed")
            .put("attempts", attempt).put("last_error", error)))
            .onComplete(v -> release(job.id()));
        return;
      }
      long delay = Math.min(MAX_BACKOFF_MS, backoffMs << Math.min(30, attempt - 1));
      writer.apply(Mutation.merge(path, new JsonObject().put("attempts", attempt)
          .put("last_error", error).put("next_at", System.currentTimeMillis() + delay)))
          .onComplete(v -> release(job.id()).onComplete(released ->
              retryAfter(delay, new Job(job.id(), job.name(), job.args(), attempt))));
    });
  }
}
