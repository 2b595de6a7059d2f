package dev.kora.node.impl.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import dev.kora.node.TestNodes;
import dev.kora.testkit.PingFlood;
import dev.kora.testkit.RawWebSocket;
import dev.kora.testkit.TestSocket;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Clients that break RFC 6455 or try to make the node hold memory or sockets forever, over real
 * connections: each close the node decides on sends a close frame with the status of its reason
 * before the TCP connection ends (1002, 1007, 1008, 1009, 1001), a client that pings without reading
 * stops being read, and error messages stay small and count bytes.
 */
class HostileClientTest {

  private static final int LIMIT = 16 * 1024;

  private Vertx vertx;
  private KoraNode node;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() {
    vertx.close().await();
  }

  private int start(KoraNodeOptions options) {
    node = TestNodes.start(vertx, options.setMaxFrameBytes(LIMIT)).await();
    return node.actualPort();
  }

  private int start() {
    return start(TestNodes.memoryOptions());
  }

  @Test
  void textThatIsNotUtf8IsClosedWith1007() throws IOException {
    int port = start();
    try (RawWebSocket client = RawWebSocket.connect(port)) {
      // 0xC3 must be followed by a continuation byte (10xxxxxx); '(' is not one.
      client.writeFrame(true, RawWebSocket.TEXT, new byte[] {'"', (byte) 0xC3, '(', '"'});
      assertEquals(1007, client.awaitClose());
    }
  }

  @Test
  void aFragmentedMessageNeverFinishedIsClosedWith1008() throws IOException {
    int port = start(TestNodes.memoryOptions().setFragmentedMessageTimeoutMs(300));
    try (RawWebSocket client = RawWebSocket.connect(port)) {
      byte[] part = new byte[8 * 1024];
      Arrays.fill(part, (byte) 'x');
      client.writeFrame(false, RawWebSocket.TEXT, part);
      client.writeFrame(false, RawWebSocket.CONTINUATION, part);
      RawWebSocket.Frame close = client.awaitCloseFrame();
      assertNotNull(close, "a close frame, not just the end of the connection");
      assertEquals(1008, close.closeStatus());
      assertTrue(close.text().contains("not finished within 300 ms"), close.text());
      assertTrue(client.endedByPeer(), "the node closes the connection after its close frame");
    }
  }

  @Test
  void aFragmentedMessageFinishedInTimeIsAnswered() throws IOException {
    int port = start(TestNodes.memoryOptions().setFragmentedMessageTimeoutMs(5_000));
    try (RawWebSocket client = RawWebSocket.connect(port)) {
      client.writeFrame(false, RawWebSocket.TEXT,
          "{\"type\":\"call\",\"key\":1,".getBytes(StandardCharsets.UTF_8));
      client.writeFrame(true, RawWebSocket.CONTINUATION,
          "\"action\":\"kora.ping\"}".getBytes(StandardCharsets.UTF_8));
      RawWebSocket.Frame reply = client.readFrame();
      assertEquals("reply", new JsonObject(reply.text()).getString("type"));
    }
  }

  @Test
  void aFrameOverTheHardLimitIsClosedWith1009() throws IOException {
    int port = start();
    try (RawWebSocket client = RawWebSocket.connect(port)) {
      client.writeFrame(true, RawWebSocket.TEXT, new byte[2 * LIMIT + 1]);
      assertEquals(1009, client.awaitClose());
    }
  }

  @Test
  void aMessageOfSeveralFramesOverTheHardLimitIsClosedWith1009() throws IOException {
    int port = start();
    try (RawWebSocket client = RawWebSocket.connect(port)) {
      byte[] part = new byte[LIMIT];
      Arrays.fill(part, (byte) ' ');
      client.writeFrame(false, RawWebSocket.TEXT, part);
      client.writeFrame(false, RawWebSocket.CONTINUATION, part);
      client.writeFrame(true, RawWebSocket.CONTINUATION, part);
      assertEquals(1009, client.awaitClose());
    }
  }

  @Test
  void anUnmaskedFrameIsAProtocolErrorClosedWith1002() throws IOException {
    int port = start();
    try (RawWebSocket client = RawWebSocket.connect(port)) {
      client.writeRaw(RawWebSocket.frame(true, RawWebSocket.TEXT,
          "{}".getBytes(StandardCharsets.UTF_8), false));
      assertEquals(1002, client.awaitClose());
    }
  }

