package dev.kora.storage.cassandra;

import dev.kora.storage.Store;
import dev.kora.storage.StoreCapability;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.StoreTestBase;
import dev.kora.storage.Stores;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;

/**
 * Runs the conformance suite on a real Cassandra (see {@link CassandraTestServer} for where), each
 * tree in fresh tables of the keyspace {@code kora_test}, with the default partition depth 1.
 *
 * <p>Capabilities: {@link StoreCapability#PERSISTENT}, {@link StoreCapability#FULL_LENGTH_PATHS}
 * (24,608-byte paths fit Cassandra's 64 KiB key limits) and
 * {@link StoreCapability#FAILURE_INJECTION}: {@link #failWritesAt} arms the store to give the
 * marker's insert a clustering key over 64 KiB, which Cassandra refuses while it executes the
 * batch, after the statements before it — a real refusal by the server, which proves that a refused
 * write leaves nothing, also among concurrent writes (it does not simulate a coordinator crash
 * halfway through a batch; Cassandra's batch log replays those). Opt-out:
 * {@link StoreCapability#SNAPSHOT_CURSORS} — Cassandra has no snapshot reads; a cursor reads each
 * page when it needs it and sees writes made between pages.
 *
 * <p>Fences: the store fences its writes (a lightweight transaction on {@code <table>_fences}), and
 * two stores opened on one table share it ({@link #sharesTables()}), so the takeover tests run too.
 * The Cassandra-specific cases (a late stale batch, a writer dying between its transaction and its
 * data, an unknown outcome) are in {@link CassandraFenceTest}.
 */
class CassandraStoreTest extends StoreTestBase {

  @BeforeAll
  static void cassandraAnswers() {
    CassandraTestServer.session();
  }

  /** @return extra URL options of the stores of this class, e.g. {@code &partitionDepth=2} */
  protected String urlOptions() {
    return "";
  }

  @Override
  protected Future<Store> openStore(Vertx vertx, String table) {
    return Stores.open(vertx, new StoreOptions()
        .setUrl(CassandraTestServer.url(table, urlOptions())));
  }

  @Override
  protected Future<Void> dropStore(String table) {
    return vertx.executeBlocking(() -> {
      CassandraTestServer.drop(table);
      return null;
    }, false);
  }

  @Override
  protected boolean sharesTables() {
    return true;
  }

  @Override
  protected Set<StoreCapability> capabilities() {
    return EnumSet.of(StoreCapability.PERSISTENT, StoreCapability.FULL_LENGTH_PATHS,
        StoreCapability.FAILURE_INJECTION);
  }

  @Override
  protected Future<Void> failWritesAt(Store store, String table, Path marker) {
    ((CassandraStore) store).failWritesAt(marker);
    return Future.succeededFuture();
  }
}
