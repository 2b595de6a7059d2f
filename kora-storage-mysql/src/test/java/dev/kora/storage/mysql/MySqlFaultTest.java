package dev.kora.storage.mysql;

import dev.kora.storage.StoreFaultTestBase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.sql.Connection;
import java.sql.Statement;

/**
 * Stops and starts the local MariaDB with {@code scripts/services/mariadb.sh} to check that the store
 * fails fast while it is down and recovers without being reopened (see {@link StoreFaultTestBase}).
 * Uses the URL of {@link MySqlStoreTest#testUrl()}, which must name the server the script controls.
 */
class MySqlFaultTest extends StoreFaultTestBase {

  MySqlFaultTest() {
    super("mariadb.sh", MySqlStoreTest.testUrl());
  }

  @Override
  protected Future<Void> dropStore(Vertx vertx, String table) {
    return vertx.executeBlocking(() -> {
      try (Connection connection = MySqlStoreTest.admin();
          Statement statement = connection.createStatement()) {
        statement.execute("DROP TABLE IF EXISTS `" + table + "`");
      }
      return null;
    }, false);
  }
}
