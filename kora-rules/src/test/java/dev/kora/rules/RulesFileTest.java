package dev.kora.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rules file in force: refused at start when it does not compile, reloaded when it changes, and
 * kept when the changed file does not compile.
 */
class RulesFileTest {

  private final Vertx vertx = Vertx.vertx();

  @TempDir
  Path folder;

  @AfterEach
  void close() {
    vertx.close().await();
  }

  private static void write(Path file, String text, long modifiedMs) throws Exception {
    Files.writeString(file, text);
    Files.setLastModifiedTime(file, FileTime.fromMillis(modifiedMs));
  }

  private static RuleSet waitFor(RulesFile rules, java.util.function.Predicate<RulesFile> done)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    while (!done.test(rules) && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(done.test(rules), "within 10 s");
    return rules.rules();
  }

  @Test
  void aChangedFileReplacesTheRulesAndABrokenOneKeepsThem() throws Exception {
    Path file = folder.resolve("rules.json");
    write(file, "{\"rules\": [{\"path\": \"a/**\", \"read\": \"true\"}]}", 1_000_000);
    RulesFile rules = RulesFile.open(vertx, file).await().watch(20);
    RuleSet first = rules.rules();
    assertEquals(1, first.size());

    write(file, "{\"rules\": [{\"path\": \"a/**\", \"read\": \"true\"},"
        + " {\"path\": \"b\", \"write\": \"true\"}]}", 2_000_000);
    RuleSet second = waitFor(rules, r -> r.rules().size() == 2);
    assertNull(rules.lastProblem());

    write(file, "{\"rules\": [{\"path\": \"a/**\", \"read\": \"nonsense ==\"}]}", 3_000_000);
    waitFor(rules, r -> r.lastProblem() != null);
    assertSame(second, rules.rules(), "the rules in force stay");
    assertTrue(rules.lastProblem().contains("rule 0 (a/**): read:"), rules.lastProblem());

    write(file, "{\"rules\": []}", 4_000_000);
    waitFor(rules, r -> r.rules().size() == 0);
    assertNull(rules.lastProblem(), "a good file clears the problem");
    rules.close();
  }

  @Test
  void aFileThatDoesNotCompileOrExistIsRefusedAtOpen() throws Exception {
    Path file = folder.resolve("bad.json");
    write(file, "{\"rules\": [{\"path\": \"a\", \"read\": 1}]}", 1_000_000);
    Throwable bad = assertThrows(CompletionException.class, () -> RulesFile.open(vertx, file)
        .toCompletionStage().toCompletableFuture().join()).getCause();
    assertTrue(bad instanceof RulesException, String.valueOf(bad));
    Throwable missing = assertThrows(CompletionException.class, () -> RulesFile.open(vertx,
        folder.resolve("none.json")).toCompletionStage().toCompletableFuture().join()).getCause();
    assertTrue(missing instanceof java.nio.file.NoSuchFileException, String.valueOf(missing));
  }
}
