package dev.kora.storage.mysql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kora.storage.ReadRange;
import dev.kora.storage.Store;
import dev.kora.storage.StoreCapability;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.ServerStoreTestBase;
import dev.kora.storage.Stores;
import dev.kora.storage.spi.PathEncoding;
import dev.kora.storage.spi.ServerUrl;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs the conformance suite on the MySQL/MariaDB store against a real server — by default MariaDB
 * on 127.0.0.1:3306 (root, no password, database {@code kora_test}, as
 * {@code scripts/services/mariadb.sh ensure} sets up), or the server of the environment variable
 * {@value #URL_VARIABLE} — each test on fresh tables that are dropped after it. An unreachable server
 * fails the tests; none is skipped. Plus the driver's own tests.
 *
 * <p>Opt-out: {@link StoreCapability#FULL_LENGTH_PATHS} — InnoDB indexes keys of at most 3,072 bytes,
 * so the store refuses stored paths longer than that ({@code too_large}) instead of the 24,608 bytes
 * of the longest path the tree allows.
 *
 * <p>Failure injection is real: {@link #failWritesAt} creates a {@code BEFORE INSERT} trigger on the
 * tree's table that {@code SIGNAL}s an error when the marker path is written, so the server fails the
 * statement in the middle of the store's transaction.
 */
class MySqlStoreTest extends ServerStoreTestBase {

  /** Environment variable with the URL of the server to test against. */
  static final String URL_VARIABLE = "KORA_MYSQL_URL";
  /** The URL used when the variable is not set. */
  static final String DEFAULT_URL = "mysql://root@127.0.0.1:3306/kora_test";

  static String testUrl() {
    return urlFromEnvironment(URL_VARIABLE, DEFAULT_URL);
  }

  @BeforeAll
  static void serverIsReachable() {
    try (Connection connection = admin()) {
      assertTrue(connection.isValid(5));
    } catch (SQLException | RuntimeException e) {
      fail("MySQL/MariaDB is not reachable at " + Stores.redact(testUrl()) + " (" + e.getMessage()
          + "): start it with scripts/services/mariadb.sh ensure, or set " + URL_VARIABLE
          + " to a server's URL");
    }
  }

  /** A JDBC connection to the test database, configured as the store's. Blocking. */
  static Connection admin() throws SQLException {
    return new MySqlDialect(MySqlStore.parse(new StoreOptions().setUrl(testUrl()))).connectWriter();
  }

  private interface JdbcWork<T> {
    T run(Statement statement) throws SQLException;
  }

  private <T> Future<T> jdbc(JdbcWork<T> work) {
    return vertx.executeBlocking(() -> {
      try (Connection connection = admin(); Statement statement = connection.createStatement()) {
        return work.run(statement);
      }
    }, false);
  }

  private Future<String> query(String sql) {
    return jdbc(statement -> {
      try (ResultSet rows = statement.executeQuery(sql)) {
        return rows.next() ? rows.getString(1) : null;
      }
    });
  }

  @Override
  protected String url() {
    return testUrl();
  }

  @Override
  protected int maxPathBytes() {
    return MySqlDialect.MAX_PATH_BYTES;
  }

  @Override
  protected Future<Void> dropStore(String table) {
    return jdbc(statement -> statement.execute("DROP TABLE IF EXISTS `" + table + "`")).mapEmpty();
  }

  @Override
  protected Set<StoreCapability> capabilities() {
    return EnumSet.complementOf(EnumSet.of(StoreCapability.FULL_LENGTH_PATHS));
  }

  @Override
  protected Future<Void> failWritesAt(Store store, String table, Path marker) {
    String hex = HexFormat.of().formatHex(PathEncoding.encode(marker)
        .getBytes(StandardCharsets.UTF_8));
    return jdbc(statement -> statement.execute("CREATE TRIGGER `fail_" + table + "` BEFORE INSERT ON `"
        + table + "` FOR EACH ROW BEGIN IF NEW.path = X'" + hex + "' THEN SIGNAL SQLSTATE '45000'"
        + " SET MESSAGE_TEXT = 'injected failure at " + marker + "'; END IF; END")).mapEmpty();
  }

  /**
   * The lock is held by a transaction on a JDBC connection of its own (blocking calls on a worker
   * thread), closed by the commit.
   */
  @Override
  protected Future<RowLock> lockRow(String table, Path path) {
    byte[] row = PathEncoding.encode(path).getBytes(StandardCharsets.UTF_8);
    return vertx.executeBlocking(() -> {
      Connection connection = admin();
      try {
        connection.setAutoCommit(false);
        try (PreparedStatement lock = connection.prepareStatement("SELECT value FROM `" + table
            + "` WHERE path = ? FOR UPDATE")) {
          lock.setBytes(1, row);
          lock.executeQuery().close();
        }
      } catch (SQLException | RuntimeException e) {
        connection.close();
        throw e;
      }
      return (RowLock) value -> vertx.executeBlocking(() -> {
        try (connection; PreparedStatement update = connection.prepareStatement("UPDATE `" + table
            + "` SET value = ? WHERE path = ?")) {
          update.setString(1, value);
          update.setBytes(2, row);
          update.executeUpdate();
          connection.commit();
        }
        return null;
      }, false);
    }, false);
  }

  // ---------------------------------------------------------------------------------------------
  // Driver-only tests

  @Test
  void mariadbSchemeDefaultPortAndSslMode(VertxTestContext ctx) {
    ServerUrl parsed = MySqlStore.parse(new StoreOptions()
        .setUrl("mariadb://kora:p%40ss@db.example.com/app?sslMode=REQUIRED"));
    assertEquals(3306, parsed.port());
    assertEquals("p@ss", parsed.password());
    assertEquals("REQUIRED", parsed.options().get("sslMode"));
    assertEquals("mariadb://kora:***@db.example.com:3306/app?table=kora&poolSize=4&timeoutMs=10000"
        + "&sslMode=REQUIRED", parsed.describe());
    assertTrue(new MySqlStoreProvider().accepts(new StoreOptions().setUrl("MySQL://h/db")));
    assertFalse(new MySqlStoreProvider().accepts(new StoreOptions().setUrl("mysqlx://h/db")));
    ctx.completeNow();
  }

  @Test
  void rowsAreUtf8BytesInAnInnoDbTable(VertxTestContext ctx) {
    write(merge("{\"todos\": {\"t1\": {\"title\": \"milk\", \"größe\": 2}}}"))
        .compose(v -> query("SELECT GROUP_CONCAT(CONCAT(HEX(path), '=', value) ORDER BY path"
            + " SEPARATOR ' ') FROM `" + table + "`"))
        .compose(all -> check(() -> assertEquals(
            hex("todos\u0001t1\u0001größe\u0001") + "=2 " + hex("todos\u0001t1\u0001title\u0001")
                + "=\"milk\"", all)))
        .compose(v -> query("SELECT CONCAT(ENGINE, ' ', ROW_FORMAT) FROM information_schema.TABLES"
            + " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '" + table + "'"))
        .compose(engine -> check(() -> assertEquals("InnoDB Dynamic", engine)))
        .onComplete(ctx.succeedingThenComplete());
  }

  private static String hex(String text) {
    return HexFormat.of().withUpperCase().formatHex(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void tableOfAnotherShapeIsRefused(VertxTestContext ctx) {
    String foreign = newTable();
    jdbc(statement -> statement.execute("CREATE TABLE `" + foreign + "` (path VARCHAR(255) COLLATE"
        + " utf8mb4_general_ci PRIMARY KEY, value TEXT NOT NULL)"))
        // open() registers the table, so it is dropped after the test
        .compose(v -> expectFailure(open(foreign), ErrorCode.STORE_UNAVAILABLE))
        .onComplete(ctx.succeedingThenComplete());
  }
}
