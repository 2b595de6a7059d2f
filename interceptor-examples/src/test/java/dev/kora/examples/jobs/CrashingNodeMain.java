package dev.kora.examples.jobs;

import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import dev.kora.storage.StoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * The node {@link JobDurabilityTest} kills: a child JVM serving on a free port over the SQLite file
 * given as the only argument, with {@link TaskJobsPlugin} whose jobs never succeed here — jobs of even
 * tasks ({@code t0}, {@code t2}, ...) hang, jobs of odd tasks fail and are retried every few ms. It
 * prints {@code PORT <port>} once it serves and {@code ATTEMPT <task> <attempt>} for every run of a
 * job, then runs until it is killed.
 */
public final class CrashingNodeMain {

  private CrashingNodeMain() {
  }

  /**
   * @param args the SQLite file
   */
  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    TaskJobsPlugin plugin = new TaskJobsPlugin((job, attempt) -> {
      String id = job.getString("id");
      say("ATTEMPT " + id + " " + attempt);
      int number = Integer.parseInt(id.substring(1));
      if (number % 2 == 0) {
        return Promise.<Void>promise().future();
      }
      return Future.failedFuture("the mail server is down (attempt " + attempt + ")");
    });
    KoraNode node = KoraNode.deploy(vertx, new KoraNodeOptions().setPort(0)
            .setStore(new StoreOptions().setUrl("sqlite:" + args[0]))
            .setJobMaxAttempts(1_000).setJobBackoffMs(20)
            .addPlugin(plugin))
        .await();
    say("PORT " + node.actualPort());
    Thread.currentThread().join();
  }

  private static synchronized void say(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
