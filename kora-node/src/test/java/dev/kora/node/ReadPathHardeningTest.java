package dev.kora.node;

import dev.kora.node.core.Connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.testkit.TestSocket;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The read path under careless or hostile clients (issue 12), on a real node and real sockets over a
 * {@link ThrottledStore}: a memory store whose reads behave like a database's (a bounded pool of read
 * connections, a delay per batch of rows, failures on demand). A subscriber's big read does not hold
 * up writers; reads of clients that have gone release the read pool; a failed subscribe leaves
 * nothing behind; one connection's reads and a query's paths are bounded.
 */
class ReadPathHardeningTest {

  private Vertx vertx;
  private final String name = UUID.randomUUID().toString();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  /** A subtree of {@code leaves} leaves under {@code big}, written in one mutation. */
  private static void writeBigSubtree(KoraNode node, int leaves) {
    JsonObject big = new JsonObject();
    for (int i = 0; i < leaves; i++) {
      big.put(String.format("k%06d", i), i);
    }
    node.merge(Path.of("big"), big).await();
  }

  @Test
  void writesCommitWhileASubscriberReadsABigSubtree() {
    KoraNode node = TestNodes.start(vertx, ThrottledStore.options(name, 4, 60_000)).await();
    ThrottledStore store = ThrottledStore.named(name);
    writeBigSubtree(node, 50_000);
    store.batchDelayMs = 100; // 50 batches: the subscriber's read takes about 5 s
    TestSocket subscriber = TestSocket.connect(vertx, node.actualPort()).await();
    TestSocket writer = TestSocket.connect(vertx, node.actualPort()).await();

    Future<JsonObject> answer = subscriber.call("kora.subscribe",
        new JsonObject().put("big", new JsonObject()));
    TestNodes.eventually(vertx, node, 5_000, () -> store.openCursors.get() == 1,
        "the subscriber's read has started").await();
    long slowestMs = 0;
    for (int i = 0; i < 5; i++) {
      long started = System.nanoTime();
      writer.mutate(new JsonObject().put("merge", new JsonObject()
          .put("big", new JsonObject().put("new" + i, i)))).await();
      slowestMs = Math.max(slowestMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }
    assertFalse(answer.isComplete(), "the writes committed while the subscriber's read was still"
        + " in progress (slowest " + slowestMs + " ms)");
    assertTrue(slowestMs < 2_000, "a write took " + slowestMs + " ms");

    // The answer is the data at the registration point; the writes after it arrive as pushes,
    // after the answer, in order.
    store.batchDelayMs = 0;
    JsonObject reply = answer.toCompletionStage().toCompletableFuture()
        .orTimeout(30, TimeUnit.SECONDS).join();
    assertEquals("reply", reply.getString("type"), reply.encode());
    JsonObject data = reply.getJsonObject("body").getJsonObject("merge").getJsonObject("big");
    assertEquals(50_000, data.size());
    assertNull(data.getValue("new0"));
    for (int i = 0; i < 5; i++) {
      JsonObject push = subscriber.nextCast().await();
      assertEquals(i, push.getJsonObject("body").getJsonObject("merge").getJsonObject("big")
          .getInteger("new" + i), push.encode());
    }
    List<JsonObject> frames = subscriber.frames();
    assertEquals("reply", frames.get(0).getString("type"), "the answer precedes the pushes");
    subscriber.expectNothingMore().await();
  }

  @Test
  void readsOfClientsThatHaveGoneReleaseTheReadPool() throws Exception {
    long timeoutMs = 8_000;
    KoraNode node = TestNodes.start(vertx, ThrottledStore.options(name, 2, timeoutMs)).await();
    ThrottledStore store = ThrottledStore.named(name);
    writeBigSubtree(node, 20_000);
    node.merge(Path.of("small"), "here").await();
    store.batchDelayMs = 200; // 20 batches: each big read holds a read connection about 4 s

    List<Socket> gets = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Socket socket = new Socket("127.0.0.1", node.actualPort());
      OutputStream out = socket.getOutputStream();
      out.write("GET /tree/big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      gets.add(socket);
    }
    List<TestSocket> subscribers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      TestSocket subscriber = TestSocket.connect(vertx, node.actualPort()).await();
      subscriber.call("kora.subscribe", new JsonObject().put("big", new JsonObject()));
      subscribers.add(subscriber);
    }
    TestNodes.eventually(vertx, node, 5_000, () -> store.openCursors.get() == 2,
        "the big reads hold the read pool").await();
    for (Socket socket : gets) {
      socket.close();
    }
    for (TestSocket subscriber : subscribers) {
      subscriber.close().await();
    }

    HttpClient http = vertx.createHttpClient();
    long started = System.nanoTime();
    // the body is taken in the same chain, on the event loop, so none of it is missed
    int[] status = new int[1];
    String body = http.request(HttpMethod.GET, node.actualPort(), "127.0.0.1", "/tree/small")
        .compose(request -> request.send())
        .compose(response -> {
          status[0] = response.statusCode();
          return response.body();
        }).map(Object::toString).toCompletionStage().toCompletableFuture()
        .orTimeout(30, TimeUnit.SECONDS).join();
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    // Closed only now, which also keeps it reachable until the answer is in: Vert.x closes an HTTP
    // client, and its connections, once unreachable.
    http.close();
    assertEquals(200, status[0], body);
    assertEquals("\"here\"", body);
    assertTrue(elapsedMs < 3_000, "the small read took " + elapsedMs + " ms");
    TestNodes.eventually(vertx, node, 5_000, () -> store.openCursors.get() == 0
        && TestNodes.subscriptionCount(node) == 0, "no cursor and no subscription is left").await();
  }

