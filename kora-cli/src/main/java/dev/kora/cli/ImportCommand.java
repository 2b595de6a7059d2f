package dev.kora.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.kora.node.KoraNode;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Tree;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kora import FILE --at PATH [--index | --key FIELD]}: loads a JSON file into the tree through
 * an in-process node's write pipeline (the same validation as any client), in bounded batches, with a
 * progress bar. The file is read as a stream; memory stays bounded by the batch size. When the file
 * comes with the metadata of {@code kora export --out} ({@link ExportMetadata}, {@code FILE.meta.json}),
 * the summary line says which version of which node the data is.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
    description = "Load a JSON file into the tree at a path.")
final class ImportCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "FILE", description = "The JSON file.")
  File file;

  @Option(names = "--at", required = true, paramLabel = "PATH",
      description = "Where to put the data, e.g. cities or user:info/dax.")
  String at;

  @ArgGroup(exclusive = true)
  Keying keying = new Keying();

  static final class Keying {
    @Option(names = "--index",
        description = "A JSON array's elements become children keyed by their zero-padded index.")
    boolean index;

    @Option(names = "--key", paramLabel = "FIELD",
        description = "A JSON array's elements become children keyed by this field's value.")
    String key;
  }

  @Option(names = "--batch-leaves", defaultValue = "5000",
      description = "Leaves per mutation (default: ${DEFAULT-VALUE}).")
  int batchLeaves;

  @Option(names = "--in-flight", defaultValue = "8",
      description = "Mutations in flight at once (default: ${DEFAULT-VALUE}).")
  int inFlight;

  @Mixin
  NodeConfig config;

  private final ArrayDeque<Future<Long>> pending = new ArrayDeque<>();

  @Override
  public Integer call() throws Exception {
    Path base = Path.parse(at);
    if (!file.isFile()) {
      throw new KoraException(ErrorCode.INVALID_MESSAGE, "no such file: " + file);
    }
    ExportMetadata metadata = ExportMetadata.readFor(file);
    Vertx vertx = Vertx.vertx();
    try {
      KoraNode node = KoraNode.deploy(vertx, config.options()
          .setListen(false)).await();
      long[] counts;
      try {
        counts = load(node, base);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        // Jackson's own message spans two lines; the CLI reports one.
        String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()
            + ", column " + e.getLocation().getColumnNr();
        throw new KoraException(ErrorCode.INVALID_JSON, file + " is not valid JSON" + where + ": "
            + e.getOriginalMessage(), e);
      }
      System.err.printf("kora: imported %,d items, %,d leaves into '%s' of %s%s%n", counts[0],
          counts[1], base, node.store().describe(), describe(metadata));
      return 0;
    } finally {
      vertx.close().await();
    }
  }

  /** @return what an export's metadata says of the data: its source and version, or nothing */
  private static String describe(ExportMetadata metadata) {
    if (metadata == null) {
      return "";
    }
    return "; the export of '" + metadata.at() + "' from " + metadata.source()
        + (metadata.version() == null ? "" : " at version " + metadata.version());
  }

  private long[] load(KoraNode node, Path base) throws IOException {
    JsonFactory factory = new JsonFactory();
    int width = 0;
    if (keying.index) {
      width = String.valueOf(Math.max(0, countElements(factory) - 1)).length();
    }
    Batcher batcher = new Batcher(node, base, new Progress(System.err, "items"),
        Math.max(1, file.length()));
    try (JsonParser parser = factory.createParser(file)) {
      JsonToken first = parser.nextToken();
      if (first == JsonToken.START_ARRAY) {
        if (!keying.index && keying.key == null) {
          throw new KoraException(ErrorCode.INVALID_MESSAGE,
              "the file holds a JSON array: say how to key its elements with --index or --key FIELD");
        }
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          Object element = JsonValues.read(parser);
          String childKey = keying.index ? pad(batcher.items, width)
              : keyOf(element, batcher.items);
          batcher.add(childKey, element, parser);
        }
      } else if (first == JsonToken.START_OBJECT) {
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          parser.nextToken();
          batcher.add(name, JsonValues.read(parser), parser);
        }
      } else {
        throw new KoraException(ErrorCode.INVALID_MESSAGE,
            "the file must hold a JSON object or an array of objects");
      }
      batcher.flush();
      batcher.awaitAll();
    } catch (KoraException e) {
      batcher.settle();
      throw new KoraException(e.code(), e.getMessage() + " (" + batcher.committedItems
          + " items were imported before the failure; merges are idempotent, so the import"
          + " can be run again)", e);
    }
    batcher.progress.update(1, batcher.items, batcher.leaves, true);
    return new long[] {batcher.items, batcher.leaves};
  }

  /** Groups items into mutations of about {@code batchLeaves} leaves, a window of them in flight. */
  private final class Batcher {
    private final KoraNode node;
    private final Path base;
    private final Progress progress;
    private final long size;
    private JsonObject batch = new JsonObject();
    private long batchLeafCount;
    long items;
    long leaves;
    long committedItems;

    Batcher(KoraNode node, Path base, Progress progress, long size) {
      this.node = node;
      this.base = base;
      this.progress = progress;
      this.size = size;
    }

    void add(String key, Object value, JsonParser parser) {
      if (batch.containsKey(key)) {
        flush();
      }
      batch.put(key, value);
      long valueLeaves = value instanceof JsonObject ? Tree.countLeaves((JsonObject) value) : 1;
      batchLeafCount += valueLeaves;
      leaves += valueLeaves;
      items++;
      if (batchLeafCount >= batchLeaves) {
        flush();
        progress.update((double) parser.currentLocation().getByteOffset() / size, items, leaves,
            false);
      }
    }

    void flush() {
      if (batch.isEmpty()) {
        return;
      }
      Mutation mutation = Mutation.merge(base, batch);
      int count = batch.size();
      batch = new JsonObject();
      batchLeafCount = 0;
      while (pending.size() >= inFlight) {
        pending.poll().await();
      }
      pending.add(node.mutate(mutation).onSuccess(version -> committedItems += count));
    }

    void awaitAll() {
      while (!pending.isEmpty()) {
        pending.poll().await();
      }
    }

    /** Waits for what is in flight, ignoring failures, so the count of committed items is final. */
    void settle() {
      while (!pending.isEmpty()) {
        try {
          pending.poll().await();
        } catch (RuntimeException ignored) {
          // already reported
        }
      }
    }
  }

  private String keyOf(Object element, long index) {
    if (!(element instanceof JsonObject)) {
      throw new KoraException(ErrorCode.INVALID_MESSAGE, "element " + index
          + " is not an object, so it has no field '" + keying.key + "'");
    }
    Object value = ((JsonObject) element).getValue(keying.key);
    if (value == null || value instanceof JsonObject || value instanceof Map) {
      throw new KoraException(ErrorCode.INVALID_MESSAGE, "element " + index
          + " has no usable key field '" + keying.key + "'");
    }
    return String.valueOf(value);
  }

  private static String pad(long index, int width) {
    String digits = Long.toString(index);
    return digits.length() >= width ? digits : "0".repeat(width - digits.length()) + digits;
  }

  private long countElements(JsonFactory factory) throws IOException {
    long count = 0;
    try (JsonParser parser = factory.createParser(file)) {
      if (parser.nextToken() != JsonToken.START_ARRAY) {
        throw new KoraException(ErrorCode.INVALID_MESSAGE,
            "--index needs a file holding a JSON array");
      }
      while (parser.nextToken() != JsonToken.END_ARRAY) {
        parser.skipChildren();
        count++;
      }
    }
    return count;
  }
}
