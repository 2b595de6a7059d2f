package dev.kora.cli;

import dev.kora.node.KoraNodeOptions;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The {@code --config FILE} option: a JSON file with the node's options, the form of
 * {@link KoraNodeOptions#toJson()}, plus {@code "lib"}, folders of plugin jars (relative to the file),
 * and for {@code kora serve} {@code "cluster"} ({@link ClusterOptions}):
 *
 * <pre>{@code
 * {"host": "0.0.0.0", "port": 12000,
 *  "store": {"url": "postgres://kora@db:5432/kora", "poolSize": 8, "operationTimeoutMs": 5000},
 *  "maxFrameBytes": 16777216, "jobMaxAttempts": 8, "lib": ["plugins"]}
 * }</pre>
 *
 * Options given on the command line win over the file. Commands that run a node in this process
 * ({@code serve}, {@code import}) mix this in; it brings {@code --store}/{@code --data} and
 * {@code --lib} along.
 */
final class NodeConfig {

  @Mixin
  StoreLocation location;

  @Mixin
  PluginFolders plugins;

  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE",
      description = "JSON file with node options (host, port, store, limits) and \"lib\" folders.")
  File file;

  private JsonObject json;

  /** @return the file's content, {@code {}} without a file */
  JsonObject json() {
    if (json == null) {
      if (file == null) {
        json = new JsonObject();
      } else {
        try {
          json = new JsonObject(Files.readString(file.toPath()));
        } catch (IOException e) {
          throw new KoraException(ErrorCode.INVALID_MESSAGE, "cannot read --config " + file + ": "
              + e.getMessage());
        } catch (DecodeException e) {
          throw new KoraException(ErrorCode.INVALID_JSON, "--config " + file
              + " is not a JSON object: " + e.getMessage().lines().findFirst().orElse(""));
        }
      }
    }
    return json;
  }

  /** @return node options: the file's, then the command line's where it gave them */
  KoraNodeOptions options() {
    KoraNodeOptions options;
    try {
      options = new KoraNodeOptions(json());
    } catch (ClassCastException | IllegalArgumentException e) {
      throw new KoraException(ErrorCode.INVALID_MESSAGE, "--config " + file + ": " + e.getMessage());
    }
    if (given("--store") || given("--data") || !json().containsKey("store")) {
      options.setStore(location.options());
    }
    List<File> folders = new ArrayList<>();
    JsonArray lib = json().getJsonArray("lib", new JsonArray());
    for (Object folder : lib) {
      File resolved = new File(String.valueOf(folder));
      folders.add(resolved.isAbsolute() || file == null ? resolved
          : new File(file.getAbsoluteFile().getParentFile(), resolved.getPath()));
    }
    if (plugins.lib != null) {
      folders.addAll(plugins.lib);
    }
    PluginLoader.load(folders).forEach(options::addPlugin);
    return options;
  }

  /** @return whether the command line gave the option (not only its default) */
  boolean given(String option) {
    return spec.commandLine().getParseResult() != null
        && spec.commandLine().getParseResult().hasMatchedOption(option);
  }
}
