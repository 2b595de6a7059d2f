package dev.kora.storage.sqlite;

import dev.kora.storage.StoreOptions;
import dev.kora.storage.spi.UrlOptions;
import dev.kora.tree.KoraException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A parsed {@code sqlite:} URL: {@code sqlite:/var/kora/kora.db}, {@code sqlite:data/kora.db}
 * (relative to the working directory) or {@code sqlite:///var/kora/kora.db}, optionally followed by
 * {@code ?table=NAME&synchronous=MODE}. Everything before the first {@code ?} is the file path, taken
 * literally (not percent-decoded), so a path built by joining {@code "sqlite:"} and a file name works
 * as long as the name holds no {@code ?}. Option values are percent-decoded ({@link UrlOptions}).
 *
 * @param file the database file, absolute and normalized
 * @param table the table holding the tree: the URL's {@code table}, else {@link StoreOptions#getTable()}
 * @param synchronous SQLite's {@code PRAGMA synchronous} for the writer connection
 */
record SqliteUrl(Path file, String table, Synchronous synchronous) {

  /** The scheme every SQLite store URL starts with. */
  static final String SCHEME = "sqlite:";
  /** The options of a SQLite store URL. */
  static final List<String> OPTIONS = List.of("table", "synchronous");

  /** SQLite's durability levels ({@code PRAGMA synchronous}); see {@link SqliteStore}. */
  enum Synchronous { OFF, NORMAL, FULL, EXTRA }

  /** @return whether the URL names the SQLite driver */
  static boolean accepts(String url) {
    return url != null && url.startsWith(SCHEME);
  }

  /**
   * @param options the store options; their URL must start with {@code sqlite:}
   * @return the parsed URL
   * @throws KoraException {@code invalid_message} for a URL this driver cannot use
   */
  static SqliteUrl parse(StoreOptions options) {
    String url = options.getUrl();
    if (!accepts(url)) {
      throw UrlOptions.invalid(url, "it does not start with " + SCHEME);
    }
    String rest = UrlOptions.withoutOptions(url).substring(SCHEME.length());
    if (rest.startsWith("///")) {
      rest = rest.substring(2);
    } else if (rest.startsWith("//")) {
      throw UrlOptions.invalid(url, "write a file path, sqlite:/abs/file.db or"
          + " sqlite:relative/file.db, not a host");
    }
    String pathText = rest;
    if (pathText.isEmpty() || pathText.endsWith("/")) {
      throw UrlOptions.invalid(url, "it names no database file");
    }
    if (pathText.equals(":memory:") || pathText.startsWith("file:")) {
      throw UrlOptions.invalid(url, "it must name a file on disk (use the URL 'memory' for a store"
          + " in memory)");
    }
    Path file;
    try {
      file = Paths.get(pathText).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      throw UrlOptions.invalid(url, e.getMessage());
    }
    String table = options.getTable();
    Synchronous synchronous = Synchronous.FULL;
    for (Map.Entry<String, String> option : UrlOptions.parse(url, OPTIONS).entrySet()) {
      String value = option.getValue();
      if (option.getKey().equals("table")) {
        table = UrlOptions.table(url, value);
      } else {
        try {
          synchronous = Synchronous.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw UrlOptions.invalid(url, "synchronous must be OFF, NORMAL, FULL or EXTRA, got '"
              + value + "'");
        }
      }
    }
    return new SqliteUrl(file, table, synchronous);
  }

  /** @return the sqlite-jdbc URL of the file */
  String jdbcUrl() {
    return "jdbc:sqlite:" + file;
  }

  /** @return the table name quoted as an SQL identifier */
  String quotedTable() {
    return quoted(table);
  }

  /**
   * @return the name of the table holding the tree's large values ({@link SqliteDialect}), e.g.
   *     {@code kora-large}: the tree's table name and {@code -large}. A table name holds letters,
   *     digits and {@code _} only ({@link StoreOptions#setTable}), so no other tree's table can have
   *     this name.
   */
  String largeTable() {
    return table + "-large";
  }

  /** @return {@link #largeTable()} quoted as an SQL identifier */
  String quotedLargeTable() {
    return quoted(largeTable());
  }

  /**
   * @param name a name made of a table name ({@link StoreOptions#setTable}: letters, digits, {@code _})
   *     and {@code -}, which holds no quote to escape
   * @return it quoted as an SQL identifier
   */
  static String quoted(String name) {
    return "\"" + name + "\"";
  }

  /** @return e.g. {@code sqlite:/var/kora/kora.db?table=kora&synchronous=FULL} */
  String describe() {
    return SCHEME + file + "?table=" + table + "&synchronous=" + synchronous;
  }
}