  @Test
  void anIdleConnectionWithoutSubscriptionsIsClosedWith1001AndOneWithASubscriptionStays() {
    int port = start(TestNodes.memoryOptions().setWebSocketIdleTimeoutMs(300));
    TestSocket idle = TestSocket.connect(vertx, port).await();
    TestSocket subscribed = TestSocket.connect(vertx, port).await();
    subscribed.request("kora.subscribe", new JsonObject().put("feed", new JsonObject())).await();
    assertEquals((short) 1001, idle.closed().await(), "closed for idleness with status 1001");
    // The subscribed one has been idle as long (and longer after this timer): still served.
    vertx.timer(600).await();
    assertTrue(!subscribed.isClosed(), "a connection holding a subscription is never idle");
    subscribed.roundTrip().await();
    subscribed.close().await();
  }

  /**
   * A client that sends pings and never reads the pongs: the node stops reading from it once its
   * pongs fill the connection's output (the channel is not writable), so the client's writes block
   * after a bounded amount instead of the node buffering a pong for every ping. Before, the node
   * read everything and kept every pong (2 GB in 10 s against {@code kora serve}).
   */
  @Test
  void aClientThatPingsWithoutReadingStopsBeingRead() throws Exception {
    long flood = 48L * 1024 * 1024;
    int port = start(TestNodes.memoryOptions().setMaxBacklogBytes(4L * 1024 * 1024));
    try (RawWebSocket flooder = RawWebSocket.connect(port)) {
      PingFlood pings = PingFlood.start(flooder, flood);
      long stalledAt = pings.awaitStall(vertx, 30_000);
      flooder.close();
      pings.join();
      assertTrue(stalledAt < flood / 2, "the node stopped reading after " + stalledAt
          + " bytes of pings; a client that reads nothing must not get " + flood + " through");
      TestSocket other = TestSocket.connect(vertx, port).await();
      other.roundTrip().await();
      other.close().await();
    }
  }

  @Test
  void aFrameOverTheLimitIsMeasuredInBytes() {
    int port = start();
    TestSocket client = TestSocket.connect(vertx, port).await();
    // 6,000 characters of 3 UTF-8 bytes each: 18,000 bytes, over 16,384 though fewer characters.
    String body = "\u20ac".repeat(6_000);
    String message = client.refused("kora.ping", body, "too_large").await();
    int bytes = new JsonObject().put("type", "call").put("key", 1).put("action", "kora.ping")
        .put("body", body).encode().getBytes(StandardCharsets.UTF_8).length;
    assertEquals("frame of " + bytes + " bytes exceeds the limit of " + LIMIT + " bytes", message);
    client.close().await();
  }

  @Test
  void anUnknownActionsNameIsCutInTheErrorMessage() {
    int port = start();
    TestSocket client = TestSocket.connect(vertx, port).await();
    String name = "a".repeat(10_000);
    String message = client.refused(name, null, "unknown_action").await();
    assertEquals("unknown action '" + "a".repeat(100) + "…'", message);
    client.close().await();
  }

  /** A slow subscriber dropped for its backlog gets a close frame with 1008 behind what waited. */
  @Test
  void aClientOverItsBacklogGetsACloseFrameOnceItReadsAgain() {
    int port = start(TestNodes.memoryOptions().setMaxBacklogBytes(256 * 1024));
    TestSocket slow = TestSocket.connect(vertx, port).await();
    slow.request("kora.subscribe", new JsonObject().put("feed", new JsonObject())).await();
    slow.pauseReading();
    // 3,000 pushes of 10 KB: far more than the socket buffers and the backlog hold.
    String value = "x".repeat(10_000);
    for (int i = 0; i < 3_000; i++) {
      node.merge(dev.kora.tree.Path.of("feed", "item"), value + i);
    }
    TestNodes.eventually(vertx, node, 20_000, () -> TestNodes.subscriptionCount(node) == 0,
        "the slow client dropped").await();
    slow.resumeReading();
    assertEquals((short) 1008, slow.closed().await());
  }
}
