package dev.kora.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.client.connection.KoraConnection;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Rate limits through real sockets: mutations per second of a connection and of an address, bytes
 * per second, a flooding connection closed, and REST requests counted against their address. Counts
 * allow for what the buckets refill while a burst is sent (the rates are small, the bursts quick).
 */
class RateLimitTest {

  private Vertx vertx;
  private KoraNode node;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private KoraConnection connect() {
    return KoraConnection.connect(vertx, "ws://127.0.0.1:" + node.actualPort() + "/socket").await();
  }

  private static JsonObject merge(String key, Object value) {
    return new JsonObject().put("merge", new JsonObject().put(key, value));
  }

  /** Sends {@code count} mutations at once; returns how many were accepted, checking refusals. */
  private static int burst(KoraConnection connection, int count, Object value) {
    List<Future<Object>> calls = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      calls.add(connection.call("kora.mutation", merge("k" + i, value)));
    }
    int accepted = 0;
    for (Future<Object> call : calls) {
      try {
        call.toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
        accepted++;
      } catch (RuntimeException e) {
        KoraException refused = (KoraException) e.getCause();
        assertEquals(ErrorCode.RATE_LIMITED, refused.code(), refused.getMessage());
      }
    }
    return accepted;
  }

  /**
   * @return the most requests a bucket of {@code rate} per second can have let through since
   *     {@code startedNanos}: its second's worth, what it refilled since, and one for rounding
   */
  private static int allowance(double rate, long startedNanos) {
    return (int) (rate + rate * (System.nanoTime() - startedNanos) / 1e9) + 1;
  }

  @Test
  void aConnectionOverItsMutationsPerSecondIsRefusedAndOthersAreNot() throws Exception {
    node = TestNodes.start(vertx, TestNodes.memoryOptions().setRateLimits(10, 0, 0, 0)).await();
    KoraConnection fast = connect();
    long started = System.nanoTime();
    int accepted = burst(fast, 30, 1);
    assertTrue(accepted >= 10 && accepted <= allowance(10, started),
        "one second's worth and what refilled meanwhile passed: " + accepted);
    assertEquals(30, burst(connect(), 10, 1) + 20, "another connection has its own rate");
    fast.call("kora.ping", null).await();
    Thread.sleep(1_100);
    assertTrue(burst(fast, 5, 1) == 5, "the bucket refilled");
  }

  @Test
  void connectionsOfOneAddressShareItsRate() {
    node = TestNodes.start(vertx, TestNodes.memoryOptions().setRateLimits(0, 0, 10, 0)).await();
    KoraConnection first = connect();
    KoraConnection second = connect();
    long started = System.nanoTime();
    int accepted = burst(first, 15, 1) + burst(second, 15, 1);
    assertTrue(accepted >= 10 && accepted <= allowance(10, started),
        "one second's worth for the address and what refilled meanwhile: " + accepted);
  }

  @Test
  void bytesPerSecondCountEveryMessageAndALargeOnePassesOnce() {
    node = TestNodes.start(vertx, TestNodes.memoryOptions().setRateLimits(0, 1_000, 0, 0)).await();
    KoraConnection connection = connect();
    assertEquals(1, burst(connection, 1, "x".repeat(5_000)), "larger than a second's worth: once");
    KoraException refused = (KoraException) org.junit.jupiter.api.Assertions.assertThrows(
        RuntimeException.class, () -> connection.call("kora.query", new JsonObject()
            .put("k0", new JsonObject())).toCompletionStage().toCompletableFuture()
            .orTimeout(10, TimeUnit.SECONDS).join()).getCause();
    assertEquals(ErrorCode.RATE_LIMITED, refused.code(), "queries count their bytes too");
  }

  @Test
  void aConnectionThatKeepsFloodingIsClosed() {
    node = TestNodes.start(vertx, TestNodes.memoryOptions().setRateLimits(1, 0, 0, 0)).await();
    KoraConnection flooder = connect();
    String cast = "{\"type\":\"cast\",\"action\":\"kora.mutation\",\"body\":{\"merge\":{\"a\":1}}}";
    for (int i = 0; i < KoraNode.RATE_LIMIT_CLOSE_AFTER_REFUSALS + 20; i++) {
      flooder.writeText(cast);
    }
    short status = flooder.closed().toCompletionStage().toCompletableFuture()
        .orTimeout(10, TimeUnit.SECONDS).join();
    assertEquals(1008, status);
    connect().call("kora.ping", null).await();
  }

  @Test
  void restRequestsCountAgainstTheirAddress() {
    node = TestNodes.start(vertx, TestNodes.memoryOptions().setRateLimits(0, 0, 5, 0)).await();
    HttpClient http = vertx.createHttpClient();
    long started = System.nanoTime();
    int accepted = 0;
    int refused = 0;
    for (int i = 0; i < 12; i++) {
      int status = http.request(new RequestOptions().setMethod(HttpMethod.PUT).setHost("127.0.0.1")
              .setPort(node.actualPort()).setURI("/tree/r" + i))
          .compose(request -> request.send("1"))
          .compose(response -> response.body().map(body -> {
            if (response.statusCode() == 429) {
              assertTrue(body.toString().contains(ErrorCode.RATE_LIMITED), body.toString());
            }
            return response.statusCode();
          })).await();
      if (status == 200) {
        accepted++;
      } else {
        assertEquals(429, status);
        refused++;
      }
    }
    assertTrue(accepted >= 5 && accepted <= allowance(5, started),
        "one second's worth of writes and what refilled meanwhile: " + accepted);
    assertTrue(refused > 0, "the rest refused: " + refused);
    assertEquals(200, http.request(new RequestOptions().setHost("127.0.0.1")
        .setPort(node.actualPort()).setURI("/tree/r0")).compose(request -> request.send())
        .map(response -> response.statusCode()).await(), "reads do not count as mutations");
    http.close().await();
  }
}
