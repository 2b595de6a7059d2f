package dev.kora.node.operations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.auth.JwtOptions;
import dev.kora.client.connection.KoraConnection;
import dev.kora.interceptors.Interceptor;
import dev.kora.interceptors.InterceptorResult;
import dev.kora.interceptors.KoraPlugin;
import dev.kora.interceptors.MutationLayer;
import dev.kora.interceptors.Session;
import dev.kora.node.KoraNode;
import dev.kora.node.TestNodes;
import dev.kora.node.ThrottledStore;
import dev.kora.testkit.TestCredentials;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /health}, {@code /ready} and {@code /metrics} of a real node over HTTP: the scrape parses
 * as Prometheus text and its counters move with the traffic this test sends; readiness follows the
 * store; metrics are closed to all but administrators on a node with authentication.
 */
class OperationsTest {

  /** A sample line of the Prometheus text format: name, optional labels, value. */
  private static final Pattern SAMPLE = Pattern.compile(
      "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)( [0-9]+)?");

  private Vertx vertx;
  /** Held until the end: Vert.x closes an HTTP client, and its connections, once unreachable. */
  private HttpClient http;
  private KoraNode node;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    http = vertx.createHttpClient();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private record Answer(int status, String body) {
  }

  private Answer get(String uri, String token) {
    RequestOptions request = new RequestOptions().setHost("127.0.0.1").setPort(node.actualPort())
        .setURI(uri);
    if (token != null) {
      request.putHeader("Authorization", "Bearer " + token);
    }
    return http.request(request).compose(r -> r.send())
        .compose(response -> response.body().map(body -> new Answer(response.statusCode(),
            body.toString())))
        .toCompletionStage().toCompletableFuture().orTimeout(20, TimeUnit.SECONDS).join();
  }

