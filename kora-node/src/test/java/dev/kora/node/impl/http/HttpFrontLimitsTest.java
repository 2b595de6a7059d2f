package dev.kora.node.impl.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.node.KoraNodeOptions;
import dev.kora.node.TestNodes;
import dev.kora.testkit.RawWebSocket;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The HTTP port's defences against clients that hold sockets without using them, over raw TCP
 * connections: the head of a request (an upgrade request too) must arrive within
 * {@code requestHeaderTimeoutMs}, and one address holds at most {@code maxConnectionsPerAddress}
 * connections, beyond which it is answered 503 {@code too_many_connections}.
 */
@ExtendWith(VertxExtension.class)
class HttpFrontLimitsTest {

  private static final Pattern CONTENT_LENGTH = Pattern.compile("(?i)content-length: *(\\d+)");

  private int start(Vertx vertx, KoraNodeOptions options) {
    return TestNodes.start(vertx, options).await().actualPort();
  }

  @Test
  void halfAnUpgradeRequestIsClosedAfterTheRequestHeaderTimeout(Vertx vertx) throws IOException {
    int port = start(vertx, TestNodes.memoryOptions().setRequestHeaderTimeoutMs(300));
    try (RawWebSocket half = RawWebSocket.open(port);
        RawWebSocket silent = RawWebSocket.open(port)) {
      String request = RawWebSocket.upgradeRequest(port);
      half.writeRaw(request.substring(0, request.length() / 2)
          .getBytes(StandardCharsets.US_ASCII));
      assertTrue(half.endedByPeer(), "half an upgrade request: closed");
      assertTrue(silent.endedByPeer(), "a connection that sends nothing: closed");
    }
  }

  @Test
  void aClientTricklingItsRequestHeadIsClosedThoughItKeepsSending(Vertx vertx) throws Exception {
    int port = start(vertx, TestNodes.memoryOptions().setRequestHeaderTimeoutMs(300));
    try (RawWebSocket slow = RawWebSocket.open(port)) {
      byte[] request = RawWebSocket.upgradeRequest(port).getBytes(StandardCharsets.US_ASCII);
      long start = System.nanoTime();
      // One byte every 50 ms for at most 3 s: the node hears from it all the time, but never a
      // whole head. Writing fails soon after the node has closed the connection.
      try {
        for (int i = 0; i < request.length - 4 && System.nanoTime() - start < 3_000_000_000L;
            i++) {
          slow.writeRaw(new byte[] {request[i]});
          vertx.timer(50).await();
        }
      } catch (IOException closedByNode) {
        // Expected: the connection was closed.
      }
      assertTrue(slow.endedByPeer(), "closed while it was still trickling");
      assertTrue(System.nanoTime() - start < 5_000_000_000L, "closed well before 5 s");
    }
  }

  @Test
  void aWebSocketAndKeptAliveRequestsOutliveTheRequestHeaderTimeout(Vertx vertx)
      throws IOException {
    int port = start(vertx, TestNodes.memoryOptions().setRequestHeaderTimeoutMs(500));
    try (RawWebSocket socket = RawWebSocket.connect(port);
        RawWebSocket http = RawWebSocket.open(port)) {
      assertEquals(200, get(http, port, "/tree/a").status());
      vertx.timer(300).await();
      assertEquals(200, get(http, port, "/tree/a").status(), "the clock restarts per request");
      vertx.timer(1_000).await();
      socket.writeFrame(true, RawWebSocket.PING, new byte[] {7});
      RawWebSocket.Frame pong = socket.readFrame();
      assertEquals(RawWebSocket.PONG, pong.opcode(), "an accepted WebSocket is no longer timed");
      assertTrue(http.endedByPeer(), "an idle kept-alive connection is closed in the end");
    }
  }

  @Test
  void connectionsOverThePerAddressCapAreAnswered503AndClosed(Vertx vertx) throws IOException {
    int port = start(vertx, TestNodes.memoryOptions().setMaxConnectionsPerAddress(3));
    List<RawWebSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        held.add(RawWebSocket.connect(port));
      }
      try (RawWebSocket refused = RawWebSocket.open(port)) {
        Response response = get(refused, port, "/tree/a");
        assertEquals(503, response.status(), response.head());
        JsonObject body = new JsonObject(response.body());
        assertEquals("too_many_connections", body.getString("code"));
        assertTrue(body.getString("message").contains("127.0.0.1"), body.encode());
        assertTrue(refused.endedByPeer());
      }
      held.remove(0).close();
      // Once one closes, the address may connect again (its close is seen asynchronously).
      Response again = null;
      for (int i = 0; i < 100 && (again == null || again.status() == 503); i++) {
        try (RawWebSocket next = RawWebSocket.open(port)) {
          again = get(next, port, "/tree/a");
        }
      }
      assertEquals(200, again.status(), again.head());
    } finally {
      held.forEach(RawWebSocket::close);
    }
  }

  private record Response(int status, String head, String body) {
  }

  private static Response get(RawWebSocket client, int port, String path) throws IOException {
    client.writeRaw(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    String head = client.readHttpHead();
    Matcher length = CONTENT_LENGTH.matcher(head);
    String body = length.find() ? new String(client.readBytes(Integer.parseInt(length.group(1))),
        StandardCharsets.UTF_8) : "";
    return new Response(Integer.parseInt(head.substring(9, 12)), head, body);
  }
}
