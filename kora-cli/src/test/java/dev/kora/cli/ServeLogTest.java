package dev.kora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.cli.durability.NodeProcess;
import dev.kora.testkit.Eventually;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code kora serve --log-format json --log-requests} as a real process: everything it logs is one
 * JSON object per line, and the line of a REST request carries the id the answer's
 * {@code X-Request-Id} header named; a WebSocket call's line carries its own. An unknown format is
 * a usage error.
 */
class ServeLogTest {

  private static Vertx vertx;
  private static HttpClient http;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    http = vertx.createHttpClient();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  @Test
  void jsonLinesCarryTheRequestIds() throws Exception {
    try (NodeProcess node = NodeProcess.start("memory", NodeProcess.freePort(), 60, List.of(),
        List.of("--log-format", "json", "--log-requests"))) {
      // the body is asked for in the response's own callback: asked later, it may have gone by
      HttpClientResponse response = http.request(HttpMethod.GET, node.port, "127.0.0.1",
          "/tree/a").compose(request -> request.send())
          .compose(answer -> answer.body().map(body -> answer)).await();
      String restId = response.getHeader("X-Request-Id");
      assertNotNull(restId, "REST answers name their request id");
      CliTest.Run query = CliTest.kora("query", "--url", "ws://127.0.0.1:" + node.port
          + "/socket", "a");
      assertEquals(0, query.exit(), query.err());

      Eventually.poll(vertx, 10_000, "the request lines", () -> io.vertx.core.Future
          .succeededFuture(lines(node.output())), lines -> lines.size() >= 3).await();
      List<JsonObject> lines = lines(node.output());
      assertTrue(lines.get(0).getString("message").contains("listening"), lines.get(0).encode());
      JsonObject rest = lines.stream().filter(line -> restId.equals(line.getString("requestId")))
          .findFirst().orElseThrow(() -> new AssertionError("no line of " + restId + ": " + lines));
      assertEquals("GET /tree/a", rest.getString("request"));
      assertEquals(200, rest.getInteger("status"));
      JsonObject call = lines.stream().filter(line -> "kora.query".equals(line.getString("request")))
          .findFirst().orElseThrow(() -> new AssertionError("no line of the call: " + lines));
      assertEquals(call.getString("connectionId") + "/1", call.getString("requestId"));
    }
  }

  @Test
  void anUnknownLogFormatIsAUsageError() {
    CliTest.Run run = CliTest.kora("serve", "--store", "memory", "--port", "0", "--log-format",
        "yaml");
    assertEquals(2, run.exit(), run.err());
    assertTrue(run.err().contains("--log-format"), run.err());
  }

  /** Parses every line of the node's output as JSON (failing on one that is not). */
  private static List<JsonObject> lines(String output) {
    List<JsonObject> lines = new ArrayList<>();
    for (String line : output.split("\\R")) {
      if (line.isBlank() || line.startsWith("...")) {
        continue; // output() shows only the end of a long stderr
      }
      try {
        lines.add(new JsonObject(line));
      } catch (DecodeException e) {
        throw new AssertionError("not a JSON line: " + line, e);
      }
    }
    return lines;
  }
}
