package dev.kora.node;

import static dev.kora.testkit.Checks.check;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kora.testkit.TestSocket;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code maxAnswerBytes}: a client's read whose answer would be larger is refused with
 * {@code too_large} (413 over REST) instead of being assembled in memory; pages of it and the
 * server's own reads go through.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class AnswerLimitTest {


  @Test
  void anAnswerOverTheLimitIsRefusedAndPagesAreNot(Vertx vertx, VertxTestContext ctx) {
    JsonObject big = new JsonObject();
    for (int i = 0; i < 100; i++) {
      big.put(String.format("k%03d", i), "x".repeat(50));
    }
    // Held until the end: Vert.x closes an HTTP client, and its connections, once unreachable.
    HttpClient http = vertx.createHttpClient();
    TestNodes.start(vertx, TestNodes.memoryOptions().setMaxAnswerBytes(2_000))
        .compose(node -> node.merge(Path.of("big"), big)
            .compose(v -> TestSocket.connect(vertx, node.actualPort()))
            .compose(socket -> socket.refused("kora.query", new JsonObject()
                    .put("big", new JsonObject()), ErrorCode.TOO_LARGE)
                .compose(message -> check(() -> assertEquals(true,
                    message.contains("maxAnswerBytes"), message)))
                .compose(v -> socket.refused("kora.subscribe", new JsonObject()
                    .put("big", new JsonObject()), ErrorCode.TOO_LARGE))
                .compose(v -> TestNodes.eventually(vertx, node, 2_000,
                    () -> TestNodes.subscriptionCount(node) == 0, "the refused subscribe undone"))
                .compose(v -> socket.request("kora.query", new JsonObject()
                    .put("big", new JsonObject().put("limit", 10))))
                .compose(page -> check(() -> assertEquals(10, ((JsonObject) page)
                    .getJsonObject("merge").getJsonObject("big").size()))))
            .compose(v -> http.request(HttpMethod.GET, node.actualPort(),
                "127.0.0.1", "/tree/big"))
            .compose(request -> request.send())
            .compose(response -> check(() -> assertEquals(413, response.statusCode())))
            .compose(v -> node.query(Query.of(Path.of("big"), QueryOptions.WHOLE)))
            .compose(all -> check(() -> assertEquals(100, all.merge().getJsonObject("big").size(),
                "the server's own reads are not bounded"))))
        .eventually(http::close)
        .onComplete(ctx.succeedingThenComplete());
  }
}
