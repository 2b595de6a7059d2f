package dev.kora.cli;

import java.io.File;
import java.util.List;
import picocli.CommandLine.Option;

/** The {@code --lib DIR} option of commands that run a node in this process. */
final class PluginFolders {

  @Option(names = "--lib", paramLabel = "DIR",
      description = "Load plugins (interceptors, handlers, effects) from the jars in DIR; repeatable.")
  List<File> lib;

}
