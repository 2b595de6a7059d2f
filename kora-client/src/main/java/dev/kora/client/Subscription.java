package dev.kora.client;

import dev.kora.tree.Path;
import io.vertx.core.Future;

/**
 * A {@link KoraClient#subscribe} handle: the local view of a path, kept equal to the node's data
 * (plus this client's pending writes) while connected, and readable at any time, offline too.
 */
public final class Subscription {

  private final KoraClient client;
  private final CachedSubscription cached;
  private final io.vertx.core.Handler<SubscriptionChange> listener;

  Subscription(KoraClient client, CachedSubscription cached,
      io.vertx.core.Handler<SubscriptionChange> listener) {
    this.client = client;
    this.cached = cached;
    this.listener = listener;
  }

  /** @return the subscribed path */
  public Path path() {
    return cached.path;
  }

  /**
   * @return the value at the path: a {@code JsonObject} (a copy), a leaf (String, Number, Boolean,
   *     JsonArray), or null when nothing is there; pending writes of this client included
   */
  public Object value() {
    return client.valueOf(cached);
  }

  /** @return the node's version the confirmed part reflects; -1 before the first answer ever */
  public long version() {
    return client.onContextNow(() -> cached.version);
  }

  /** @return whether the value shows writes the node has not confirmed yet */
  public boolean pending() {
    return client.pendingFor(cached);
  }

  /**
   * @return completes once the node answered this subscription on the current connection (or the
   *     next one, while offline): the value is then the node's data at that answer's version
   */
  public Future<Void> synced() {
    return client.syncedOf(cached);
  }

  /**
   * Stops the listener; the last subscription of a path unsubscribes at the node and forgets the
   * path's cached copy.
   *
   * @return completes once done locally
   */
  public Future<Void> close() {
    return client.unsubscribe(cached, listener);
  }
}
