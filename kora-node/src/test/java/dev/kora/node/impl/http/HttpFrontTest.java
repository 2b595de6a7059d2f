package dev.kora.node.impl.http;

import static dev.kora.node.impl.http.RawHttp.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.interceptors.Interceptor;
import dev.kora.interceptors.KoraPlugin;
import dev.kora.interceptors.PathPattern;
import dev.kora.interceptors.QueryLayer;
import dev.kora.interceptors.Resolution;
import dev.kora.interceptors.Session;
import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import dev.kora.node.TestNodes;
import dev.kora.testkit.TestSocket;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The node's HTTP front through raw sockets: bounded memory per connection against clients that do not
 * read, the Host and Origin checks, exact routing of {@code /tree}, HEAD, JSON 404/405, no h2c.
 */
@ExtendWith(VertxExtension.class)
class HttpFrontTest {

  private static final long BACKLOG = 64 * 1024;
  private static final String HOST = "Host: 127.0.0.1\r\n";

  private final List<RawHttp> sockets = new ArrayList<>();
  private KoraNode node;

  @AfterEach
  void closeSockets() throws Exception {
    for (RawHttp socket : sockets) {
      socket.close();
    }
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture()
        .get(TestSocket.PATIENT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  private void start(Vertx vertx, KoraNodeOptions options) throws Exception {
    node = await(TestNodes.start(vertx, options));
  }

  private RawHttp connect(int receiveBufferBytes) throws Exception {
    RawHttp socket = new RawHttp(node.actualPort(), receiveBufferBytes);
    sockets.add(socket);
    return socket;
  }

  private RawHttp connect() throws Exception {
    return connect(64 * 1024);
  }

  private static void assertError(RawHttp.Response response, int status, String code) {
    assertEquals(status, response.status(), response.body());
    assertTrue(response.header("Content-Type").startsWith("application/json"), response.body());
    JsonObject error = new JsonObject(response.body());
    assertEquals(code, error.getString("code"), response.body());
    assertTrue(!error.getString("message").isBlank(), response.body());
  }

  /** A virtual path {@code big} of a 4 MB string, which counts the reads that reach it. */
  private static KoraPlugin bigValue(AtomicInteger reads, String value) {
    return new KoraPlugin() {
      @Override
      public List<Interceptor> interceptors() {
        return List.of(new Interceptor() {
          @Override
          public PathPattern pattern() {
            return PathPattern.parse("big");
          }

          @Override
          public Resolution resolveQuery(QueryLayer layer, Session session) {
            reads.incrementAndGet();
            return Resolution.of(value);
          }
        });
      }
    };
  }

  @Test
  void pipelinedRequestsWaitWhileEarlierAnswersAreUnread(Vertx vertx) throws Exception {
    AtomicInteger reads = new AtomicInteger();
    String value = "x".repeat(4 * 1024 * 1024);
    start(vertx, TestNodes.memoryOptions().setMaxBacklogBytes(BACKLOG)
        .addPlugin(bigValue(reads, value)));
    int requests = 16;
    RawHttp client = connect(16 * 1024);
    client.send(request("GET", "/tree/big", HOST).repeat(requests));
    await(TestNodes.eventually(vertx, node, TestSocket.TIMEOUT_MS, () -> reads.get() >= 1,
        "the first request is answered"));
    // The client reads nothing: beyond what the kernel's socket buffers take (a few MB on Linux)
    // and maxBacklogBytes, the node must not answer more requests of this connection. Before the
    // bound, all 16 answers (64 MB) were produced at once, in well under the time watched here.
    long watchUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_500);
    while (System.nanoTime() < watchUntil) {
      assertTrue(reads.get() <= 4, reads.get() + " answers produced for a client that reads none");
      Thread.sleep(10);
    }
    // Once the client reads, every answer comes, whole and in order.
    for (int i = 0; i < requests; i++) {
      RawHttp.Response response = client.read();
      assertEquals(200, response.status());
      assertEquals(value, Json.decodeValue(response.body()), "answer " + i);
    }
    assertEquals(requests, reads.get());
  }

  @Test
  void anEventStreamWhoseClientStopsReadingIsClosed(Vertx vertx) throws Exception {
    start(vertx, TestNodes.memoryOptions().setMaxBacklogBytes(BACKLOG));
    RawHttp stream = connect(16 * 1024);
    stream.send(request("GET", "/tree/feed", HOST + "Accept: text/event-stream\r\n"));
    await(TestNodes.eventually(vertx, node, TestSocket.TIMEOUT_MS,
        () -> TestNodes.subscriptionCount(node) == 1, "the stream is subscribed"));
    // 100 pushes of 100 KB: far more than the socket buffers and the backlog hold.
    String value = "y".repeat(100 * 1024);
    List<Future<Long>> writes = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      writes.add(node.merge(Path.of("feed", "item"), value + i));
    }
    await(Future.all(writes));
    await(TestNodes.eventually(vertx, node, TestSocket.PATIENT_TIMEOUT_MS,
        () -> TestNodes.subscriptionCount(node) == 0, "the stream is dropped"));
    long received = stream.readToEnd();
    assertTrue(received < 100L * value.length(), "closed before every push was sent: " + received);
    // Nothing stored is lost.
    JsonObject answer = await(node.query(Query.of(Path.of("feed"), QueryOptions.WHOLE))).merge();
    assertEquals(value + 99, answer.getJsonObject("feed").getString("item"));
  }

