package dev.kora.cli;

import dev.kora.interceptors.KoraPlugin;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Finds plugins in the jars of a folder ({@code --lib DIR}): every {@code *.jar} directly in it goes on
 * one class loader, and {@link ServiceLoader} finds the {@link KoraPlugin}s they list in
 * {@code META-INF/services/dev.kora.interceptors.KoraPlugin}. The loader also becomes the thread's
 * context class loader, so store drivers shipped in those jars are found too.
 */
final class PluginLoader {

  private PluginLoader() {
  }

  /**
   * @param folders folders of jars; none means no plugins
   * @return the plugins found, in the order the jars list them
   * @throws KoraException {@code invalid_message} when a folder does not exist
   */
  static List<KoraPlugin> load(List<File> folders) {
    List<KoraPlugin> plugins = new ArrayList<>();
    if (folders == null || folders.isEmpty()) {
      return plugins;
    }
    List<URL> jars = new ArrayList<>();
    for (File folder : folders) {
      if (!folder.isDirectory()) {
        throw new KoraException(ErrorCode.INVALID_MESSAGE, "--lib " + folder
            + " is not a folder");
      }
      File[] found = folder.listFiles((dir, name) -> name.endsWith(".jar"));
      if (found == null) {
        continue;
      }
      Arrays.sort(found);
      for (File jar : found) {
        try {
          jars.add(jar.toURI().toURL());
        } catch (MalformedURLException e) {
          throw new KoraException(ErrorCode.INVALID_MESSAGE, "bad jar path " + jar);
        }
      }
    }
    ClassLoader loader = new URLClassLoader(jars.toArray(new URL[0]),
        PluginLoader.class.getClassLoader());
    Thread.currentThread().setContextClassLoader(loader);
    for (KoraPlugin plugin : ServiceLoader.load(KoraPlugin.class, loader)) {
      plugins.add(plugin);
    }
    return plugins;
  }
}
