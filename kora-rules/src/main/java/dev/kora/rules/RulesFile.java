package dev.kora.rules;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.FileProps;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * A rules file in force on a node, reloaded when it changes: the file's modification time and size
 * are looked at every {@code checkIntervalMs} (1,000 ms by default); a changed file is read and
 * compiled off the event loop and replaces the rules at once. A file that no longer compiles (or
 * cannot be read) keeps the rules in force, and the log says why, naming each problem.
 */
public final class RulesFile {

  private static final System.Logger LOG = System.getLogger(RulesFile.class.getName());

  /** How often the file is looked at by default, ms. */
  public static final long DEFAULT_CHECK_INTERVAL_MS = 1_000;

  private final Vertx vertx;
  private final Path file;
  private volatile RuleSet rules;
  private volatile String lastProblem;
  private long modified;
  private long size;
  private long timer = -1;
  private Consumer<RuleSet> onReload = loaded -> { };

  private RulesFile(Vertx vertx, Path file, RuleSet rules, long modified, long size) {
    this.vertx = vertx;
    this.file = file;
    this.rules = rules;
    this.modified = modified;
    this.size = size;
  }

  /**
   * Reads and compiles the file (off the event loop).
   *
   * @param vertx the Vert.x instance, for reading and the reload timer
   * @param file the rules file, shaped as {@link RuleSet} says
   * @return the file, its rules in force; fails with {@link RulesException} listing every problem,
   *     or with the I/O error when it cannot be read
   */
  public static Future<RulesFile> open(Vertx vertx, Path file) {
    return vertx.executeBlocking(() -> {
      long modified = Files.getLastModifiedTime(file).toMillis();
      long size = Files.size(file);
      RuleSet rules = RuleSet.parse(Files.readString(file, StandardCharsets.UTF_8),
          file.toString());
      return new RulesFile(vertx, file, rules, modified, size);
    }, false);
  }

  /**
   * Starts looking for changes.
   *
   * @param checkIntervalMs how often, ms (at least 10)
   * @return this
   */
  public RulesFile watch(long checkIntervalMs) {
    if (timer < 0) {
      timer = vertx.setPeriodic(Math.max(10, checkIntervalMs), id -> check());
    }
    return this;
  }

  /**
   * @param listener told of each reload that took effect, with the new rules (for logs and tests)
   * @return this
   */
  public RulesFile onReload(Consumer<RuleSet> listener) {
    this.onReload = listener;
    return this;
  }

  /** @return the rules in force; thread-safe */
  public RuleSet rules() {
    return rules;
  }

  /** @return why the last change of the file was not taken, or null when the last change was */
  public String lastProblem() {
    return lastProblem;
  }

  /** @return the file */
  public Path file() {
    return file;
  }

  /** Stops looking for changes. */
  public void close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  private boolean checking;

  private void check() {
    if (checking) {
      return;
    }
    checking = true;
    vertx.fileSystem().props(file.toString()).compose(props -> changed(props)
        ? reload(props) : Future.succeededFuture()).onComplete(done -> {
          checking = false;
          if (done.failed()) {
            problem("cannot read " + file + ": " + done.cause().getMessage());
          }
        });
  }

  private boolean changed(FileProps props) {
    return props.lastModifiedTime() != modified || props.size() != size;
  }

  private Future<Void> reload(FileProps props) {
    modified = props.lastModifiedTime();
    size = props.size();
    return vertx.executeBlocking(() -> RuleSet.parse(
        Files.readString(file, StandardCharsets.UTF_8), file.toString()), false)
        .transform(parsed -> {
          if (parsed.succeeded()) {
            rules = parsed.result();
            lastProblem = null;
            LOG.log(System.Logger.Level.INFO, "rules reloaded from " + file + ": "
                + rules.size() + " rules");
            onReload.accept(rules);
          } else {
            problem(parsed.cause().getMessage() + "\nthe rules in force stay");
          }
          return Future.succeededFuture();
        });
  }

  private void problem(String message) {
    lastProblem = message;
    LOG.log(System.Logger.Level.WARNING, message);
  }
}
