package dev.kora.node.impl.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.node.KoraNode;
import dev.kora.node.TestNodes;
import dev.kora.testkit.TestSocket;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The WebSocket layer of {@code /socket} served by {@link SocketEndpoint} (Netty's codec under Kora's
 * connection): the RFC 6455 control frames, extension negotiation and fragmentation, seen by a real
 * client over a real connection. Public, with the node's Vert.x instance as a hook, for kora-cli's
 * run of the same tests on the native transport.
 */
@ExtendWith(VertxExtension.class)
public class SocketEndpointTest {

  private static final int LIMIT = 16 * 1024;

  protected KoraNode node;
  /** The Vert.x instance the node runs in; the clients use the test's. */
  protected Vertx nodeVertx;
  /** The WebSocket clients {@link #connect} made. */
  private final List<WebSocketClient> clients = new ArrayList<>();

  /**
   * @param testVertx the test's Vert.x instance
   * @return the Vert.x instance to run the node in; the test's own here
   */
  protected Vertx nodeVertx(Vertx testVertx) {
    return testVertx;
  }

  @BeforeEach
  void start(Vertx vertx, VertxTestContext context) {
    nodeVertx = nodeVertx(vertx);
    TestNodes.start(nodeVertx, TestNodes.memoryOptions().setMaxFrameBytes(LIMIT))
        .onComplete(context.succeeding(started -> {
          node = started;
          context.completeNow();
        }));
  }

  /**
   * Opens a WebSocket with a client of its own, kept referenced until the test ends: Vert.x 5 closes
   * a client, and its connections, once the client object becomes unreachable, which a client made
   * and dropped in one expression is as soon as a garbage collection runs.
   */
  Future<WebSocket> connect(Vertx vertx, WebSocketClientOptions options) {
    WebSocketClient client = vertx.createWebSocketClient(options);
    clients.add(client);
    return client.connect(new WebSocketConnectOptions()
        .setHost("127.0.0.1").setPort(node.actualPort()).setURI("/socket"));
  }

  @AfterEach
  void closeClients() {
    clients.forEach(WebSocketClient::close);
  }

  @Test
  void aPingIsAnsweredWithAPongOfTheSameData(Vertx vertx, VertxTestContext context) {
    Promise<Buffer> pong = Promise.promise();
    connect(vertx, new WebSocketClientOptions()).compose(socket -> {
      socket.pongHandler(pong::tryComplete);
      return socket.writePing(Buffer.buffer("are you there"));
    }).compose(v -> pong.future()).onComplete(context.succeeding(data -> context.verify(() -> {
      assertEquals("are you there", data.toString());
      context.completeNow();
    })));
  }

  @Test
  void aCloseFrameIsAnsweredAndTheSubscriptionsOfTheConnectionAreDropped(Vertx vertx,
      VertxTestContext context) {
    Promise<Short> closed = Promise.promise();
    TestSocket.connect(vertx, node.actualPort()).compose(client ->
        client.request("kora.subscribe", new JsonObject().put("watched", new JsonObject()))
            .compose(v -> TestNodes.eventually(vertx, node, 5_000,
                () -> TestNodes.subscriptionCount(node) == 1, "subscribed"))
            .compose(v -> client.close())
            .compose(v -> client.closed()))
        .compose(status -> {
          closed.complete(status);
          return TestNodes.eventually(vertx, node, 5_000,
              () -> TestNodes.subscriptionCount(node) == 0, "subscription dropped");
        })
        .onComplete(context.succeeding(v -> context.verify(() -> {
          assertEquals((short) 1000, closed.future().result(), "the node answered the close frame");
          context.completeNow();
        })));
  }

