package dev.kora.storage.mysql;

import dev.kora.storage.spi.ServerStoreProvider;

/**
 * The driver for URLs starting with {@code mysql://} or {@code mariadb://}, found by
 * {@link java.util.ServiceLoader}; opens a {@link MySqlStore}.
 */
public final class MySqlStoreProvider extends ServerStoreProvider {

  /** Used by {@link java.util.ServiceLoader}. */
  public MySqlStoreProvider() {
    super("mysql", MySqlStore.SCHEMES, MySqlStore::open);
  }
}
