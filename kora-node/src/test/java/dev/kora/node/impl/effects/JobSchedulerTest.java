package dev.kora.node.impl.effects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kora.interceptors.EffectHandler;
import dev.kora.node.core.NodeMetrics;
import dev.kora.node.spi.JobLeases;
import dev.kora.storage.Store;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.Stores;
import dev.kora.storage.TreeReader;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The scheduler on a real (memory) store, seen from a node that finds jobs by a rescan, as a
 * cluster's leader does when a member leaves: what it found may be out of date by the time it holds
 * the lease, so it runs a job only as the store holds it then. A job another node finished since
 * the rescan's read is not run again; a job another node failed since is run with the attempts the
 * store holds; a retry another node scheduled is not run before it is due.
 */
class JobSchedulerTest {

  private static final long BACKOFF_MS = 50;

  private Vertx vertx;
  private Store store;
  private final List<Integer> runs = new CopyOnWriteArrayList<>();
  private JobScheduler scheduler;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    store = Stores.open(vertx, new StoreOptions().setUrl("memory")).await();
    EffectHandler handler = EffectHandler.of("count", (args, attempt) -> {
      runs.add(attempt);
      return Future.succeededFuture();
    });
    scheduler = new JobScheduler(vertx, Map.of("count", handler),
        mutation -> store.write(List.of(mutation)).map(written -> 1L),
        path -> TreeReader.read(store, path, QueryOptions.WHOLE), 5, BACKOFF_MS,
        new LocalJobLeases(), new NodeMetrics(new SimpleMeterRegistry(), false));
  }

  @AfterEach
  void tearDown() {
    store.close().await();
    vertx.close().await();
  }

  private static JsonObject job(JsonObject fields) {
    return new JsonObject().put("name", "count").put("args", "{}").put("state", "pending")
        .put("attempts", 0).put("created", 1L).mergeIn(fields);
  }

  private void store(String id, JsonObject job) {
    store.write(List.of(Mutation.merge(JobScheduler.JOBS.child(id), job))).await();
  }

  private Object stored(String id) {
    return TreeReader.read(store, JobScheduler.JOBS.child(id), QueryOptions.WHOLE).await();
  }

  /** Runs {@link JobScheduler#recover} on the node's context, as the node does, and waits for it. */
  private void recover(JsonObject found) throws Exception {
    java.util.concurrent.CompletableFuture<Integer> started =
        new java.util.concurrent.CompletableFuture<>();
    vertx.getOrCreateContext().runOnContext(v -> started.complete(scheduler.recover(found)));
    assertEquals(found.size(), started.get(5, java.util.concurrent.TimeUnit.SECONDS),
        "every pending job found is started");
  }

  private void waitUntil(java.util.function.BooleanSupplier done, String what) throws Exception {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(10);
    }
  }

  @Test
  void aJobFinishedElsewhereSinceTheRescanReadIsNotRunAgain() throws Exception {
    store("j1", job(new JsonObject()));
    store("j2", job(new JsonObject()));
    JsonObject found = (JsonObject) TreeReader.read(store, JobScheduler.JOBS,
        QueryOptions.WHOLE).await();
    // another node runs j1 and deletes it between the rescan's read and the lease
    store.write(List.of(Mutation.delete(JobScheduler.JOBS.child("j1")))).await();
    recover(found);
    waitUntil(() -> stored("j2") == null, "j2 ran and was deleted");
    Thread.sleep(200);
    assertEquals(List.of(1), runs, "only j2 ran, once");
    waitUntil(() -> scheduler.pending() == 0, "no job is pending");
  }

  @Test
  void aJobThatFailedElsewhereRunsWithTheStoredAttemptsOnceItsRetryIsDue() throws Exception {
    store("j1", job(new JsonObject()));
    JsonObject found = (JsonObject) TreeReader.read(store, JobScheduler.JOBS,
        QueryOptions.WHOLE).await();
    long due = System.currentTimeMillis() + 400;
    // another node's second attempt failed since; it scheduled the third for 400 ms from now
    store("j1", new JsonObject().put("attempts", 2).put("last_error", "down")
        .put("next_at", due));
    recover(found);
    Thread.sleep(200);
    assertEquals(List.of(), runs, "not run before its retry is due");
    waitUntil(() -> stored("j1") == null, "j1 ran and was deleted");
    assertEquals(List.of(3), runs, "run once, as its third attempt");
    assertEquals(true, System.currentTimeMillis() >= due, "not before it was due");
  }

  @Test
  void aJobFailedForGoodElsewhereIsLeftAsItIs() throws Exception {
    store("j1", job(new JsonObject()));
    JsonObject found = (JsonObject) TreeReader.read(store, JobScheduler.JOBS,
        QueryOptions.WHOLE).await();
    store("j1", new JsonObject().put("state", "failed").put("attempts", 5));
    recover(found);
    waitUntil(() -> scheduler.pending() == 0, "no job is pending");
    assertEquals(List.of(), runs);
    assertEquals("failed", ((JsonObject) stored("j1")).getString("state"));
    assertNull(((JsonObject) stored("j1")).getValue("last_error"));
  }

  /**
   * Leases as a cluster map holds them (job id to holder), for one member, with scripted trouble:
   * the first {@code failAcquires} asks and {@code failReleases} releases fail as when the cluster
   * does not answer, and each release lands {@code releaseDelayMs} after it was asked for. Records
   * what happened, in order.
   */
  private final class ScriptedLeases implements JobLeases {
    final Map<String, String> held = new java.util.concurrent.ConcurrentHashMap<>();
    final List<String> events = new CopyOnWriteArrayList<>();
    int failAcquires;
    int failReleases;
    long releaseDelayMs;

    @Override
    public Future<Boolean> acquire(String jobId) {
      if (failAcquires > 0) {
        failAcquires--;
        events.add("acquire failed");
        return Future.failedFuture(new IllegalStateException("the cluster did not answer"));
      }
      String holder = held.putIfAbsent(jobId, "self");
      events.add("acquire " + (holder == null ? "granted" : "held by " + holder));
      return Future.succeededFuture(holder == null || holder.equals("self"));
    }

    @Override
    public Future<Void> release(String jobId) {
      if (failReleases > 0) {
        failReleases--;
        events.add("release failed");
        return Future.failedFuture(new IllegalStateException("the cluster did not answer"));
      }
      io.vertx.core.Promise<Void> landed = io.vertx.core.Promise.promise();
      Runnable land = () -> {
        held.remove(jobId, "self");
        events.add("released");
        landed.complete();
      };
      if (releaseDelayMs > 0) {
        vertx.setTimer(releaseDelayMs, id -> land.run());
      } else {
        land.run();
      }
      return landed.future();
    }
  }

  private JobScheduler scheduler(EffectHandler handler, JobLeases leases,
      java.util.function.Function<Path, Future<Object>> reader) {
    return new JobScheduler(vertx, Map.of("count", handler),
        mutation -> store.write(List.of(mutation)).map(written -> 1L), reader, 5, BACKOFF_MS,
        leases, new NodeMetrics(new SimpleMeterRegistry(), false));
  }

  private void onContext(Runnable action) {
    vertx.getOrCreateContext().runOnContext(v -> action.run());
  }

  @Test
  void aLeaseTheClusterCouldNotGrantIsAskedForAgain() throws Exception {
    ScriptedLeases leases = new ScriptedLeases();
    leases.failAcquires = 2;
    JobScheduler jobs = scheduler(counting(), leases,
        path -> TreeReader.read(store, path, QueryOptions.WHOLE));
    store("j1", job(new JsonObject()));
    onContext(jobs::rescan);
    waitUntil(() -> stored("j1") == null, "j1 ran and was deleted");
    assertEquals(List.of(1), runs, "run once, after the cluster answered");
    waitUntil(() -> leases.held.isEmpty(), "the lease was given back");
    assertEquals(List.of("acquire failed", "acquire failed", "acquire granted", "released"),
        leases.events);
  }

  @Test
  void aRetryAsksForTheLeaseOnlyOnceTheLastReleaseLanded() throws Exception {
    ScriptedLeases leases = new ScriptedLeases();
    leases.releaseDelayMs = 300; // far longer than the backoff
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    runFailingOnce(leases, attempts, true);
    waitUntil(() -> leases.events.size() == 6, "the second lease was given back");
    assertEquals(List.of("acquire granted", "run 1", "released", "acquire granted", "run 2",
        "released"), leases.events, "the retry's lease was asked for after the release landed,"
        + " so the late release did not take it from the retry");
    assertEquals(List.of(1, 2), attempts);
  }

  @Test
  void aLeaseWhoseReleaseDidNotLandIsGivenBackLaterAndTheJobStillRetries() throws Exception {
    ScriptedLeases leases = new ScriptedLeases();
    leases.failReleases = 2;
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    runFailingOnce(leases, attempts, false);
    waitUntil(() -> leases.held.isEmpty(), "the lease was given back in the end");
    assertEquals(List.of(1, 2), attempts);
    assertEquals(List.of("acquire granted", "release failed", "release failed", "released",
        "acquire granted", "released"), leases.events);
  }

  @Test
  void aRescanThatFindsAJobUnderWayHereLeavesIt() throws Exception {
    ScriptedLeases leases = new ScriptedLeases();
    io.vertx.core.Promise<Void> finish = io.vertx.core.Promise.promise();
    EffectHandler slow = EffectHandler.of("count", (args, attempt) -> {
      runs.add(attempt);
      return finish.future();
    });
    JobScheduler jobs = scheduler(slow, leases,
        path -> TreeReader.read(store, path, QueryOptions.WHOLE));
    store("j1", job(new JsonObject()));
    JsonObject found = (JsonObject) TreeReader.read(store, JobScheduler.JOBS, QueryOptions.WHOLE)
        .await();
    onContext(() -> jobs.recover(found));
    waitUntil(() -> runs.size() == 1, "j1 runs");
    onContext(() -> jobs.rescan()); // e.g. a member left while j1 runs here
    Thread.sleep(200);
    assertEquals(List.of(1), runs, "the rescan did not start j1 a second time");
    finish.complete();
    waitUntil(() -> stored("j1") == null, "j1 finished and was deleted");
    waitUntil(() -> jobs.pending() == 0, "no job is pending");
    assertEquals(List.of(1), runs);
  }

  @Test
  void aRescanWhoseReadFailedReadsAgain() throws Exception {
    java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
    JobScheduler jobs = scheduler(counting(), new LocalJobLeases(), path -> {
      if (path.equals(JobScheduler.JOBS) && reads.getAndIncrement() < 2) {
        return Future.failedFuture(new IllegalStateException("store unavailable"));
      }
      return TreeReader.read(store, path, QueryOptions.WHOLE);
    });
    store("j1", job(new JsonObject()));
    onContext(jobs::rescan);
    waitUntil(() -> stored("j1") == null, "j1 ran and was deleted");
    assertEquals(List.of(1), runs);
    assertEquals(3, reads.get(), "two failed reads of the jobs, then one that answered");
  }

  /**
   * Stores job j1, whose handler fails its first attempt and succeeds its second, rescans, and waits
   * until it ran again and was deleted.
   *
   * @param attempts where each run adds its attempt number
   * @param logRuns whether each run is also added to the leases' events, as {@code "run N"}
   */
  private void runFailingOnce(ScriptedLeases leases, List<Integer> attempts, boolean logRuns)
      throws Exception {
    EffectHandler failsOnce = EffectHandler.of("count", (args, attempt) -> {
      attempts.add(attempt);
      if (logRuns) {
        leases.events.add("run " + attempt);
      }
      return attempt == 1 ? Future.failedFuture(new IllegalStateException("down"))
          : Future.succeededFuture();
    });
    JobScheduler jobs = scheduler(failsOnce, leases,
        path -> TreeReader.read(store, path, QueryOptions.WHOLE));
    store("j1", job(new JsonObject()));
    onContext(jobs::rescan);
    waitUntil(() -> stored("j1") == null, "j1 ran again and was deleted");
  }

  private EffectHandler counting() {
    return EffectHandler.of("count", (args, attempt) -> {
      runs.add(attempt);
      return Future.succeededFuture();
    });
  }
}
