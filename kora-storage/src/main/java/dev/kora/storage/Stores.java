package dev.kora.storage;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Opens stores by URL through the drivers found with {@link ServiceLoader} on the thread's context
 * class loader (so drivers in jars added at run time are found too).
 */
public final class Stores {

  private Stores() {
  }

  /**
   * @param vertx the Vert.x instance
   * @param options the options; the URL picks the driver
   * @return the open store; fails with {@code invalid_message} when no driver, or more than one,
   *     accepts the URL, and with the driver's error when it cannot open
   */
  public static Future<Store> open(Vertx vertx, StoreOptions options) {
    List<StoreProvider> matches = new ArrayList<>();
    List<String> names = new ArrayList<>();
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    for (StoreProvider provider : ServiceLoader.load(StoreProvider.class,
        loader == null ? Stores.class.getClassLoader() : loader)) {
      names.add(provider.name());
      if (provider.accepts(options)) {
        matches.add(provider);
      }
    }
    if (matches.isEmpty()) {
      return Future.failedFuture(new KoraException(ErrorCode.INVALID_MESSAGE,
          "no store driver accepts '" + redact(options.getUrl()) + "'; drivers present: " + names));
    }
    if (matches.size() > 1) {
      List<String> matched = new ArrayList<>();
      matches.forEach(p -> matched.add(p.name()));
      return Future.failedFuture(new KoraException(ErrorCode.INVALID_MESSAGE,
          "several store drivers accept '" + redact(options.getUrl()) + "': " + matched));
    }
    return matches.get(0).open(vertx, options);
  }

  /**
   * @param url a store URL
   * @return the URL with any password replaced by {@code ***}, safe to log
   */
  public static String redact(String url) {
    return url.replaceAll("(://[^:/@]*:)[^@/]*@", "$1***@");
  }
}