  @Test
  void hostMustNameTheLoopbackWhenTheNodeListensThere(Vertx vertx) throws Exception {
    start(vertx, TestNodes.memoryOptions());
    String port = ":" + node.actualPort();
    for (String host : List.of("127.0.0.1" + port, "localhost" + port, "LOCALHOST", "[::1]" + port,
        "[::1]", "127.0.0.1")) {
      assertEquals(200, connect().exchange(request("GET", "/tree", "Host: " + host + "\r\n"))
          .status(), host);
    }
    assertEquals(200, connect().exchange("GET /tree HTTP/1.0\r\n\r\n").status(), "no Host");
    for (String host : List.of("evil.example" + port, "evil.example", "127.0.0.1.evil.example",
        "localhost.evil.example" + port, "[::2]" + port)) {
      assertError(connect().exchange(request("GET", "/tree", "Host: " + host + "\r\n")), 403,
          "denied");
    }
    // A rebound name cannot open a WebSocket or write either.
    RawHttp.Response upgrade = connect().exchange(upgrade("Host: evil.example" + port + "\r\n"));
    assertError(upgrade, 403, "denied");
    assertError(connect().exchange(request("PATCH", "/tree/a", "Host: evil.example\r\n"
        + "Content-Type: application/json\r\nContent-Length: 1\r\n") + "1"), 403, "denied");
    assertEquals(null, await(node.query(Query.of(Path.of("a"), QueryOptions.WHOLE))).merge()
        .getValue("a"));
  }

  @Test
  void listedHostsAndOriginsAreAllowed(Vertx vertx) throws Exception {
    start(vertx, TestNodes.memoryOptions().setAllowedHosts(List.of("Kora.Example"))
        .setAllowedOrigins(List.of("http://app.example:3000")));
    assertEquals(200, connect().exchange(request("GET", "/tree", "Host: kora.example:80\r\n"))
        .status());
    assertEquals(200, connect().exchange(request("GET", "/tree", "Host: localhost\r\n")).status());
    assertError(connect().exchange(request("GET", "/tree", "Host: other.example\r\n")), 403,
        "denied");
    assertEquals(101, connect().exchange(upgrade(HOST + "Origin: http://app.example:3000\r\n"))
        .status());
    assertError(connect().exchange(upgrade(HOST + "Origin: http://app.example:3001\r\n")), 403,
        "denied");
  }

  @Test
  void starAllowsEveryHostAndOrigin(Vertx vertx) throws Exception {
    start(vertx, TestNodes.memoryOptions().setAllowedHosts(List.of("*"))
        .setAllowedOrigins(List.of("*")));
    assertEquals(101, connect().exchange(upgrade("Host: any.example\r\n"
        + "Origin: http://evil.example\r\n")).status());
  }

