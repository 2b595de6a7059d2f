package dev.kora.cli.durability;

import static dev.kora.testkit.Checks.check;
import static dev.kora.testkit.TestJson.json;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kora.cli.KoraCommand;
import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import dev.kora.storage.StoreOptions;
import dev.kora.testkit.TestSocket;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.File;
import java.nio.file.Files;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Versions, mutation ids and the change log outlive a node's restart on the same SQLite file (a node
 * undeployed and deployed again in this JVM; the process tests kill real node processes).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class ChangeLogRestartTest {




  @Test
  void versionsAndIdsOutliveARestart(Vertx vertx, VertxTestContext ctx) throws Exception {
    File dir = Files.createTempDirectory("kora-changelog").toFile();
    KoraNodeOptions options = new KoraNodeOptions().setPort(0)
        .setStore(new StoreOptions().setUrl("sqlite:" + new File(dir, "kora.db")));
    JsonObject body = json("{\"merge\": {\"a\": {\"b\": 1}}, \"id\": \"c:1\"}");
    long[] first = new long[2];
    KoraNode.deploy(vertx, options)
        .compose(node -> TestSocket.connect(vertx, node.actualPort())
            .compose(socket -> socket.write("{\"merge\": {\"a\": {\"x\": 0}}}")
                .compose(v -> socket.request("kora.mutation", body.copy())))
            .compose(reply -> {
              first[0] = ((JsonObject) reply).getLong("version");
              return vertx.undeploy(node.nodeContext().deploymentID());
            }))
        .compose(v -> KoraNode.deploy(vertx, options))
        .compose(node -> TestSocket.connect(vertx, node.actualPort())
            .compose(socket -> socket.request("kora.mutation", body.copy())
                .compose(resent -> {
                  first[1] = ((JsonObject) resent).getLong("version");
                  return socket.write("{\"merge\": {\"a\": {\"c\": 1}}}");
                })
                .compose(next -> check(() -> {
                  assertEquals(2L, first[0]);
                  assertEquals(2L, first[1], "a resend after the restart answers the first"
                      + " version, from the store");
                  assertEquals(3L, next, "versions go on from the stored counter");
                }))
                .compose(v -> socket.request("kora.query", json("{\"a\": {\"since\": 1}}")))
                .compose(delta -> check(() -> assertEquals(json("{\"merge\": {\"a\": {\"b\": 1,"
                    + " \"c\": 1}}, \"delete\": {}, \"version\": 3}"), delta,
                    "the log outlives the restart too")))))
        .onComplete(ctx.succeedingThenComplete());
  }


  /** Writes three mutations through a node on {@code url}, then stops it. */
  private static Future<Long> writeThree(Vertx vertx, String url) {
    KoraNodeOptions options = new KoraNodeOptions().setPort(0)
        .setStore(new StoreOptions().setUrl(url));
    return KoraNode.deploy(vertx, options).compose(node -> TestSocket.connect(vertx,
            node.actualPort())
        .compose(socket -> socket.write("{\"merge\": {\"geo\": {\"a\": 1}}}")
            .compose(v -> socket.write("{\"merge\": {\"geo\": {\"b\": 2}}}"))
            .compose(v -> socket.write("{\"merge\": {\"other\": 3}}")))
        .compose(version -> vertx.undeploy(node.nodeContext().deploymentID()).map(version)));
  }

  /** The first version a node on {@code url} gives, and its answer to a resume since 1. */
  private static Future<JsonObject> nextVersionAndResume(Vertx vertx, String url) {
    KoraNodeOptions options = new KoraNodeOptions().setPort(0)
        .setStore(new StoreOptions().setUrl(url));
    return KoraNode.deploy(vertx, options).compose(node -> TestSocket.connect(vertx,
            node.actualPort())
        .compose(socket -> socket.write("{\"merge\": {\"geo\": {\"c\": 3}}}")
            .compose(version -> socket.request("kora.query", json("{\"geo\": {\"since\": 1}}"))
                .map(answer -> new JsonObject().put("next", version).put("resume", answer))))
        .compose(result -> vertx.undeploy(node.nodeContext().deploymentID()).map(result)));
  }

  @Test
  void copyCarriesTheVersionToTheTarget(Vertx vertx, VertxTestContext ctx) throws Exception {
    File dir = Files.createTempDirectory("kora-copy").toFile();
    String source = "sqlite:" + new File(dir, "source.db");
    String whole = "sqlite:" + new File(dir, "whole.db");
    String subtree = "sqlite:" + new File(dir, "subtree.db");
    writeThree(vertx, source)
        // the CLI blocks: run it on a plain thread, not a Vert.x one
        .compose(v -> Future.fromCompletionStage(CompletableFuture.runAsync(() -> {
          assertEquals(0, KoraCommand.commandLine().execute("copy", "--from", source,
              "--to", whole));
          assertEquals(0, KoraCommand.commandLine().execute("copy", "--from", source,
              "--to", subtree, "--at", "geo"));
        })))
        .compose(v -> nextVersionAndResume(vertx, whole))
        .compose(result -> check(() -> {
          assertEquals(4L, result.getLong("next"), "a whole copy goes on from the source's version");
          assertEquals(json("{\"merge\": {\"geo\": {\"b\": 2, \"c\": 3}}, \"delete\": {},"
              + " \"version\": 4}"), result.getJsonObject("resume"), "and carries its log");
        }))
        .compose(v -> nextVersionAndResume(vertx, subtree))
        .compose(result -> check(() -> {
          assertEquals(4L, result.getLong("next"), "a subtree copy carries the version too");
          assertEquals(Boolean.TRUE, result.getJsonObject("resume").getValue("reset"),
              "but not the log, which does not describe the copied data");
        }))
        .onComplete(ctx.succeedingThenComplete());
  }
}
