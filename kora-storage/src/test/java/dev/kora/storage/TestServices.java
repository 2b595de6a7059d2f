package dev.kora.storage;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

/**
 * The project's test servers, driven through its own scripts ({@code scripts/services/*.sh}): tests
 * that really stop and start a database server use this. Runs on the calling (JUnit) thread and waits.
 */
public final class TestServices {

  private TestServices() {
  }

  /**
   * Runs {@code scripts/services/SCRIPT ACTION} (found by walking up from the working folder), e.g.
   * {@code run("postgres.sh", "stop")}, and fails the test with its output if it fails or takes more
   * than 120 s.
   */
  public static void run(String serviceScript, String action)
      throws IOException, InterruptedException {
    java.nio.file.Path script = findScript(serviceScript);
    Process process = new ProcessBuilder("bash", script.toString(), action)
        .redirectErrorStream(true).start();
    process.getOutputStream().close();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    Thread reader = new Thread(() -> {
      try (InputStream in = process.getInputStream()) {
        in.transferTo(output);
      } catch (IOException ignored) {
        // the process ended
      }
    });
    reader.start();
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail(script + " " + action + " did not finish within 120 s");
    }
    reader.join(5_000);
    if (process.exitValue() != 0) {
      fail(script + " " + action + " failed (exit " + process.exitValue() + "):\n"
          + output.toString(StandardCharsets.UTF_8));
    }
  }

  private static java.nio.file.Path findScript(String serviceScript) {
    java.nio.file.Path dir = java.nio.file.Path.of("").toAbsolutePath();
    for (java.nio.file.Path at = dir; at != null; at = at.getParent()) {
      java.nio.file.Path script = at.resolve("scripts/services").resolve(serviceScript);
      if (Files.isRegularFile(script)) {
        return script;
      }
    }
    throw new AssertionError("scripts/services/" + serviceScript + " not found above " + dir);
  }
}