  /** Parses a scrape, failing on any line that is neither a comment nor a sample. */
  private static Map<String, Double> parse(String text) {
    Map<String, Double> samples = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Matcher sample = SAMPLE.matcher(line);
      assertTrue(sample.matches(), "not Prometheus text: " + line);
      String key = sample.group(1) + (sample.group(2) == null ? "" : sample.group(2));
      samples.put(key, Double.parseDouble(sample.group(3)));
    }
    return samples;
  }

  private Map<String, Double> scrape() {
    Answer answer = get("/metrics", null);
    assertEquals(200, answer.status(), answer.body());
    return parse(answer.body());
  }

  @Test
  void theScrapeParsesAndItsCountersMoveWithTraffic() {
    node = TestNodes.start(vertx, TestNodes.memoryOptions()).await();
    Map<String, Double> before = scrape();
    assertEquals(0.0, before.get("kora_connections"));
    assertTrue(before.containsKey("jvm_memory_used_bytes{area=\"heap\",id=\"G1 Eden Space\"}")
        || before.keySet().stream().anyMatch(key -> key.startsWith("jvm_memory_used_bytes")),
        "JVM metrics are there");

    KoraConnection watcher = KoraConnection.connect(vertx, "ws://127.0.0.1:" + node.actualPort()
        + "/socket").await();
    watcher.call("kora.subscribe", new JsonObject().put("w", new JsonObject())).await();
    KoraConnection writer = KoraConnection.connect(vertx, "ws://127.0.0.1:" + node.actualPort()
        + "/socket").await();
    for (int i = 0; i < 5; i++) {
      writer.call("kora.mutation", new JsonObject().put("merge", new JsonObject()
          .put("w", new JsonObject().put("k" + i, i)))).await();
    }
    writer.call("kora.query", new JsonObject().put("w", new JsonObject())).await();

    Map<String, Double> after = scrape();
    assertEquals(2.0, after.get("kora_connections"));
    assertEquals(1.0, after.get("kora_subscriptions"));
    assertTrue(after.get("kora_mutations_committed_total")
        - before.get("kora_mutations_committed_total") >= 5, "5 commits counted");
    assertTrue(after.get("kora_pushes_total") - before.get("kora_pushes_total") >= 5,
        "5 pushes counted");
    assertTrue(after.get("kora_push_bytes_total") > before.get("kora_push_bytes_total"));
    assertTrue(after.get("kora_store_write_seconds_count")
        > before.get("kora_store_write_seconds_count"), "group commits timed");
    assertTrue(after.get("kora_reads_seconds_count") >= 2, "the subscribe and the query timed");
    assertEquals(0.0, after.get("kora_mutations_pending"));
    assertTrue(after.get("kora_interceptors_seconds_count{phase=\"query\"}") >= 2,
        "beforeQuery timed for the subscribe and the query");
    assertTrue(after.get("kora_backlog_bytes") >= 0, "the backlog gauge is there");

    writer.close().await();
    watcher.close().await();
    TestNodes.eventually(vertx, node, 5_000, () -> TestNodes.subscriptionCount(node) == 0,
        "closed").await();
    assertEquals(0.0, scrape().get("kora_connections"));
  }

  /** Lets everything through, so that the node has an interceptor to time. */
  public static final class AllowAll implements Interceptor {
    @Override
    public InterceptorResult validateMutation(MutationLayer layer, Session session) {
      return InterceptorResult.ok();
    }
  }

  @Test
  void timeInInterceptorsIsCountedWhenAPluginHasThem() {
    node = TestNodes.start(vertx, TestNodes.memoryOptions().addPlugin(new KoraPlugin() {
      @Override
      public List<Interceptor> interceptors() {
        return List.of(new AllowAll());
      }
    })).await();
    KoraConnection writer = KoraConnection.connect(vertx, "ws://127.0.0.1:" + node.actualPort()
        + "/socket").await();
    writer.call("kora.mutation", new JsonObject().put("merge", new JsonObject().put("a", 1)))
        .await();
    assertEquals(1.0, scrape().get("kora_interceptors_seconds_count{phase=\"prepare\"}"));
  }

  @Test
  void healthAnswersAndReadinessFollowsTheStore() {
    String name = UUID.randomUUID().toString();
    node = TestNodes.start(vertx, ThrottledStore.options(name, 4, 60_000)).await();
    Answer health = get("/health", null);
    assertEquals(200, health.status());
    assertEquals("UP", new JsonObject(health.body()).getString("status"));
    assertEquals(200, get("/ready", null).status());

    ThrottledStore.named(name).failReads = true;
    Answer down = get("/ready", null);
    assertEquals(503, down.status(), down.body());
    assertEquals("DOWN", new JsonObject(down.body()).getString("status"));
    assertTrue(down.body().contains("store"), down.body());
    assertEquals(200, get("/health", null).status(), "the process is alive all the same");

    ThrottledStore.named(name).failReads = false;
    assertEquals(200, get("/ready", null).status());
  }

  @Test
  void metricsNeedAnAdministratorsTokenWhenTheNodeAuthenticates() {
    node = TestNodes.start(vertx, TestNodes.memoryOptions().setAuth(new JwtOptions()
        .setHmacSecret(TestCredentials.SECRET))).await();
    assertEquals(401, get("/metrics", null).status());
    String user = TestCredentials.hmacToken(vertx, TestCredentials.SECRET,
        new JsonObject().put("sub", "u"));
    assertEquals(403, get("/metrics", user).status());
    String admin = TestCredentials.hmacToken(vertx, TestCredentials.SECRET,
        new JsonObject().put("sub", "ops").put("kora_admin", true));
    Answer scrape = get("/metrics", admin);
    assertEquals(200, scrape.status());
    assertTrue(parse(scrape.body()).containsKey("kora_mutations_committed_total"));
    assertEquals(200, get("/health", null).status(), "probes need no token");
    assertEquals(200, get("/ready", null).status());
  }
}
