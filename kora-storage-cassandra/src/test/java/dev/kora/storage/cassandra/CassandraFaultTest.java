package dev.kora.storage.cassandra;

import dev.kora.storage.StoreFaultTestBase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Stops and starts the local Cassandra with {@code scripts/services/cassandra.sh} (a real shutdown of
 * the server process, data kept) to check that the store fails fast while it is down and recovers
 * without being reopened, once the driver has reconnected (see {@link StoreFaultTestBase}).
 */
class CassandraFaultTest extends StoreFaultTestBase {

  CassandraFaultTest() {
    super("cassandra.sh", "cassandra://" + CassandraTestServer.host() + ":"
        + CassandraTestServer.port() + "/" + CassandraTestServer.KEYSPACE);
  }

  @Override
  protected Future<Void> dropStore(Vertx vertx, String table) {
    return vertx.executeBlocking(() -> {
      CassandraTestServer.drop(table);
      return null;
    }, false);
  }
}
