package dev.kora.cli;

import dev.kora.storage.ReadRange;
import dev.kora.storage.Store;
import dev.kora.storage.StoredLeaf;
import dev.kora.storage.Stores;
import dev.kora.storage.TreeReader;
import dev.kora.storage.changelog.ChangeLog;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kora export [--at PATH]}: writes a subtree as JSON to stdout, streaming rows from the store
 * in batches so that any size exports with bounded memory. Prints {@code null} when nothing is there.
 * The change log and mutation ids ({@link ChangeLog}) are history, not data: they are left out (an
 * import starts a history of its own; {@code kora copy} carries them between stores).
 */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = "Write a subtree (default: the whole tree) as JSON to stdout.")
final class ExportCommand implements Callable<Integer> {

  @Option(names = "--at", defaultValue = "", paramLabel = "PATH",
      description = "The subtree to export (default: the whole tree).")
  String at;

  @Mixin
  StoreLocation location;

  @Override
  public Integer call() throws IOException {
    Path base = Path.parse(at);
    Vertx vertx = Vertx.vertx();
    Writer out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8),
        1 << 16);
    try {
      Store store = Stores.open(vertx, location.options()).await();
      try {
        JsonTreeWriter writer = new JsonTreeWriter(out, base);
        TreeReader.stream(store, ReadRange.subtree(base), TreeReader.BATCH_ROWS, rows -> {
          for (StoredLeaf row : rows) {
            if (!ChangeLog.isBookkeeping(row.path())) {
              writer.leaf(row.path(), row.valueJson());
            }
          }
          return Future.succeededFuture(true);
        }).await();
        writer.finish();
        out.write('\n');
        out.flush();
      } finally {
        store.close().await();
      }
      return 0;
    } catch (UncheckedIOException e) {
      throw e.getCause();
    } finally {
      vertx.close().await();
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
