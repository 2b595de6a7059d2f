package dev.kora.storage.postgres;

import dev.kora.storage.StoreFaultTestBase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Stops and starts the local PostgreSQL with {@code scripts/services/postgres.sh} to check that the
 * store fails fast while it is down and recovers without being reopened (see
 * {@link StoreFaultTestBase}). Uses the URL of {@link PgStoreTest#testUrl()}, which must name the
 * server the script controls.
 */
class PgFaultTest extends StoreFaultTestBase {

  PgFaultTest() {
    super("postgres.sh", PgStoreTest.testUrl());
  }

  @Override
  protected Future<Void> dropStore(Vertx vertx, String table) {
    return PgStoreTest.sql(vertx, "DROP TABLE IF EXISTS \"" + table + "\"").mapEmpty();
  }
}
