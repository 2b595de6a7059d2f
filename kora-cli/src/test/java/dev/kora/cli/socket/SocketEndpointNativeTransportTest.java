package dev.kora.cli.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.cli.NodeVertx;
import dev.kora.node.impl.socket.SocketEndpointTest;
import dev.kora.testkit.TestSocket;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * kora-node's {@link SocketEndpointTest} again, with the node in the Vert.x instance
 * {@code kora serve} uses ({@link NodeVertx}: Netty's native epoll transport), so that the endpoint's
 * use of Netty channels is checked on the transport stand-alone nodes run on; plus a push through it.
 * The clients stay on Vert.x's NIO transport.
 */
class SocketEndpointNativeTransportTest extends SocketEndpointTest {

  @Override
  protected Vertx nodeVertx(Vertx testVertx) {
    return NodeVertx.create();
  }

  @AfterEach
  void closeNodeVertx() throws Exception {
    nodeVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void theNodeRunsOnTheNativeTransportOnLinux() {
    String os = System.getProperty("os.name");
    String arch = System.getProperty("os.arch");
    if (os.startsWith("Linux") && (arch.equals("amd64") || arch.equals("aarch64"))) {
      assertTrue(nodeVertx.isNativeTransportEnabled(),
          "epoll is shipped for " + arch + ": " + nodeVertx.unavailableNativeTransportCause());
    }
  }

  @Test
  void aSubscriberGetsThePushOfAnotherClientsMutation(Vertx vertx, VertxTestContext context) {
    TestSocket.connect(vertx, node.actualPort()).compose(watcher ->
        watcher.request("kora.subscribe", new JsonObject().put("watched", new JsonObject()))
            .compose(v -> TestSocket.connect(vertx, node.actualPort()))
            .compose(writer -> writer.mutate(new JsonObject().put("merge", new JsonObject()
                .put("watched", new JsonObject().put("a", 1)))))
            .compose(v -> watcher.nextCast()))
        .onComplete(context.succeeding(push -> context.verify(() -> {
          assertEquals("kora.mutation", push.getString("action"));
          assertEquals(new JsonObject().put("watched", new JsonObject().put("a", 1)),
              push.getJsonObject("body").getJsonObject("merge"));
          context.completeNow();
        })));
  }
}
