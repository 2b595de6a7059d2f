package dev.kora.node.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.auth.JwtOptions;
import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import dev.kora.storage.StoreOptions;
import dev.kora.testkit.TestCredentials;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Drives a real node with the published npm client {@code @ironbay/riptide@0.2.5}, unchanged: installs
 * the exact package with {@code npm ci} and runs {@code src/test/js/riptide-interop/interop.test.js}
 * with Node's test runner against the node's WebSocket, {@code rules.test.js} against a node with
 * the rules of {@code RulesTest}, and {@code auth.test.js} against a node that
 * requires tokens (given in the URL, as the client cannot set headers). Fails (never skips) when
 * node or npm are missing.
 */
class RiptideInteropTest {

  private static final Path PROJECT = Path.of("src/test/js/riptide-interop").toAbsolutePath();

  private Vertx vertx;
  private KoraNode node;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    node = KoraNode.deploy(vertx, new KoraNodeOptions().setPort(0)
        .setStore(new StoreOptions().setUrl("memory"))).await();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  @Test
  void publishedRiptideClientWorksUnchanged() throws Exception {
    if (!Files.isDirectory(PROJECT.resolve("node_modules/@ironbay/riptide"))) {
      run(List.of("npm", "ci", "--no-audit", "--no-fund"), 300);
    }
    String url = "ws://127.0.0.1:" + node.actualPort() + "/socket";
    Result result = run(List.of("node", "--test", "--test-reporter=spec", "interop.test.js"), 180,
        "KORA_URL", url);
    assertEquals(0, result.exitCode, "interop tests failed:\n" + result.output);
    Matcher passed = Pattern.compile("(?m)pass (\\d+)\\s*$").matcher(result.output);
    assertTrue(passed.find(), "no test summary:\n" + result.output);
    assertTrue(Integer.parseInt(passed.group(1)) >= 8, "fewer interop tests ran than written:\n"
        + result.output);
    assertTrue(Pattern.compile("(?m)fail 0\\s*$").matcher(result.output).find(),
        "interop failures:\n" + result.output);
  }

  @Test
  void publishedRiptideClientAuthenticatesWithATokenInTheUrl() throws Exception {
    vertx.close().await();
    vertx = Vertx.vertx();
    node = KoraNode.deploy(vertx, new KoraNodeOptions().setPort(0)
        .setStore(new StoreOptions().setUrl("memory"))
        .setAuth(new JwtOptions().setHmacSecret(TestCredentials.SECRET))).await();
    if (!Files.isDirectory(PROJECT.resolve("node_modules/@ironbay/riptide"))) {
      run(List.of("npm", "ci", "--no-audit", "--no-fund"), 300);
    }
    String token = TestCredentials.hmacToken(vertx, TestCredentials.SECRET, new JsonObject()
        .put("sub", "riptide-user").put("exp", TestCredentials.nowSeconds() + 3_600));
    Result result = run(List.of("node", "--test", "--test-reporter=spec", "auth.test.js"), 120,
        "KORA_URL", "ws://127.0.0.1:" + node.actualPort() + "/socket", "KORA_TOKEN", token);
    assertEquals(0, result.exitCode, "auth interop tests failed:\n" + result.output);
    Matcher passed = Pattern.compile("(?m)pass (\\d+)\\s*$").matcher(result.output);
    assertTrue(passed.find() && Integer.parseInt(passed.group(1)) == 2,
        "both auth interop tests ran and passed:\n" + result.output);
  }

  @Test
  void publishedRiptideClientGetsOnlyWhatTheRulesLetItRead() throws Exception {
    vertx.close().await();
    vertx = Vertx.vertx();
    java.nio.file.Path rules = Files.createTempFile("kora-rules", ".json");
    Files.writeString(rules, dev.kora.node.rules.RulesTest.RULES);
    node = KoraNode.deploy(vertx, new KoraNodeOptions().setPort(0)
        .setStore(new StoreOptions().setUrl("memory"))
        .setAuth(new JwtOptions().setHmacSecret(TestCredentials.SECRET))
        .setRules(rules.toString())).await();
    if (!Files.isDirectory(PROJECT.resolve("node_modules/@ironbay/riptide"))) {
      run(List.of("npm", "ci", "--no-audit", "--no-fund"), 300);
    }
    Result result = run(List.of("node", "--test", "--test-reporter=spec", "rules.test.js"), 120,
        "KORA_URL", "ws://127.0.0.1:" + node.actualPort() + "/socket",
        "KORA_TOKEN_DAX", token("dax"), "KORA_TOKEN_BOB", token("bob"));
    Files.deleteIfExists(rules);
    assertEquals(0, result.exitCode, "rules interop tests failed:\n" + result.output);
    Matcher passed = Pattern.compile("(?m)pass (\\d+)\\s*$").matcher(result.output);
    assertTrue(passed.find() && Integer.parseInt(passed.group(1)) == 2,
        "both rules interop tests ran and passed:\n" + result.output);
  }

  private String token(String user) {
    return TestCredentials.hmacToken(vertx, TestCredentials.SECRET, new JsonObject()
        .put("sub", user).put("exp", TestCredentials.nowSeconds() + 3_600));
  }

  private record Result(int exitCode, String output) {
  }

  private static Result run(List<String> command, int timeoutSeconds, String... environment)
      throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).directory(PROJECT.toFile())
        .redirectErrorStream(true);
    for (int i = 0; i + 1 < environment.length; i += 2) {
      builder.environment().put(environment[i], environment[i + 1]);
    }
    File log = Files.createTempFile("kora-interop", ".log").toFile();
    builder.redirectOutput(log);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new IOException("cannot run " + command.get(0) + ": install Node.js 18+ and npm", e);
    }
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish within "
          + timeoutSeconds + " s:\n" + Files.readString(log.toPath(), StandardCharsets.UTF_8));
    }
    String output = Files.readString(log.toPath(), StandardCharsets.UTF_8);
    System.out.println(output);
    if (process.exitValue() != 0 && command.get(0).equals("npm")) {
      throw new AssertionError("npm ci failed:\n" + output);
    }
    return new Result(process.exitValue(), output);
  }
}
