package dev.kora.node.impl.effects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kora.interceptors.EffectHandler;
import dev.kora.node.core.NodeMetrics;
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
}
