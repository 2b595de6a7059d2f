package dev.kora.storage.spi;

import dev.kora.storage.Store;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.StoreProvider;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * A {@link StoreProvider} for a driver whose URLs are {@link ServerUrl}s: it accepts the URLs of its
 * schemes and opens them with the driver's factory. A driver's provider only names these in its
 * public no-argument constructor, which {@link java.util.ServiceLoader} calls. Stateless and
 * thread-safe; {@link #open} never blocks.
 */
public abstract class ServerStoreProvider implements StoreProvider {

  private final String name;
  private final Set<String> schemes;
  private final BiFunction<Vertx, StoreOptions, Future<? extends Store>> opener;

  /**
   * @param name the driver's name, e.g. {@code postgres}
   * @param schemes the URL schemes it accepts, lower case
   * @param opener opens a store, e.g. {@code PgStore::open}
   */
  protected ServerStoreProvider(String name, Set<String> schemes,
      BiFunction<Vertx, StoreOptions, Future<? extends Store>> opener) {
    this.name = name;
    this.schemes = Set.copyOf(schemes);
    this.opener = opener;
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final boolean accepts(StoreOptions options) {
    return ServerUrl.accepts(options.getUrl(), schemes);
  }

  @Override
  public final Future<Store> open(Vertx vertx, StoreOptions options) {
    return opener.apply(vertx, options).map(store -> store);
  }
}
