package dev.kora.node.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.interceptors.ActionHandler;
import dev.kora.interceptors.KoraPlugin;
import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import dev.kora.node.TestNodes;
import dev.kora.testkit.TestSocket;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A node started with {@code logFormat: "json"} and {@code logRequests} over a real socket: every
 * line of the request log parses as JSON and carries the request's id, the WebSocket call's
 * ({@code <connection>/<n>}) and the REST request's (the one sent back in {@code X-Request-Id}); a
 * call that fails inside the node (a plugin's handler throws) is a {@code WARNING} with the stack
 * trace.
 */
class RequestLogTest {

  private static final Logger REQUESTS = Logger.getLogger(RequestLog.LOGGER);

  private Vertx vertx;
  private HttpClient http;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
  private StreamHandler capture;
  private final List<Formatter> rootFormatters = new ArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    http = vertx.createHttpClient();
    for (Handler handler : Logger.getLogger("").getHandlers()) {
      rootFormatters.add(handler.getFormatter());
    }
    capture = new StreamHandler(captured, new JsonLogFormatter());
    capture.setLevel(Level.ALL);
    REQUESTS.addHandler(capture);
  }

  @AfterEach
  void stop() {
    REQUESTS.removeHandler(capture);
    Handler[] handlers = Logger.getLogger("").getHandlers();
    for (int i = 0; i < handlers.length && i < rootFormatters.size(); i++) {
      handlers[i].setFormatter(rootFormatters.get(i));
    }
    vertx.close().await();
  }

  @Test
  void requestLinesAreJsonWithTheRequestId() throws Exception {
    KoraPlugin failing = new KoraPlugin() {
      @Override
      public List<ActionHandler> handlers() {
        return List.of(ActionHandler.of("test.fail",
            (body, session) -> Future.failedFuture(new IllegalStateException("a bug"))));
      }
    };
    KoraNode node = TestNodes.start(vertx, TestNodes.memoryOptions()
        .setLogFormat(KoraNodeOptions.LOG_FORMAT_JSON).setLogRequests(true).addPlugin(failing))
        .await();
    for (Handler handler : Logger.getLogger("").getHandlers()) {
      assertTrue(handler.getFormatter() instanceof JsonLogFormatter,
          "logFormat json makes the root handlers write JSON: " + handler);
    }
    TestSocket socket = TestSocket.connect(vertx, node.actualPort()).await();
    assertEquals("reply", socket.call("kora.query", new JsonObject().put("a", new JsonObject()))
        .await().getString("type"));
    assertEquals("invalid_key", socket.call("kora.query", new JsonObject().put("a/b",
        new JsonObject())).await().getJsonObject("body").getString("code"));
    assertEquals("interceptor_failed", socket.call("test.fail", null).await()
        .getJsonObject("body").getString("code"));
    // the body is asked for in the response's own callback: asked later, it may have gone by
    HttpClientResponse response = http.request(HttpMethod.GET, node.actualPort(), "127.0.0.1",
        "/tree/a").compose(request -> request.send())
        .compose(answer -> answer.body().map(body -> answer)).await();
    String restId = response.getHeader("X-Request-Id");
    assertNotNull(restId, "a REST answer carries its request id");

    List<JsonObject> lines = lines(4);
    JsonObject ok = lines.get(0);
    String connectionId = ok.getString("connectionId");
    assertEquals(connectionId + "/1", ok.getString("requestId"), ok.encode());
    assertEquals("kora.query", ok.getString("request"));
    assertEquals("INFO", ok.getString("level"));
    assertEquals(RequestLog.LOGGER, ok.getString("logger"));
    assertFalse(ok.containsKey("code"), ok.encode());
    assertTrue(ok.getDouble("durationMs") >= 0, ok.encode());
    assertTrue(ok.getString("message").contains(connectionId + "/1"), "text says it too");
    JsonObject refused = lines.get(1);
    assertEquals(connectionId + "/2", refused.getString("requestId"));
    assertEquals("invalid_key", refused.getString("code"));
    assertEquals("INFO", refused.getString("level"), "a client's mistake is no warning");
    JsonObject failed = lines.get(2);
    assertEquals(connectionId + "/3", failed.getString("requestId"));
    assertEquals("WARNING", failed.getString("level"));
    assertEquals("interceptor_failed", failed.getString("code"));
    assertTrue(failed.getString("error").contains("a bug"), "the stack trace: " + failed.encode());
    JsonObject rest = lines.get(3);
    assertEquals(restId, rest.getString("requestId"));
    assertEquals("GET /tree/a", rest.getString("request"));
    assertEquals(200, rest.getInteger("status"));
    socket.close().await();
  }

  @Test
  void withoutLogRequestsOnlyTheNodesFailuresAreLogged() throws Exception {
    KoraNode node = TestNodes.start(vertx, TestNodes.memoryOptions()).await();
    TestSocket socket = TestSocket.connect(vertx, node.actualPort()).await();
    socket.call("kora.query", new JsonObject().put("a", new JsonObject())).await();
    socket.call("no.such.action", null).await();
    capture.flush();
    assertEquals("", captured.toString(StandardCharsets.UTF_8), "nothing logged for requests the"
        + " node answered as it should");
    socket.close().await();
  }

  /** Waits for {@code count} captured lines, each parsed as JSON. */
  private List<JsonObject> lines(int count) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 5_000;
    while (true) {
      capture.flush();
      String[] text = captured.toString(StandardCharsets.UTF_8).split("\\R");
      List<JsonObject> parsed = new ArrayList<>();
      for (String line : text) {
        if (!line.isEmpty()) {
          parsed.add(new JsonObject(line));
        }
      }
      if (parsed.size() >= count || System.currentTimeMillis() > deadline) {
        assertEquals(count, parsed.size(), "request lines: " + parsed);
        return parsed;
      }
      Thread.sleep(20);
    }
  }
}
