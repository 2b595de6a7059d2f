package dev.kora.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code import}: runs {@code kora import FILE --at cities --index} in a fresh JVM (the full pipeline:
 * streaming parse, mutations through an in-process node's sequencer, durable group commits into a new
 * SQLite file) and times it from launch to exit; then, for the baseline, writes the same leaves
 * straight through {@link dev.kora.storage.Store#write} in this JVM.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
    description = "Time 'kora import' of cities.json (1.03M leaves) in a fresh JVM, and the store alone.")
final class ImportScenario implements Callable<Integer> {

  private static final Pattern IMPORTED =
      Pattern.compile("imported ([0-9,]+) items, ([0-9,]+) leaves");

  @Mixin
  BenchOptions options;

  @Option(names = "--file", defaultValue = "../shared/data/cities.json",
      description = "The JSON array to import (default: ${DEFAULT-VALUE}).")
  File file;

  @Option(names = "--at", defaultValue = "cities", description = "Where (default: ${DEFAULT-VALUE}).")
  String at;

  @Option(names = "--jar", paramLabel = "JAR",
      description = "Run 'java -jar JAR import ...' (e.g. kora-cli/target/kora.jar) instead of this"
          + " tool's class path.")
  File jar;

  @Option(names = "--no-baseline", description = "Skip the store baseline.")
  boolean noBaseline;

  @Override
  public Integer call() throws Exception {
    if (!file.isFile()) {
      throw new IllegalArgumentException("no such file: " + file + " (give --file)");
    }
    Result result = new Result("import");
    Machine.describe(result);
    result.put("file", file.getPath()).put("file_bytes", file.length());
    try (BenchNode.TempDir temp = new BenchNode.TempDir()) {
      String storeUrl = options.store != null ? options.store
          : "sqlite:" + temp.path().resolve("import.db");
      List<String> command = CliLauncher.command(jar, options.nodeJavaOpts, "import");
      command.addAll(List.of(file.getPath(), "--at", at, "--index", "--store", storeUrl));
      File log = temp.path().resolve("import.log").toFile();
      options.log("import: %s", String.join(" ", command.subList(command.size() - 7, command.size())));
      long start = System.nanoTime();
      Process process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(log).start();
      if (!process.waitFor(10, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new IllegalStateException("import did not finish within 10 minutes");
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      String output = Files.readString(log.toPath());
      if (process.exitValue() != 0) {
        throw new IllegalStateException("import failed (exit " + process.exitValue() + "): "
            + Rpc.abbreviate(output));
      }
      Matcher matcher = IMPORTED.matcher(output);
      long items = -1;
      long leaves = -1;
      if (matcher.find()) {
        items = Long.parseLong(matcher.group(1).replace(",", ""));
        leaves = Long.parseLong(matcher.group(2).replace(",", ""));
      }
      result.put("store", storeUrl).put("durability", BenchNode.durability(storeUrl));
      result.put("seconds", Result.round(seconds));
      result.put("items", items).put("leaves", leaves);
      result.put("leaves_per_s", Result.round(leaves / seconds));
      File db = new File(storeUrl.startsWith("sqlite:") ? storeUrl.substring(7) : "");
      if (db.isFile()) {
        result.put("store_file_bytes", db.length());
      }
      if (!noBaseline) {
        String url = StoreBaseline.freshUrl(storeUrl, temp.path(), "baseline");
        options.log("baseline: the same leaves straight into %s, 5,000 per call, 8 in flight", url);
        double baselineSeconds;
        try (StoreBaseline.Opened store = new StoreBaseline.Opened(url)) {
          long t = System.nanoTime();
          long written = writeDirect(store, Path.parse(at));
          baselineSeconds = (System.nanoTime() - t) / 1e9;
          if (leaves >= 0 && written != leaves) {
            result.note("baseline wrote " + written + " leaves, the import " + leaves);
          }
        }
        result.put("baseline_seconds", Result.round(baselineSeconds));
        result.put("baseline_per_s", Result.round(leaves / baselineSeconds));
        result.put("ratio_to_baseline", Result.round(baselineSeconds / seconds));
        result.note("seconds: wall time of the whole command, JVM start included; baseline_seconds: "
            + "parse + Store.write in this (already warm) JVM, no node, no JVM start");
      }
    }
    result.put("load_average_1m_end", Machine.loadAverage());
    result.print(System.out, options.json);
    return 0;
  }

  /** Streams the file's array into the store: child i (zero-padded) of base gets element i's leaves. */
  private long writeDirect(StoreBaseline.Opened store, Path base) throws IOException {
    JsonFactory factory = new JsonFactory();
    long count = 0;
    try (JsonParser parser = factory.createParser(file)) {
      if (parser.nextToken() != JsonToken.START_ARRAY) {
        throw new IllegalArgumentException("the file must hold a JSON array");
      }
      while (parser.nextToken() != JsonToken.END_ARRAY) {
        parser.skipChildren();
        count++;
      }
    }
    int width = String.valueOf(Math.max(0, count - 1)).length();
    ArrayDeque<Future<Void>> inFlight = new ArrayDeque<>();
    long leaves = 0;
    try (JsonParser parser = factory.createParser(file)) {
      parser.nextToken();
      List<LeafWrite> batch = new ArrayList<>();
      long index = 0;
      while (parser.nextToken() != JsonToken.END_ARRAY) {
        String digits = Long.toString(index++);
        Path item = base.child("0".repeat(Math.max(0, width - digits.length())) + digits);
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String field = parser.currentName();
          JsonToken token = parser.nextToken();
          Object value = switch (token) {
            case VALUE_STRING -> parser.getText();
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> parser.getNumberValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            default -> {
              parser.skipChildren();
              yield null;
            }
          };
          if (value != null) {
            batch.add(new LeafWrite(item.child(field), value));
          }
        }
        if (batch.size() >= 5000) {
          leaves += batch.size();
          submit(store, inFlight, batch);
          batch = new ArrayList<>();
        }
      }
      leaves += batch.size();
      submit(store, inFlight, batch);
    }
    while (!inFlight.isEmpty()) {
      inFlight.poll().await();
    }
    return leaves;
  }

  private static void submit(StoreBaseline.Opened store, ArrayDeque<Future<Void>> inFlight,
      List<LeafWrite> batch) {
    if (batch.isEmpty()) {
      return;
    }
    if (inFlight.size() >= 8) {
      inFlight.poll().await();
    }
    inFlight.add(store.store.write(List.of(Mutation.fromFlat(List.of(), batch))));
  }
}
