package dev.kora.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Kora's default JVM options, kept in one file, {@code dev/kora/cli/jvm.options} (in kora-cli's
 * resources, so in {@code kora.jar} too): the {@code ./kora} launcher reads the same file and puts the
 * options before {@code KORA_JAVA_OPTS}, and the load tool starts its nodes with them, so that a
 * benchmark measures the JVM users run. They size the heap small and give unused heap and native
 * memory back to the OS when the node is idle (the file says why each one is there;
 * docs/operations.md, "Memory", gives the figures). Options given after them override them.
 */
public final class JvmOptions {

  /** The file's name, next to this class. */
  public static final String RESOURCE = "jvm.options";

  private JvmOptions() {
  }

  /** @return the default options, in the file's order */
  public static List<String> defaults() {
    try (InputStream in = JvmOptions.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing next to " + JvmOptions.class);
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * @param text the file's text: options separated by white space, lines starting with {@code #}
   *     (after blanks) are comments
   * @return the options
   */
  static List<String> parse(String text) {
    List<String> options = new ArrayList<>();
    for (String line : text.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      for (String option : trimmed.split("\\s+")) {
        options.add(option);
      }
    }
    return options;
  }
}
