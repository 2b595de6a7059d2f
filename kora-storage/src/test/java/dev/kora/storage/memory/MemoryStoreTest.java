package dev.kora.storage.memory;

import dev.kora.storage.Store;
import dev.kora.storage.StoreCapability;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.StoreTestBase;
import dev.kora.storage.Stores;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.EnumSet;
import java.util.Set;

/**
 * Runs the conformance suite on the in-memory store, opened by URL like any driver. Every
 * {@link #openStore} call gives a new, empty store, so the tables are trivially isolated.
 *
 * <p>Opt-outs: {@link StoreCapability#PERSISTENT} — the heap is gone at close;
 * {@link StoreCapability#FAILURE_INJECTION} — a write runs under one lock with no I/O and has no point
 * where it can fail halfway, so there is nothing real to inject into. Its cursors are snapshots (a
 * write first copies the rows the open cursors have yet to read), so {@link
 * StoreCapability#SNAPSHOT_CURSORS} is claimed.
 */
class MemoryStoreTest extends StoreTestBase {

  @Override
  protected Future<Store> openStore(Vertx vertx, String table) {
    return Stores.open(vertx, new StoreOptions().setUrl("memory").setTable(table));
  }

  @Override
  protected Set<StoreCapability> capabilities() {
    return EnumSet.of(StoreCapability.FULL_LENGTH_PATHS, StoreCapability.SNAPSHOT_CURSORS);
  }
}
