package dev.kora.storage.memory;

import dev.kora.storage.Store;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.StoreProvider;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** The driver for the URL {@code memory}: a fresh {@link MemoryStore} each time. */
public final class MemoryStoreProvider implements StoreProvider {

  @Override
  public String name() {
    return "memory";
  }

  @Override
  public boolean accepts(StoreOptions options) {
    return options.getUrl().equals("memory") || options.getUrl().startsWith("memory:");
  }

  @Override
  public Future<Store> open(Vertx vertx, StoreOptions options) {
    return Future.succeededFuture(MemoryStore.create(vertx, options.getOperationTimeoutMs()));
  }
}
