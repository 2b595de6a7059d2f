package dev.kora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.cli.durability.NodeProcess;
import dev.kora.testkit.TestCredentials;
import dev.kora.tree.ErrorCode;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kora serve}'s security options on real node processes: a node started with
 * {@code --jwt-secret-file} serves {@code kora query} and {@code kora merge} with {@code --token}
 * and refuses them without; a node told to listen beyond loopback without authentication does not
 * start; {@code --rules} enforces the todo example's rules; {@code --tls-cert}/{@code --tls-key}
 * serve {@code wss://} that {@code --tls-trust} reaches.
 */
class ServeSecurityTest {

  private static Vertx vertx;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  @Test
  void aNodeWithAJwtSecretServesTokensAndRefusesClientsWithout() throws Exception {
    Path secret = Files.writeString(dir.resolve("secret"), TestCredentials.SECRET + "\n");
    String token = TestCredentials.hmacToken(vertx, TestCredentials.SECRET, new JsonObject()
        .put("sub", "ops").put("exp", TestCredentials.nowSeconds() + 3_600));
    try (NodeProcess node = NodeProcess.start("memory", NodeProcess.freePort(), 60, List.of(),
        List.of("--jwt-secret-file", secret.toString()))) {
      String url = "ws://127.0.0.1:" + node.port + "/socket";
      CliTest.kora("query", "--url", url, "a").assertFailure(ErrorCode.UNAUTHENTICATED,
          "no token");
      CliTest.kora("query", "--url", url, "--token", "not-a-token", "a")
          .assertFailure(ErrorCode.UNAUTHENTICATED, "a bad token");
      CliTest.Run merged = CliTest.kora("merge", "--url", url, "--token", token, "a", "{\"b\": 1}");
      assertEquals(0, merged.exit(), merged.err());
      CliTest.Run read = CliTest.kora("query", "--url", url, "--token", token, "a");
      assertEquals(0, read.exit(), read.err());
      assertEquals(new JsonObject().put("b", 1), Json.decodeValue(read.out()));
    }
  }

  @Test
  void aNodeWithTheTodoRulesLetsEachUserReadAndWriteOnlyTheirOwnList() throws Exception {
    Path secret = Files.writeString(dir.resolve("secret"), TestCredentials.SECRET + "\n");
    String dax = TestCredentials.hmacToken(vertx, TestCredentials.SECRET, new JsonObject()
        .put("sub", "dax").put("exp", TestCredentials.nowSeconds() + 3_600));
    String bob = TestCredentials.hmacToken(vertx, TestCredentials.SECRET, new JsonObject()
        .put("sub", "bob").put("exp", TestCredentials.nowSeconds() + 3_600));
    try (NodeProcess node = NodeProcess.start("memory", NodeProcess.freePort(), 60, List.of(),
        List.of("--jwt-secret-file", secret.toString(), "--rules",
            "../interceptor-examples/rules/todo.rules.json"))) {
      String url = "ws://127.0.0.1:" + node.port + "/socket";
      CliTest.Run added = CliTest.kora("merge", "--url", url, "--token", dax,
          "user:todos/dax/t1", "{\"title\": \"milk\", \"done\": false}");
      assertEquals(0, added.exit(), added.err());
      CliTest.kora("merge", "--url", url, "--token", dax, "user:todos/dax/t2",
          "{\"done\": false}").assertFailure(ErrorCode.INVALID_MUTATION, "a todo needs a title");
      CliTest.kora("merge", "--url", url, "--token", bob, "user:todos/dax/t1/done", "true")
          .assertFailure(ErrorCode.DENIED, "another user's list");
      CliTest.kora("query", "--url", url, "--token", bob, "user:todos/dax")
          .assertFailure(ErrorCode.DENIED, "nothing of dax's list is readable to bob");
      CliTest.Run read = CliTest.kora("query", "--url", url, "--token", dax, "user:todos/dax");
      assertEquals(0, read.exit(), read.err());
      assertEquals(new JsonObject("{\"t1\": {\"title\": \"milk\", \"done\": false}}"),
          Json.decodeValue(read.out()));
    }
  }

  @Test
  void rateLimitsFromTheCommandLineRefuseAFastClient() throws Exception {
    try (NodeProcess node = NodeProcess.start("memory", NodeProcess.freePort(), 60, List.of(),
        List.of("--rate-limits", "0,0,0.5,0"))) {
      String url = "ws://127.0.0.1:" + node.port + "/socket";
      int refused = 0;
      for (int i = 0; i < 10; i++) {
        CliTest.Run merged = CliTest.kora("merge", "--url", url, "r" + i, "1");
        if (merged.exit() != 0) {
          merged.assertFailure(ErrorCode.RATE_LIMITED, "over half a mutation per second for the address");
          refused++;
        }
      }
      assertTrue(refused > 0, "some of 10 quick merges from one address were refused");
    }
    CliTest.kora("serve", "--rate-limits", "1,2").assertFailure(ErrorCode.INVALID_MESSAGE,
        "three numbers are not four");
  }

  @Test
  void aNodeWithoutAuthenticationDoesNotListenBeyondLoopback() throws Exception {
    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> NodeProcess.start("memory", NodeProcess.freePort(), 60, List.of(),
            List.of("--host", "0.0.0.0")).close());
    assertTrue(refused.getMessage().contains("refusing to listen on 0.0.0.0"),
        refused.getMessage());
    assertTrue(refused.getMessage().contains("--insecure"), refused.getMessage());
  }

  @Test
  void tlsServesWssThatAClientTrustingTheCertificateReaches() throws Exception {
    List<Path> files = TestCredentials.selfSignedCertificate(dir);
    try (NodeProcess node = NodeProcess.start("memory", NodeProcess.freePort(), 60, List.of(),
        List.of("--tls-cert", files.get(0).toString(), "--tls-key", files.get(1).toString()))) {
      String url = "wss://localhost:" + node.port + "/socket";
      CliTest.Run merged = CliTest.kora("merge", "--url", url, "--tls-trust",
          files.get(0).toString(), "t", "\"secure\"");
      assertEquals(0, merged.exit(), merged.err());
      CliTest.Run read = CliTest.kora("query", "--url", url, "--tls-trust",
          files.get(0).toString(), "t");
      assertEquals("\"secure\"", read.out().strip(), read.err());
      CliTest.Run untrusted = CliTest.kora("query", "--url", url, "t");
      assertEquals(1, untrusted.exit(), "a certificate the client does not trust is refused");
    }
  }
}
