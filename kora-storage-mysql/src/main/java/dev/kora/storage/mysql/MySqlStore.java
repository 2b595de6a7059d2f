package dev.kora.storage.mysql;

import dev.kora.storage.StoreOptions;
import dev.kora.storage.jdbc.JdbcStore;
import dev.kora.storage.spi.ServerUrl;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Set;

/**
 * The tree in one InnoDB table of a MySQL or MariaDB database, one row per leaf:
 * {@code (path VARBINARY(3072) PRIMARY KEY, value LONGTEXT)}, paths encoded by
 * {@link dev.kora.storage.spi.PathEncoding} as UTF-8 bytes so that byte order is the tree's order and
 * a subtree is one key range. Open it with {@link dev.kora.storage.Stores#open} and a URL such as
 * {@code mysql://kora:secret@db:3306/app?table=todo} (or {@code mariadb://...}), or with
 * {@link #open}. The table is created on first use.
 *
 * <p>URL options, which take precedence over {@link StoreOptions}: {@code table} (default
 * {@link StoreOptions#getTable()}), {@code poolSize} (read connections and reader threads),
 * {@code timeoutMs} (the operation timeout, also Connector/J's connect and socket timeouts and
 * InnoDB's lock wait timeout, rounded up to seconds) and {@code sslMode} (Connector/J's, e.g.
 * {@code REQUIRED} or {@code VERIFY_IDENTITY}; default {@code PREFERRED}). User and password are
 * percent-decoded; the password is never logged nor put in a message.
 *
 * <p>Threading: every method may be called from any thread, event loops included, and never blocks.
 * JDBC runs on the shared worker pools {@code kora-mysql-writer} (one writer connection per store)
 * and {@code kora-mysql-reader} ({@code poolSize} threads, at most {@code poolSize} read connections).
 * Futures complete on the caller's context.
 *
 * <p>Guarantees: concurrent {@link #write} calls are committed in groups, one InnoDB transaction per
 * group, each call atomic (all of its mutations or none; a call that fails on its own fails alone),
 * durable as the server's {@code innodb_flush_log_at_trx_commit} makes it (1, the default: at every
 * commit). Each cursor reads one consistent snapshot. Writers of several nodes on one table are
 * serialized by InnoDB's locks (a deadlock is retried). A leaf whose stored path is longer than
 * {@value MySqlDialect#MAX_PATH_BYTES} bytes is refused with {@code too_large}. Errors as in
 * {@link JdbcStore}.
 */
public final class MySqlStore extends JdbcStore {

  /** The URL schemes of this driver. */
  static final Set<String> SCHEMES = Set.of("mysql", "mariadb");
  /** The server's port when the URL names none. */
  static final int DEFAULT_PORT = 3306;

  private MySqlStore(JdbcStore opened) {
    super(opened);
  }

  /**
   * Connects, creates the table on first use and opens the store. Never blocks.
   *
   * @param vertx the Vert.x instance whose worker pools the store uses
   * @param options the URL ({@code mysql://...} or {@code mariadb://...}), table, pool size and
   *     operation timeout
   * @return the open store; fails with {@code invalid_message} for a bad URL, {@code store_unavailable}
   *     when the server cannot be reached or the table has another shape
   */
  public static Future<MySqlStore> open(Vertx vertx, StoreOptions options) {
    return JdbcStore.open(vertx, () -> new MySqlDialect(parse(options))).map(MySqlStore::new);
  }

  static ServerUrl parse(StoreOptions options) {
    return ServerUrl.parse(options, DEFAULT_PORT, Set.of("sslMode"));
  }

  /** @return the table that holds this tree */
  public String table() {
    return ((MySqlDialect) dialect()).url().table();
  }
}
