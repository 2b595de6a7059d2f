package dev.kora.cli;

import dev.kora.storage.StoreOptions;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The {@code --store URL} and {@code --data DIR} options shared by commands that open a store
 * themselves. Without {@code --store}, the store is SQLite at {@code DIR/kora.db}.
 */
final class StoreLocation {

  @Option(names = "--store", paramLabel = "URL",
      description = "Store URL: memory, sqlite:/path/file.db, postgres://user:pass@host:5432/db,"
          + " mysql://user:pass@host:3306/db, cassandra://host:9042/keyspace; add ?table=NAME to"
          + " keep several trees apart (default: sqlite:<data>/kora.db).")
  String store;

  @Option(names = "--data", paramLabel = "DIR", defaultValue = "./kora-data",
      description = "Data folder for the default SQLite store (default: ${DEFAULT-VALUE}).")
  Path data;

  /** @return store options for the chosen location */
  StoreOptions options() {
    String url = store != null ? store
        : "sqlite:" + data.toAbsolutePath().normalize().resolve("kora.db");
    return new StoreOptions().setUrl(url);
  }
}
