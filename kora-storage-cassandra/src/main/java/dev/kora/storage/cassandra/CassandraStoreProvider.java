package dev.kora.storage.cassandra;

import dev.kora.storage.Store;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.spi.StoreProvider;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * The driver for URLs starting with {@code cassandra://}, found by {@link java.util.ServiceLoader};
 * opens a {@link CassandraStore}. Stateless and thread-safe; {@link #open} never blocks.
 */
public final class CassandraStoreProvider implements StoreProvider {

  /** Used by {@link java.util.ServiceLoader}. */
  public CassandraStoreProvider() {
  }

  @Override
  public String name() {
    return "cassandra";
  }

  @Override
  public boolean accepts(StoreOptions options) {
    return CassandraUrl.accepts(options.getUrl());
  }

  @Override
  public Future<Store> open(Vertx vertx, StoreOptions options) {
    return CassandraStore.open(vertx, options).map(store -> store);
  }
}
