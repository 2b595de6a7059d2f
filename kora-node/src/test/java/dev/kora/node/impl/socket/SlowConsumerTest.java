package dev.kora.node.impl.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kora.node.KoraNode;
import dev.kora.node.TestNodes;
import dev.kora.testkit.TestSocket;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A client that stops reading while pushes keep coming is disconnected once more than
 * {@code maxBacklogBytes} wait for it, instead of growing the node's memory without bound; the node and
 * its other clients carry on, and nothing stored is lost.
 */
@ExtendWith(VertxExtension.class)
class SlowConsumerTest {

  private static final long BACKLOG = 256 * 1024;

  @Test
  void aClientThatStopsReadingIsDisconnectedAndTheOthersCarryOn(Vertx vertx,
      VertxTestContext context) {
    String value = "x".repeat(10_000);
    TestNodes.start(vertx, TestNodes.memoryOptions().setMaxBacklogBytes(BACKLOG))
        .compose(node -> TestSocket.connect(vertx, node.actualPort()).compose(slow ->
            TestSocket.connect(vertx, node.actualPort()).compose(reader -> slow
                .request("kora.subscribe", new JsonObject().put("feed", new JsonObject()))
                .compose(v -> {
                  slow.pauseReading();
                  // 3,000 pushes of 10 KB: far more than the socket buffers and the backlog hold.
                  List<Future<Long>> writes = new ArrayList<>();
                  for (int i = 0; i < 3_000; i++) {
                    writes.add(node.merge(Path.of("feed", "item"), value + i));
                  }
                  return Future.all(writes);
                })
                .compose(v -> TestNodes.eventually(vertx, node, 10_000,
                    () -> TestNodes.subscriptionCount(node) == 0, "the slow client dropped"))
                .compose(v -> reader.request("kora.query",
                    new JsonObject().put("feed", new JsonObject())))
                .map(body -> {
                  assertEquals(value + 2999, ((JsonObject) body).getJsonObject("merge")
                      .getJsonObject("feed").getString("item"), "every write stored");
                  return node;
                })
                .eventually(() -> Future.join(slow.close(), reader.close())))))
        .onComplete(context.succeedingThenComplete());
  }
}
