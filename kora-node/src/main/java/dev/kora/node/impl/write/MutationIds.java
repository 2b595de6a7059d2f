package dev.kora.node.impl.write;

import dev.kora.storage.Store;
import dev.kora.storage.TreeReader;
import dev.kora.storage.changelog.ChangeLog;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the node knows of mutation ids ({@code "<client id>:<sequence>"}), so that a resent mutation is
 * committed once: the ids being written now (a resend waits for the first send's outcome), a
 * bounded memory of ids committed lately, and the store, where each id is kept with its version
 * ({@link ChangeLog#idPath}) for as long as the change log keeps its entry. Confined to the node's
 * context.
 */
public final class MutationIds {

  /** Ids committed lately that are answered without a store read. */
  public static final int REMEMBERED = 100_000;

  private final Store store;
  private final Map<String, Future<Long>> inFlight = new HashMap<>();
  private final Map<String, Long> remembered = new LinkedHashMap<>(1024, 0.75f, false) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
      return size() > REMEMBERED;
    }
  };

  /** @param store where ids are kept */
  public MutationIds(Store store) {
    this.store = store;
  }

  /**
   * @param id an id
   * @return the outcome of the mutation with this id being written now, or null
   */
  public Future<Long> inFlight(String id) {
    return inFlight.get(id);
  }

  /**
   * Tracks the write of a mutation with an id: at most one per id at a time; the outcome is what
   * later sends of the id get while it runs, and, when remembered, its version what they get once it
   * committed.
   *
   * @param id the id, not in flight
   * @param write the write (it looks the id up with {@link #committed} unless it is a first send)
   * @param remember whether to keep the committed version in memory; a first send's id is not
   *     (its resends, after a lost connection, are rare and look it up in the store)
   * @return {@code write}
   */
  public Future<Long> track(String id, Future<Long> write, boolean remember) {
    inFlight.put(id, write);
    write.onComplete(done -> {
      inFlight.remove(id);
      if (remember && done.succeeded()) {
        remembered.put(id, done.result());
      }
    });
    return write;
  }

  /**
   * @param id an id
   * @return the version the mutation with this id was committed with lately, as remembered (no
   *     store read), or null
   */
  public Long remembered(String id) {
    return remembered.get(id);
  }

  /**
   * @param id an id
   * @return the version the mutation with this id was committed with, or null when it was not (or
   *     its log entry was trimmed); fails with {@code store_unavailable}
   */
  public Future<Long> committed(String id) {
    Long known = remembered.get(id);
    if (known != null) {
      return Future.succeededFuture(known);
    }
    return TreeReader.read(store, ChangeLog.idPath(id), QueryOptions.WHOLE)
        .map(value -> value instanceof Number number ? number.longValue() : null);
  }
}
