package dev.kora.storage.cassandra;

import dev.kora.storage.spi.ServerStoreProvider;

/**
 * The driver for URLs starting with {@code cassandra://}, found by {@link java.util.ServiceLoader};
 * opens a {@link CassandraStore}.
 */
public final class CassandraStoreProvider extends ServerStoreProvider {

  /** Used by {@link java.util.ServiceLoader}. */
  public CassandraStoreProvider() {
    super("cassandra", CassandraUrl.SCHEMES, CassandraStore::open);
  }
}
