package dev.kora.client;

import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Tree;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The client's copy of one subscribed path: the data the node confirmed (a tree from the root holding
 * only the subtree at the path), the version it reflects, and the listeners. The value applications
 * see is that data with the outbox's pending writes on top. Confined to the client's context.
 */
final class CachedSubscription {

  final Path path;
  JsonObject confirmed;
  long version;
  /** Whether the node answered it on the current connection (pushes apply only then). */
  boolean answered;
  final List<Handler<SubscriptionChange>> listeners = new ArrayList<>();
  /** Completes at the first answer on the current (or next) connection. */
  Promise<Void> synced = Promise.promise();
  private JsonObject view;

  CachedSubscription(Path path, JsonObject confirmed, long version) {
    this.path = path;
    this.confirmed = confirmed;
    this.version = version;
  }

  /** @return the value: confirmed data with pending writes on top, as a tree from the root */
  JsonObject view(Outbox outbox) {
    List<Outbox.Entry> pending = outbox.pendingFor(path, version);
    if (pending.isEmpty()) {
      return confirmed;
    }
    if (view == null) {
      JsonObject result = confirmed.copy();
      for (Outbox.Entry entry : pending) {
        entry.mutation.restrictTo(path).applyTo(result);
      }
      view = result;
    }
    return view;
  }

  /** The confirmed data or the outbox changed. */
  void invalidate() {
    view = null;
  }

  /**
   * A new write went to the end of the outbox: a view made already gets it on top (the same as
   * making it again, without going through every pending write).
   *
   * @param part the write, restricted to this path
   */
  void showOnTop(Mutation part) {
    if (view != null) {
      part.applyTo(view);
    }
  }

  /** @return the value at the path itself: a JsonObject, a leaf, or null */
  Object value(Outbox outbox) {
    return Tree.get(view(outbox), path);
  }

  /**
   * Tells the listeners.
   *
   * @param change applied to the previous value gives the new one
   */
  void tell(Mutation change, SubscriptionChange.Cause cause, boolean pending, String errorCode) {
    SubscriptionChange event = new SubscriptionChange(path, change, cause, version, pending,
        errorCode);
    for (Handler<SubscriptionChange> listener : List.copyOf(listeners)) {
      listener.handle(event);
    }
  }
}
