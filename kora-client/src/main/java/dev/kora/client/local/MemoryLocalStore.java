package dev.kora.client.local;

import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The default local store: everything on the heap, so a new client created on the same instance (in
 * the same JVM) finds the cache and the outbox, and nothing survives the JVM. Never blocks.
 * Thread-safe.
 */
public final class MemoryLocalStore implements LocalStore {

  private final String clientId = UUID.randomUUID().toString();
  private final Map<Path, LocalState.CachedPath> paths = new LinkedHashMap<>();
  private final TreeMap<Long, PendingWrite> outbox = new TreeMap<>();
  private long lastSequence;
  private boolean closed;

  @Override
  public boolean blocking() {
    return false;
  }

  @Override
  public synchronized LocalState load() {
    closed = false;
    List<LocalState.CachedPath> copies = new ArrayList<>();
    for (LocalState.CachedPath cached : paths.values()) {
      copies.add(new LocalState.CachedPath(cached.path(), cached.data().copy(), cached.version()));
    }
    return new LocalState(clientId, lastSequence, copies, new ArrayList<>(outbox.values()));
  }

  @Override
  public synchronized void apply(Path path, Mutation change, long version) {
    checkOpen();
    LocalState.CachedPath cached = paths.get(path);
    JsonObject data = cached == null ? new JsonObject() : cached.data();
    change.applyTo(data);
    paths.put(path, new LocalState.CachedPath(path, data, version));
  }

  @Override
  public synchronized void forget(Path path) {
    checkOpen();
    paths.remove(path);
  }

  @Override
  public synchronized void enqueue(PendingWrite write) {
    checkOpen();
    outbox.put(write.sequence(), write);
    lastSequence = Math.max(lastSequence, write.sequence());
  }

  @Override
  public synchronized void acknowledge(long sequence, long version) {
    checkOpen();
    PendingWrite write = outbox.get(sequence);
    if (write != null) {
      outbox.put(sequence, new PendingWrite(sequence, write.id(), write.mutation(), version));
    }
  }

  @Override
  public synchronized void remove(long sequence) {
    checkOpen();
    outbox.remove(sequence);
  }

  /** Closes this handle; {@link #load()} opens it again with everything kept. */
  @Override
  public synchronized void close() {
    closed = true;
  }

  private void checkOpen() {
    if (closed) {
      throw new LocalStoreException("the memory local store is closed", null);
    }
  }
}
