package dev.kora.cli;

import dev.kora.client.connection.KoraConnection;
import dev.kora.storage.ReadRange;
import dev.kora.storage.Store;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.StoredLeaf;
import dev.kora.storage.Stores;
import dev.kora.storage.TreeReader;
import dev.kora.storage.changelog.ChangeLog;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import java.io.BufferedWriter;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kora export [--at PATH] [--out FILE] [--url URL]}: writes a subtree as one JSON document,
 * streaming it in batches so that any size exports with bounded memory. Prints {@code null} when
 * nothing is there.
 *
 * <ul>
 *   <li>Without {@code --url} it opens the store itself ({@code --store}/{@code --data}): the node
 *       using it must be stopped.</li>
 *   <li>With {@code --url} it reads a running node over the WebSocket while writes go on
 *       ({@link RemoteSnapshot}) into a temporary SQLite file, then writes that out: the data is
 *       exactly the subtree as of one version.</li>
 * </ul>
 * The version is printed on stderr and, with {@code --out FILE}, written to {@code FILE.meta.json}
 * ({@link ExportMetadata}), which {@code kora import FILE} shows. The file appears only once the
 * export succeeded. The change log and mutation ids ({@link ChangeLog}) are history, not data: they
 * are left out (an import starts a history of its own; {@code kora copy} carries them between
 * stores).
 */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = "Write a subtree (default: the whole tree) as JSON to stdout or a file: from a"
        + " stopped node's store, or with --url from a running node, as of one version.")
final class ExportCommand implements Callable<Integer> {

  @Option(names = "--at", defaultValue = "", paramLabel = "PATH",
      description = "The subtree to export (default: the whole tree; needed with --url).")
  String at;

  @Option(names = "--out", paramLabel = "FILE",
      description = "Write to FILE (and the version to FILE.meta.json) instead of stdout.")
  File out;

  @Option(names = "--page-leaves", defaultValue = "5000", paramLabel = "N",
      description = "With --url: about how many leaves to read per query"
          + " (default: ${DEFAULT-VALUE}).")
  int pageLeaves;

  @Mixin
  StoreLocation location;

  @Mixin
  NodeAddress node;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    Path base = Path.parse(at);
    boolean online = given("--url");
    if (online && (given("--store") || given("--data"))) {
      throw new ParameterException(spec.commandLine(),
          "--url reads a running node; --store and --data open a store: give one or the other");
    }
    Vertx vertx = Vertx.vertx();
    try {
      return online ? exportOnline(vertx, base) : exportStore(vertx, base);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    } finally {
      vertx.close().await();
    }
  }

  private int exportStore(Vertx vertx, Path base) throws IOException {
    Store store = Stores.open(vertx, location.options()).await();
    try {
      long version = ChangeLog.counters(store).await().version();
      write(store, base, version, store.describe());
      return 0;
    } finally {
      store.close().await();
    }
  }

  private int exportOnline(Vertx vertx, Path base) throws IOException {
    RemoteSnapshot.requireSubtree(base);
    java.nio.file.Path spill = Files.createTempDirectory("kora-export");
    try {
      Store local = Stores.open(vertx, new StoreOptions().setUrl("sqlite:"
          + spill.resolve("snapshot.db") + "?synchronous=OFF")).await();
      try {
        NodeAddress.Opened opened = node.connect(vertx);
        KoraConnection connection = opened.connection();
        long version;
        RemoteSnapshot snapshot;
        try {
          snapshot = new RemoteSnapshot(connection, base, local, pageLeaves);
          version = snapshot.copy();
        } finally {
          connection.close();
        }
        System.err.printf("kora: read %,d pages and %,d commits made meanwhile%n",
            snapshot.pages(), snapshot.appliedPushes());
        write(local, base, version, opened.url());
        return 0;
      } finally {
        local.close().await();
      }
    } finally {
      deleteTree(spill);
    }
  }

  /** Streams the subtree of {@code store} to the output, then writes the metadata and a summary. */
  private void write(Store store, Path base, long version, String source) throws IOException {
    File partial = out == null ? null : new File(out.getPath() + ".partial");
    OutputStream stream = partial == null ? System.out : new FileOutputStream(partial);
    Writer writer = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8),
        1 << 16);
    long leaves;
    try {
      leaves = writeTree(store, base, writer);
      writer.write('\n');
      writer.flush();
    } catch (IOException | RuntimeException e) {
      if (partial != null) {
        writer.close();
        Files.deleteIfExists(partial.toPath());
      }
      throw e;
    }
    if (partial != null) {
      writer.close();
      // no moment where the new data sits beside the metadata of an older export
      Files.deleteIfExists(ExportMetadata.fileFor(out).toPath());
      Files.move(partial.toPath(), out.toPath(), StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
      new ExportMetadata(base.toString(), version, source, leaves, System.currentTimeMillis())
          .writeFor(out);
    }
    System.err.printf("kora: exported %,d leaves of '%s' at version %d%s%n", leaves, base, version,
        out == null ? "" : " to " + out);
  }

  /**
   * Writes the subtree at {@code base} of a store as one JSON document (without a final newline),
   * leaving out the change log's rows.
   *
   * @param store the store
   * @param base the subtree
   * @param out where to write
   * @return the number of leaves written
   */
  static long writeTree(Store store, Path base, Writer out) throws IOException {
    JsonTreeWriter writer = new JsonTreeWriter(out, base);
    long[] leaves = {0};
    TreeReader.stream(store, ReadRange.subtree(base), TreeReader.BATCH_ROWS, rows -> {
      for (StoredLeaf row : rows) {
        if (!ChangeLog.isBookkeeping(row.path())) {
          writer.leaf(row.path(), row.valueJson());
          leaves[0]++;
        }
      }
      return Future.succeededFuture(true);
    }).await();
    writer.finish();
    return leaves[0];
  }

  private boolean given(String option) {
    return spec.commandLine().getParseResult() != null
        && spec.commandLine().getParseResult().hasMatchedOption(option);
  }

  private static void deleteTree(java.nio.file.Path folder) throws IOException {
    try (Stream<java.nio.file.Path> paths = Files.walk(folder)) {
      for (java.nio.file.Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  /** Writes leaves arriving in path order as one nested JSON document. */
  static final class JsonTreeWriter {
    private final Writer out;
    private final int baseDepth;
    private Path previous;
    private boolean empty = true;

    JsonTreeWriter(Writer out, Path base) {
      this.out = out;
      this.baseDepth = base.size();
    }

    void leaf(Path path, String valueJson) {
      try {
        Path relative = path.suffix(baseDepth);
        if (relative.isRoot()) {
          out.write(valueJson);
          empty = false;
          previous = relative;
          return;
        }
        int common = 0;
        if (previous == null) {
          out.write('{');
        } else {
          int max = Math.min(previous.size(), relative.size()) - 1;
          while (common < max && previous.key(common).equals(relative.key(common))) {
            common++;
          }
          for (int i = previous.size() - 1; i > common; i--) {
            out.write('}');
          }
          out.write(',');
        }
        for (int i = common; i < relative.size(); i++) {
          out.write(Json.encode(relative.key(i)));
          out.write(':');
          if (i < relative.size() - 1) {
            out.write('{');
          }
        }
        out.write(valueJson);
        previous = relative;
        empty = false;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    void finish() throws IOException {
      if (empty) {
        out.write("null");
        return;
      }
      if (previous.isRoot()) {
        return;
      }
      for (int i = 0; i < previous.size(); i++) {
        out.write('}');
      }
    }
  }
}
