package dev.kora.storage.postgres;

import dev.kora.storage.spi.ServerStoreProvider;

/**
 * The driver for URLs starting with {@code postgres://} or {@code postgresql://}, found by
 * {@link java.util.ServiceLoader}; opens a {@link PgStore}.
 */
public final class PgStoreProvider extends ServerStoreProvider {

  /** Used by {@link java.util.ServiceLoader}. */
  public PgStoreProvider() {
    super("postgres", PgStore.SCHEMES, PgStore::open);
  }
}
