package dev.kora.storage.sqlite;

import dev.kora.storage.Store;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.StoreProvider;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * The driver for URLs starting with {@code sqlite:}, found by {@link java.util.ServiceLoader}; opens a
 * {@link SqliteStore}. Stateless and thread-safe; {@link #open} never blocks.
 */
public final class SqliteStoreProvider implements StoreProvider {

  /** Used by {@link java.util.ServiceLoader}. */
  public SqliteStoreProvider() {
  }

  @Override
  public String name() {
    return "sqlite";
  }

  @Override
  public boolean accepts(StoreOptions options) {
    return SqliteUrl.accepts(options.getUrl());
  }

  @Override
  public Future<Store> open(Vertx vertx, StoreOptions options) {
    return SqliteStore.open(vertx, options).map(store -> store);
  }
}
