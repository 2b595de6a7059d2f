package dev.kora.cli.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.TestServices;
import dev.kora.testkit.TestSocket;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The node through a real outage of its database (and its {@code /ready} following it): PostgreSQL is really stopped with
 * {@code scripts/services/postgres.sh stop}. A mutation then fails with {@code store_unavailable}
 * within the store's operation timeout (no hang), the node keeps answering other requests on the same
 * connection, and once the server is started again the next mutation succeeds without restarting the
 * node. The server is always started again, also when the test fails.
 */
class NodeStoreOutageTest {

  private static final long TIMEOUT_MS = 3_000;

  private Vertx vertx;
  private KoraNode node;
  private final String table = "outage_" + UUID.randomUUID().toString().replace("-", "")
      .substring(0, 8);

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    String url = System.getenv().getOrDefault("KORA_PG_URL",
        "postgres://postgres@127.0.0.1:5432/kora_test");
    node = KoraNode.deploy(vertx, new KoraNodeOptions().setPort(0).setStore(new StoreOptions()
        .setUrl(url + "?table=" + table).setOperationTimeoutMs(TIMEOUT_MS))).await();
  }

  @AfterEach
  void stop() throws Exception {
    service("start");
    vertx.close().await();
  }

  @Test
  void mutationsFailFastWhileTheDatabaseIsDownAndTheNodeRecovers() throws Exception {
    TestSocket client = TestSocket.connect(vertx, node.actualPort()).await();
    assertTrue(((JsonObject) client.request("kora.mutation", merge("before", 1)).await())
        .getLong("version") > 0);
    service("stop");
    try {
      long started = System.nanoTime();
      JsonObject failed = client.call("kora.mutation", merge("during", 2)).await();
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertEquals("error", failed.getString("type"), failed.encode());
      assertEquals("store_unavailable", failed.getJsonObject("body").getString("code"),
          failed.encode());
      assertTrue(elapsedMs < TIMEOUT_MS + 3_000, "took " + elapsedMs + " ms to fail");
      Object time = client.request("kora.ping", null).await();
      assertTrue(time instanceof Number, "the node still answers while the store is down");
      assertEquals(503, status("/ready"), "not ready while its database is down");
      assertEquals(200, status("/health"), "alive all the same");
    } finally {
      service("start");
    }
    Object after = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      JsonObject frame = client.call("kora.mutation", merge("after", 3)).await();
      if ("reply".equals(frame.getString("type"))) {
        after = frame.getValue("body");
        break;
      }
      Thread.sleep(200);
    }
    assertTrue(after instanceof JsonObject reply && reply.getLong("version") > 0,
        "the node writes again once the database is back: " + after);
    assertEquals(200, status("/ready"), "ready again");
    JsonObject answer = (JsonObject) client.request("kora.query",
        new JsonObject().put("outage", new JsonObject())).await();
    assertEquals(new JsonObject().put("before", 1).put("after", 3),
        answer.getJsonObject("merge").getJsonObject("outage"),
        "the failed mutation left nothing; the others are there");
    client.request("kora.mutation", new JsonObject().put("delete",
        new JsonObject().put("outage", 1))).await();
  }

  /** @return the HTTP status of a GET of the node's {@code uri} */
  private int status(String uri) {
    HttpClient http = vertx.createHttpClient();
    int status = http.request(HttpMethod.GET, node.actualPort(), "127.0.0.1", uri)
        .compose(request -> request.send())
        .compose(response -> response.body().map(body -> response.statusCode())).await();
    http.close();
    return status;
  }

  private static JsonObject merge(String key, int value) {
    return new JsonObject().put("merge", new JsonObject().put("outage",
        new JsonObject().put(key, value)));
  }

  private static void service(String action) throws Exception {
    TestServices.run("postgres.sh", action);
  }
}