  private static String upgrade(String headers) {
    return request("GET", "/socket", headers + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");
  }

  @Test
  void otherOriginsAreRefusedOnEveryTransport(Vertx vertx) throws Exception {
    start(vertx, TestNodes.memoryOptions());
    String self = "127.0.0.1:" + node.actualPort();
    String evil = "Origin: http://evil.example\r\n";
    assertError(connect().exchange(upgrade(HOST + evil)), 403, "denied");
    assertError(connect().exchange(request("GET", "/tree", HOST + evil)), 403, "denied");
    assertError(connect().exchange(request("GET", "/tree/a", HOST + evil
        + "Accept: text/event-stream\r\n")), 403, "denied");
    assertError(connect().exchange(request("DELETE", "/tree/a", HOST + evil)), 403, "denied");
    assertError(connect().exchange(request("GET", "/tree", "Host: " + self + "\r\n"
        + "Origin: http://localhost:" + node.actualPort() + "\r\n")), 403, "denied");
    assertError(connect().exchange(request("GET", "/tree", HOST + "Origin: null\r\n")), 403,
        "denied");
    // No Origin (the CLI, Node.js clients) and the node's own origin are allowed.
    assertEquals(101, connect().exchange(upgrade("Host: " + self + "\r\n")).status());
    assertEquals(101, connect().exchange(upgrade("Host: " + self + "\r\nOrigin: http://" + self
        + "\r\n")).status());
    assertEquals(200, connect().exchange(request("GET", "/tree", "Host: " + self + "\r\n"
        + "Origin: http://" + self + "\r\n")).status());
  }

  @Test
  void whatIsRoutedIsWhatIsParsed(Vertx vertx) throws Exception {
    start(vertx, TestNodes.memoryOptions());
    await(node.merge(Path.of("a"), 1));
    RawHttp client = connect();
    RawHttp.Response dotted = client.exchange(request("GET", "/foo/../tree/a", HOST));
    assertEquals(200, dotted.status(), dotted.body());
    assertEquals(1, Json.decodeValue(dotted.body()), "/foo/../tree/a is /tree/a");
    assertEquals(1, Json.decodeValue(client.exchange(request("GET", "/tree/x/y/../../a", HOST))
        .body()));
    assertEquals("ok", Json.decodeValue(client.exchange(request("PATCH", "/tree/b/../c", HOST
        + "Content-Type: application/json\r\nContent-Length: 1\r\n") + "2").body()));
    JsonObject stored = await(node.query(Query.of(Path.ROOT, QueryOptions.WHOLE))).merge();
    stored.fieldNames().removeIf(key -> key.startsWith("kora:")); // the node's own rows
    assertEquals(new JsonObject().put("a", 1).put("c", 2), stored, "written at c, nowhere else");
    assertError(client.exchange(request("GET", "/treezzz", HOST)), 404, "not_found");
    assertError(client.exchange(request("GET", "/tree/../treezzz/a", HOST)), 404, "not_found");
    assertEquals(new JsonObject().put("a", 1).put("c", 2),
        new JsonObject(client.exchange(request("GET", "/tree", HOST)).body()));
  }

  @Test
  void headAnswersAsGetWithoutTheBody(Vertx vertx) throws Exception {
    start(vertx, TestNodes.memoryOptions());
    await(node.merge(Path.of("a"), new JsonObject().put("b", "c")));
    RawHttp client = connect();
    // HEAD and then GET pipelined: the GET's answer follows the HEAD's headers directly.
    client.send(request("HEAD", "/tree/a", HOST) + request("GET", "/tree/a", HOST));
    RawHttp.Response head = client.read(true);
    RawHttp.Response get = client.read();
    assertEquals(200, head.status());
    assertTrue(head.header("Content-Type").startsWith("application/json"));
    assertEquals(get.header("Content-Length"), head.header("Content-Length"));
    assertEquals("{\"b\":\"c\"}", get.body());
  }

  @Test
  void everyHttpErrorIsJson(Vertx vertx) throws Exception {
    start(vertx, TestNodes.memoryOptions());
    RawHttp client = connect();
    assertError(client.exchange(request("GET", "/elsewhere", HOST)), 404, "not_found");
    assertError(client.exchange(request("GET", "/socket", HOST)), 404, "not_found");
    assertError(client.exchange(request("GET", "/", HOST)), 404, "not_found");
    RawHttp.Response post = client.exchange(request("POST", "/tree/a", HOST
        + "Content-Length: 1\r\n") + "1");
    assertError(post, 405, "method_not_allowed");
    assertEquals("GET, HEAD, PATCH, PUT, DELETE", post.header("Allow"));
  }

  @Test
  void http2OverCleartextIsNotSpoken(Vertx vertx) throws Exception {
    start(vertx, TestNodes.memoryOptions());
    RawHttp.Response upgrade = connect().exchange(request("GET", "/tree", HOST
        + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
        + "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"));
    assertEquals(200, upgrade.status(), "answered over HTTP/1.1, not switched to h2c");
    assertEquals(new JsonObject(), new JsonObject(upgrade.body()));
    // The prior-knowledge preface is no HTTP/2 connection either: a refusal in HTTP/1's text
    // status line (not HTTP/2's binary SETTINGS frame).
    RawHttp.Response preface = connect().exchange("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    assertTrue(preface.status() >= 400, "status " + preface.status());
  }
}
