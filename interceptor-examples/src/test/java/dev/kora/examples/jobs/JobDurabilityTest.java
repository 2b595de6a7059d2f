package dev.kora.examples.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import dev.kora.storage.StoreOptions;
import dev.kora.testkit.ChildJvm;
import dev.kora.testkit.Eventually;
import dev.kora.testkit.TestSocket;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import dev.kora.tree.Tree;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Effects are durable jobs: stored with the write that caused them, they survive a {@code kill -9} of
 * the node and run after a restart (at least once), and a job that keeps failing is kept as failed
 * with its last error after {@code jobMaxAttempts} tries.
 */
@ExtendWith(VertxExtension.class)
class JobDurabilityTest {

  private static final Path JOBS = Path.of("kora:jobs");
  private static final int TASKS = 10;

  @TempDir
  java.nio.file.Path tmp;

  private ChildJvm child;

  @AfterEach
  void killChild() {
    if (child != null) {
      child.destroy();
    }
  }

  private static Future<Object> stored(KoraNode node, Path path) {
    return node.query(Query.of(path, QueryOptions.WHOLE))
        .map(answer -> Tree.get(answer.merge(), path));
  }

  private static String task(int n) {
    return "t" + n;
  }

  @Test
  void jobsSurviveAKill9AndRunAfterRestart(Vertx vertx, VertxTestContext context)
      throws Exception {
    String db = tmp.resolve("kora.db").toString();
    child = ChildJvm.start(ChildJvm.testClassPath(), tmp.resolve("child.err").toFile(),
        CrashingNodeMain.class.getName(), db);
    Map<String, List<Integer>> runs = new ConcurrentHashMap<>();
    Set<String> all = new TreeSet<>();
    for (int n = 0; n < TASKS; n++) {
      all.add(task(n));
    }
    child.awaitLine(vertx, 60_000, "the child node to serve", line -> line.startsWith("PORT "))
        .compose(line -> TestSocket.connect(vertx, Integer.parseInt(line.substring(5)),
            TestSocket.PATIENT_TIMEOUT_MS))
        .compose(client -> {
          // A client creates the jobs: each "ok" means the task and its job are durable.
          List<Future<Void>> writes = new ArrayList<>();
          for (int n = 0; n < TASKS; n++) {
            writes.add(client.mutate(Mutation.merge(Path.of("tasks", task(n)),
                new JsonObject().put("n", n)).toJson()));
          }
          return Future.all(writes);
        })
        // Kill it while every job is in flight: even ones hang in their first run, odd ones have
        // failed at least once and wait for a retry.
        .compose(v -> child.awaitLines(vertx, 30_000, "a run of every job and a retry of the odd",
            lines -> {
              for (int n = 0; n < TASKS; n++) {
                if (!lines.contains("ATTEMPT " + task(n) + (n % 2 == 0 ? " 1" : " 2"))) {
                  return false;
                }
              }
              return true;
            }))
        .compose(v -> child.kill(vertx))
        .map(status -> {
          assertEquals(137, status, "killed by SIGKILL");
          return null;
        })
        // A new node on the same file, whose handler works: it records every run.
        .compose(v -> KoraNode.deploy(vertx, new KoraNodeOptions().setListen(false)
            .setStore(new StoreOptions().setUrl("sqlite:" + db))
            .addPlugin(new TaskJobsPlugin((args, attempt) -> {
              runs.computeIfAbsent(args.getString("id"), id -> new CopyOnWriteArrayList<>())
                  .add(attempt);
              return Future.succeededFuture();
            }))))
        .compose(node -> Eventually.poll(vertx, 20_000, "every job to run after the restart",
                () -> stored(node, JOBS).map(jobs -> jobs == null && runs.keySet().containsAll(all)),
                done -> done)
            .compose(v -> stored(node, Path.of("tasks"))))
        .map(tasks -> {
          assertEquals(all, ((JsonObject) tasks).fieldNames());
          assertEquals(all, new TreeSet<>(runs.keySet()));
          for (int n = 0; n < TASKS; n++) {
            List<Integer> attempts = runs.get(task(n));
            // One successful run each; the odd ones remember the failed attempts before the kill.
            assertEquals(1, attempts.size(), task(n) + " ran " + attempts);
            assertTrue(n % 2 == 0 ? attempts.get(0) >= 1 : attempts.get(0) >= 2,
                task(n) + " resumed at attempt " + attempts.get(0));
          }
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void aJobThatKeepsFailingIsKeptAsFailedWithItsLastError(Vertx vertx, VertxTestContext context) {
    String db = tmp.resolve("kora.db").toString();
    AtomicInteger tries = new AtomicInteger();
    AtomicInteger runsAfterRestart = new AtomicInteger();
    KoraNodeOptions options = new KoraNodeOptions().setListen(false)
        .setStore(new StoreOptions().setUrl("sqlite:" + db))
        .setJobMaxAttempts(3).setJobBackoffMs(5);
    JsonObject[] failed = new JsonObject[1];
    KoraNode.deploy(vertx, new KoraNodeOptions(options).addPlugin(new TaskJobsPlugin(
            (args, attempt) -> {
              tries.incrementAndGet();
              return Future.failedFuture("boom " + attempt);
            })))
        .compose(node -> node.merge(Path.of("tasks", "t1"), new JsonObject().put("n", 1))
            .compose(v -> Eventually.poll(vertx, 10_000, "the job to be kept as failed",
                () -> stored(node, JOBS), jobs -> jobs instanceof JsonObject json
                    && json.size() == 1 && json.stream().allMatch(e ->
                        "failed".equals(((JsonObject) e.getValue()).getString("state")))))
            .compose(jobs -> {
              failed[0] = (JsonObject) jobs;
              return vertx.undeploy(node.nodeContext().deploymentID());
            }))
        .compose(v -> {
          JsonObject job = (JsonObject) failed[0].iterator().next().getValue();
          assertEquals(TaskJobsPlugin.JOB, job.getString("name"));
          assertEquals(new JsonObject().put("id", "t1"), new JsonObject(job.getString("args")));
          assertEquals(3, job.getInteger("attempts"));
          assertEquals("boom 3", job.getString("last_error"));
          assertEquals(3, tries.get());
          // A restart does not run a failed job again: it stays for an operator to look at.
          return KoraNode.deploy(vertx, new KoraNodeOptions(options).addPlugin(
              new TaskJobsPlugin((args, attempt) -> {
                runsAfterRestart.incrementAndGet();
                return Future.succeededFuture();
              })));
        })
        .compose(node -> stored(node, JOBS))
        .map(jobs -> {
          assertEquals(failed[0], jobs);
          assertEquals(0, runsAfterRestart.get());
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }
}
