package dev.kora.cli.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

  private static JsonObject json(String text) {
    return new JsonObject(text);
  }

  private static Future<Long> write(TestSocket socket, String mutation) {
    return socket.request("kora.mutation", json(mutation))
        .map(body -> ((JsonObject) body).getLong("version"));
  }

  private static Future<Void> check(Runnable assertions) {
    try {
      assertions.run();
      return Future.succeededFuture();
    } catch (Throwable e) {
      return Future.failedFuture(e);
    }
  }

  @Test
  void versionsAndIdsOutliveARestart(Vertx vertx, VertxTestContext ctx) throws Exception {
    File dir = Files.createTempDirectory("kora-changelog").toFile();
    KoraNodeOptions options = new KoraNodeOptions().setPort(0)
        .setStore(new StoreOptions().setUrl("sqlite:" + new File(dir, "kora.db")));
    JsonObject body = json("{\"merge\": {\"a\": {\"b\": 1}}, \"id\": \"c:1\"}");
    long[] first = new long[2];
    KoraNode.deploy(vertx, options)
        .compose(node -> TestSocket.connect(vertx, node.actualPort())
            .compose(socket -> write(socket, "{\"merge\": {\"a\": {\"x\": 0}}}")
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
                  return write(socket, "{\"merge\": {\"a\": {\"c\": 1}}}");
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

}
