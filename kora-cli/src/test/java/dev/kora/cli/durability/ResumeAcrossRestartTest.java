package dev.kora.cli.durability;

import static dev.kora.testkit.TestJson.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.testkit.TestSocket;
import dev.kora.tree.Mutation;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Resume across node processes, on every store: a client subscribes through node A and keeps a copy;
 * A stops; node B, on the same store, takes writes (among them a leaf replaced by a subtree that is
 * then emptied) and is killed with SIGKILL; node C starts on the same store and the client resumes
 * with {@code since}: the answer holds only what changed, and the copy then equals the server's data.
 * Versions only increase from one process to the next.
 */
class ResumeAcrossRestartTest {

  private Vertx vertx;
  private Path folder;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    folder = Files.createTempDirectory("kora-resume");
  }

  @AfterEach
  void tearDown() {
    vertx.close().await();
  }


  private static long apply(JsonObject copy, JsonObject answer) {
    Mutation.of(answer.getJsonObject("merge"), answer.getJsonObject("delete")).applyTo(copy);
    return answer.getLong("version");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.kora.cli.durability.KillNineDurabilityTest#stores")
  void aClientResumesWithOnlyWhatChangedWhileItWasAway(String driver, String url)
      throws Exception {
    String storeUrl = url != null ? url : "sqlite:" + folder.resolve("kora.db");
    JsonObject copy = new JsonObject();
    long since;
    try (NodeProcess a = NodeProcess.start(storeUrl, 90)) {
      TestSocket client = TestSocket.connect(vertx, a.port).await();
      client.write(json("{\"merge\": {\"resume\": {\"keep\": {\"a\": 1, \"b\": 2}, \"x\": 1,"
          + " \"gone\": {\"g\": 1}, \"leaf\": 5}}}")).await();
      since = apply(copy, (JsonObject) client.request("kora.subscribe",
          json("{\"resume\": {}}")).await());
      assertTrue(since > 0);
    }
    long last;
    try (NodeProcess b = NodeProcess.start(storeUrl, 90)) {
      TestSocket writer = TestSocket.connect(vertx, b.port).await();
      long first = writer.write(json("{\"merge\": {\"resume\": {\"x\": {\"y\": 2}}}}")).await();
      assertTrue(first > since, "versions go on after a restart: " + first + " after " + since);
      writer.write(json("{\"delete\": {\"resume\": {\"x\": {\"y\": 1}}}}")).await();
      writer.write(json("{\"delete\": {\"resume\": {\"gone\": 1}}}")).await();
      writer.write(json("{\"merge\": {\"resume\": {\"leaf\": {\"now\": \"tree\"}, \"new\": true},"
          + " \"elsewhere\": 1}}")).await();
      last = writer.write(json("{\"merge\": {\"resume\": {\"keep\": {\"b\": 3}}}}")).await();
      b.kill();
    }
    try (NodeProcess c = NodeProcess.start(storeUrl, 90)) {
      TestSocket client = TestSocket.connect(vertx, c.port).await();
      JsonObject delta = (JsonObject) client.request("kora.subscribe",
          json("{\"resume\": {\"since\": " + since + "}}")).await();
      assertNull(delta.getValue("reset"), () -> driver + ": " + delta.encode());
      assertEquals(last, delta.getLong("version"), driver);
      JsonObject merged = delta.getJsonObject("merge").getJsonObject("resume");
      assertFalse(merged.getJsonObject("keep").containsKey("a"),
          () -> driver + ": an unchanged leaf is not sent again: " + delta.encode());
      assertFalse(delta.getJsonObject("merge").containsKey("elsewhere"), driver);
      apply(copy, delta);
      JsonObject server = new JsonObject();
      apply(server, client.answer(json("{\"resume\": {}}")).await());
      assertEquals(server, copy, driver + ": the resumed copy equals the server's data");
      assertFalse(copy.getJsonObject("resume").containsKey("x"), driver);
      String refused = client.refused("kora.query",
          json("{\"resume\": {\"since\": " + (last + 1) + "}}"), "invalid_query").await();
      assertTrue(refused.contains("ahead"), refused);
      long next = client.write(json("{\"delete\": {\"resume\": 1, \"elsewhere\": 1}}")).await();
      assertTrue(next > last, driver + ": " + next + " after " + last);
      System.out.printf("%s: resumed from %d to %d across three node processes%n", driver, since,
          last);
    }
  }
}
