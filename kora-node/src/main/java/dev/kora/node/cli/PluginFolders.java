package dev.kora.node.cli;

import dev.kora.node.KoraNodeOptions;
import java.io.File;
import java.util.List;
import picocli.CommandLine.Option;

/** The {@code --lib DIR} option of commands that run a node in this process. */
final class PluginFolders {

  @Option(names = "--lib", paramLabel = "DIR",
      description = "Load plugins (interceptors, handlers, effects) from the jars in DIR; repeatable.")
  List<File> lib;

  /**
   * @param options the node's options
   * @return {@code options}, with the plugins found in the folders added
   */
  KoraNodeOptions addTo(KoraNodeOptions options) {
    PluginLoader.load(lib).forEach(options::addPlugin);
    return options;
  }
}
