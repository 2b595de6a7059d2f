package dev.kora.testkit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A Java process started by a test: {@code java JVM-OPTIONS -cp CLASSPATH MAIN ARGS}. Its standard
 * output is collected line by line on a daemon thread, its standard error goes to a file (shown when
 * a wait fails). Waits are bounded and poll; nothing sleeps. Part of kora-test-kit.
 */
public final class ChildJvm {

  /**
   * JVM options of a small, quickly started child: the tests on two busy cores should not wait for
   * the JIT.
   */
  public static final List<String> SMALL_JVM = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1",
      "-XX:+UseSerialGC", "-Dvertx.disableDnsResolver=true");

  private final Process process;
  private final File stderr;
  private final List<String> lines = new CopyOnWriteArrayList<>();

  private ChildJvm(Process process, File stderr) {
    this.process = process;
    this.stderr = stderr;
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          lines.add(line);
        }
      } catch (IOException e) {
        // The process died: what it printed so far stays.
      }
    }, "child-jvm-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * The class path of this test JVM as a list of entries. Surefire runs tests through a manifest-only
   * jar; the real entries are in {@code surefire.test.class.path}.
   */
  public static List<String> testClassPath() {
    String path = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    List<String> entries = new ArrayList<>();
    for (String entry : path.split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        entries.add(entry);
      }
    }
    return entries;
  }

  /**
   * Starts a {@link #SMALL_JVM}.
   *
   * @param classPath the child's class path entries
   * @param stderr where the child's standard error goes
   * @param mainClass the class to run
   * @param args its arguments
   * @return the started process
   */
  public static ChildJvm start(List<String> classPath, File stderr, String mainClass,
      String... args) throws IOException {
    return start(SMALL_JVM, classPath, stderr, mainClass, args);
  }

  /**
   * @param jvmOptions the JVM's options, e.g. {@code -Xmx512m}
   * @param classPath the child's class path entries
   * @param stderr where the child's standard error goes
   * @param mainClass the class to run
   * @param args its arguments
   * @return the started process
   */
  public static ChildJvm start(List<String> jvmOptions, List<String> classPath, File stderr,
      String mainClass, String... args) throws IOException {
    return startWith(List.of(), jvmOptions, classPath, stderr, mainClass, args);
  }

  /**
   * Starts a JVM through another command, e.g. inside a network namespace.
   *
   * @param prefix the command and its arguments that run the JVM's command line, e.g.
   *     {@code ["ip", "netns", "exec", "kora-a"]} (it must exec the JVM, so that the process is the
   *     JVM's and a kill reaches it); empty for none
   * @param jvmOptions the JVM's options, e.g. {@code -Xmx512m}
   * @param classPath the child's class path entries
   * @param stderr where the child's standard error goes
   * @param mainClass the class to run
   * @param args its arguments
   * @return the started process
   */
  public static ChildJvm startWith(List<String> prefix, List<String> jvmOptions,
      List<String> classPath, File stderr, String mainClass, String... args) throws IOException {
    List<String> command = new ArrayList<>(prefix);
    command.add(new File(System.getProperty("java.home"), "bin/java").getPath());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(String.join(File.pathSeparator, classPath));
    command.add(mainClass);
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectError(stderr).start();
    return new ChildJvm(process, stderr);
  }

  /** @return the process, e.g. to check whether it still runs or to stop it */
  public Process process() {
    return process;
  }

  /** @return the lines printed so far */
  public List<String> lines() {
    return List.copyOf(lines);
  }

  /**
   * @param vertx for timers
   * @param timeoutMs at most this long
   * @param what the awaited line, for the failure message
   * @param matching which line
   * @return the first printed line that matches; fails on timeout or when the process ends first
   */
  public Future<String> awaitLine(Vertx vertx, long timeoutMs, String what,
      Predicate<String> matching) {
    return awaitLines(vertx, timeoutMs, what, all -> all.stream().anyMatch(matching))
        .map(all -> all.stream().filter(matching).findFirst().orElseThrow());
  }

  /**
   * @param vertx for timers
   * @param timeoutMs at most this long
   * @param what the awaited state, for the failure message
   * @param done whether the lines printed so far are what is awaited
   * @return the lines once {@code done} holds; fails on timeout or when the process ends first
   */
  public Future<List<String>> awaitLines(Vertx vertx, long timeoutMs, String what,
      Predicate<List<String>> done) {
    return Eventually.poll(vertx, timeoutMs, what, () -> {
      List<String> now = lines();
      if (!done.test(now) && !process.isAlive()) {
        return Future.failedFuture(new IllegalStateException("the child exited with "
            + process.exitValue() + " before " + what + "; stderr:\n" + stderrText()));
      }
      return Future.succeededFuture(now);
    }, done).recover(e -> Future.failedFuture(new AssertionError(e.getMessage()
        + "\nchild stderr:\n" + stderrText(), e)));
  }

  /**
   * @param vertx the Vert.x instance
   * @param timeoutMs at most this long
   * @return the exit code once the process has ended
   */
  public Future<Integer> exit(Vertx vertx, long timeoutMs) {
    return vertx.executeBlocking(() -> {
      if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("the child did not end within " + timeoutMs + " ms; stderr:\n"
            + stderrText());
      }
      return process.exitValue();
    });
  }

  /**
   * Kills the process at once, like {@code kill -9}: no shutdown hook, no clean close.
   *
   * @param vertx the Vert.x instance
   * @return the exit code once it is dead: 137 (128 + SIGKILL) on Linux
   */
  public Future<Integer> kill(Vertx vertx) {
    process.destroyForcibly();
    return exit(vertx, 10_000);
  }

  /** @return the child's standard error so far */
  public String stderrText() {
    try {
      String text = Files.readString(stderr.toPath());
      return text.length() > 4_000 ? "..." + text.substring(text.length() - 4_000) : text;
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  /** Kills the process if it still runs (for {@code @AfterEach}). */
  public void destroy() {
    process.destroyForcibly();
  }
}
