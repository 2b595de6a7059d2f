package dev.kora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The default JVM options: one file, read the same way by kora-cli and by the launcher script. */
class JvmOptionsTest {

  @Test
  void commentsAndBlankLinesAreSkipped() {
    assertEquals(List.of("-Xms32m", "-XX:A=1", "-XX:B=2"),
        JvmOptions.parse("# a comment\n\n-Xms32m\n  # indented comment\n-XX:A=1 -XX:B=2\n"));
  }

  @Test
  void theDefaultsAreTheOptionsOfThePackedFile() throws Exception {
    List<String> defaults = JvmOptions.defaults();
    assertTrue(defaults.contains("-XX:G1PeriodicGCInterval=15000"), defaults.toString());
    assertTrue(defaults.stream().allMatch(option -> option.startsWith("-")), defaults.toString());
    // the launcher reads the source file itself: the same options
    Path source = Path.of("src/main/resources/dev/kora/cli/jvm.options");
    assertEquals(JvmOptions.parse(Files.readString(source)), defaults);
  }

  @Test
  void thisJvmStartsWithThem() throws Exception {
    List<String> command = new java.util.ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(JvmOptions.defaults());
    command.add("-version");
    Process java = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(java.getInputStream().readAllBytes());
    assertEquals(0, java.waitFor(), output);
  }
}