  @Test
  void compressionOfferedByTheClientIsNotNegotiated(Vertx vertx, VertxTestContext context) {
    WebSocketClientOptions options = new WebSocketClientOptions()
        .setTryUsePerMessageCompression(true).setTryUsePerFrameCompression(true);
    connect(vertx, options).compose(socket -> {
      assertNull(socket.headers().get("Sec-WebSocket-Extensions"), "no extension accepted");
      Promise<String> reply = Promise.promise();
      socket.textMessageHandler(reply::tryComplete);
      return socket.writeTextMessage("{\"type\":\"call\",\"key\":1,\"action\":\"kora.ping\"}")
          .compose(v -> reply.future());
    }).onComplete(context.succeeding(reply -> context.verify(() -> {
      assertEquals("reply", new JsonObject(reply).getString("type"));
      context.completeNow();
    })));
  }

  @Test
  void aReplyLongerThanOneFrameArrivesInContinuationFrames(Vertx vertx, VertxTestContext context) {
    // The node sends frames of at most twice its limit (2 x 16 KiB here); a 100 KB value is answered
    // in several frames, which the client joins into one message.
    String value = "v".repeat(100_000);
    WebSocketClientOptions options = new WebSocketClientOptions()
        .setMaxFrameSize(2 * LIMIT).setMaxMessageSize(1024 * 1024);
    TestSocket.connect(vertx, node.actualPort(), options).compose(client -> node.mutate(
            dev.kora.tree.Mutation.merge(dev.kora.tree.Path.of("big"), value),
            dev.kora.interceptors.Session.internal())
        .compose(version -> client.request("kora.query", new JsonObject().put("big",
            new JsonObject()))))
        .onComplete(context.succeeding(body -> context.verify(() -> {
          String answer = TestSocket.abbreviate(String.valueOf(body));
          Object big = ((JsonObject) body).getJsonObject("merge").getValue("big");
          assertTrue(value.equals(big), "the whole value came back: " + answer);
          assertTrue(value.length() > 2 * LIMIT);
          context.completeNow();
        })));
  }

  @Test
  void connectionsAreClosedWhenTheNodeStops(Vertx vertx, VertxTestContext context) {
    TestSocket.connect(vertx, node.actualPort())
        .compose(client -> nodeVertx.undeploy(node.deploymentID()).compose(v -> client.closed()))
        .onComplete(context.succeeding(status -> context.verify(() -> {
          assertTrue(status != null, "closed");
          context.completeNow();
        })));
  }

  /**
   * One commit pushed to more connections than {@link SocketFlusher#CONNECTIONS_PER_TURN} is flushed
   * in several turns; the connections of the later turns get their pushes too, and a second commit
   * written while the turns go on reaches every connection after the first, in order.
   */
  @Test
  void aPushToMoreConnectionsThanOneFlushTurnReachesThemAllInOrder(Vertx vertx,
      VertxTestContext context) {
    int count = 3 * SocketFlusher.CONNECTIONS_PER_TURN + 5;
    List<Future<TestSocket>> subscribed = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      subscribed.add(TestSocket.connect(vertx, node.actualPort()).compose(client -> client
          .request("kora.subscribe", new JsonObject().put("feed", new JsonObject()))
          .map(client)));
    }
    Future.all(subscribed).compose(all -> {
      Future<Long> first = node.merge(Path.of("feed", "n"), "first");
      Future<Long> second = node.merge(Path.of("feed", "n"), "second");
      List<Future<List<String>>> received = new ArrayList<>();
      for (TestSocket client : all.<TestSocket>list()) {
        received.add(client.nextCast().compose(one -> client.nextCast().map(two -> List.of(
            one.getJsonObject("body").getJsonObject("merge").getJsonObject("feed").getString("n"),
            two.getJsonObject("body").getJsonObject("merge").getJsonObject("feed").getString("n")))));
      }
      return Future.all(first, second).compose(v -> Future.all(received))
          .onSuccess(pushes -> context.verify(() -> {
            for (List<String> values : pushes.<List<String>>list()) {
              assertEquals(List.of("first", "second"), values);
            }
            assertEquals(count, pushes.size());
          }))
          .eventually(() -> Future.join(all.<TestSocket>list().stream().map(TestSocket::close)
              .collect(Collectors.toList())));
    }).onComplete(context.succeedingThenComplete());
  }
}