  @Test
  void aFailedSubscribeLeavesNoSubscriptionAndNoPushes() {
    KoraNode node = TestNodes.start(vertx, ThrottledStore.options(name, 4, 5_000)).await();
    ThrottledStore store = ThrottledStore.named(name);
    TestSocket client = TestSocket.connect(vertx, node.actualPort()).await();
    store.failReads = true;
    client.refused("kora.subscribe", new JsonObject().put("x", new JsonObject()),
        "store_unavailable").await();
    TestNodes.eventually(vertx, node, 2_000, () -> TestNodes.subscriptionCount(node) == 0,
        "the failed subscribe left no subscription").await();
    store.failReads = false;
    node.merge(Path.of("x", "a"), 1).await();
    client.expectNothingMore().await();
    assertEquals("ok", client.request("kora.unsubscribe",
        new JsonObject().put("x", new JsonObject())).await());
    // a later subscribe on the same connection works as usual
    client.request("kora.subscribe", new JsonObject().put("x", new JsonObject())).await();
    node.merge(Path.of("x", "b"), 2).await();
    client.nextCast().await();
    client.close().await();
    TestNodes.eventually(vertx, node, 5_000, () -> TestNodes.subscriptionCount(node) == 0,
        "the closed connection's subscription is gone").await();
  }

  @Test
  void aConnectionRunsAtMostMaxReadsAtOnceQueuesTheRestAndAQueryNamesAtMostMaxQueryPaths() {
    KoraNode node = TestNodes.start(vertx, ThrottledStore.options(name, 4, 10_000)
        .setMaxReadsPerConnection(2).setMaxQueryPaths(3)).await();
    ThrottledStore store = ThrottledStore.named(name);
    node.merge(Path.of("a"), 1).await();
    store.batchDelayMs = 500;
    TestSocket client = TestSocket.connect(vertx, node.actualPort()).await();
    Future<JsonObject> first = client.call("kora.query", new JsonObject().put("a", new JsonObject()));
    Future<JsonObject> second = client.call("kora.subscribe",
        new JsonObject().put("a", new JsonObject()));
    List<Future<JsonObject>> queued = new ArrayList<>();
    for (int i = 0; i < Connection.MAX_WAITING_READS; i++) {
      queued.add(client.call("kora.query", new JsonObject().put("a", new JsonObject())));
    }
    String refused = client.refused("kora.query", new JsonObject().put("a", new JsonObject()),
        "too_many_reads").await();
    assertTrue(refused.contains("maxReadsPerConnection"), refused);
    assertTrue(store.openCursors.get() <= 2, "at most 2 reads of the connection run at once, "
        + store.openCursors.get() + " cursors open");
    assertTrue(queued.stream().noneMatch(Future::isComplete), "the others wait, in order");
    assertEquals("reply", first.await().getString("type"));
    assertEquals("reply", second.await().getString("type"));
    store.batchDelayMs = 0;
    for (Future<JsonObject> waited : queued) {
      assertEquals("reply", waited.await().getString("type"), "a waiting read answers in turn");
    }
    store.batchDelayMs = 0;
    client.query(new JsonObject().put("a", new JsonObject())).await();

    JsonObject fourPaths = new JsonObject();
    for (String key : List.of("p", "q", "r", "s")) {
      fourPaths.put(key, new JsonObject());
    }
    client.refused("kora.query", fourPaths, "too_large").await();
    client.refused("kora.subscribe", fourPaths, "too_large").await();
    fourPaths.remove("s");
    client.query(fourPaths).await();
    client.close().await();
  }

  @Test
  void aSubscribeSentAsACastStillGetsItsPushes() {
    KoraNode node = TestNodes.start(vertx, ThrottledStore.options(name, 4, 5_000)).await();
    TestSocket client = TestSocket.connect(vertx, node.actualPort()).await();
    client.send(new JsonObject().put("type", "cast").put("action", "kora.subscribe")
        .put("body", new JsonObject().put("c", new JsonObject())).encode()).await();
    TestNodes.eventually(vertx, node, 5_000, () -> TestNodes.subscriptionCount(node) == 1,
        "the cast subscribed").await();
    TestNodes.eventually(vertx, node, 5_000, () -> ThrottledStore.named(name).openCursors.get() == 0,
        "the cast's read is done").await();
    node.merge(Path.of("c", "a"), 1).await();
    JsonObject push = client.nextCast().await();
    assertEquals(1, push.getJsonObject("body").getJsonObject("merge").getJsonObject("c")
        .getInteger("a"), push.encode());
  }
}
