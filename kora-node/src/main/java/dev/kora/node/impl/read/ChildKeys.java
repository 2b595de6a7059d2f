package dev.kora.node.impl.read;

import dev.kora.node.core.Cancellation;
import dev.kora.node.core.ReservedPaths;
import dev.kora.storage.LeafCursor;
import dev.kora.storage.ReadRange;
import dev.kora.storage.Store;
import dev.kora.storage.StoredLeaf;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.LeafCodec;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Lists the children of a path without reading their subtrees: a skip scan that reads one leaf per
 * child (the first one under it) and then starts after that child's whole range, so listing the
 * top-level keys of a tree holding a million leaves under {@code cities} costs one row read per
 * key.
 * A child that is a leaf comes with its value; a branch only with its key.
 */
final class ChildKeys {

  private final Store store;

  /** @param store where the leaves are */
  ChildKeys(Store store) {
    this.store = store;
  }

  /**
   * @param path the parent
   * @param min first child key included, or null
   * @param max child key to stop before, or null
   * @param limit most children listed, at least 1
   * @param hideReserved whether to leave out the reserved {@code kora:*} keys at the root
   * @param cancellation stops the scan when cancelled
   * @return {@code {"children": [{"key": "a", "value": 1}, {"key": "b", "branch": true}], "next":
   *     "b "}}: {@code next} is the {@code min} of the following page, null after the last child
   */
  Future<JsonObject> list(Path path, String min, String max, int limit, boolean hideReserved,
      Cancellation cancellation) {
    JsonArray children = new JsonArray();
    return step(path, min, max, limit, hideReserved, cancellation, children)
        .map(next -> new JsonObject().put("children", children).put("next", next));
  }

  private Future<String> step(Path path, String from, String max, int limit, boolean hideReserved,
      Cancellation cancellation, JsonArray children) {
    if (cancellation.isCancelled()) {
      return Future.failedFuture(new KoraException(ErrorCode.CLOSED, "the read was cancelled"));
    }
    return first(new ReadRange(path, from, max)).compose(leaf -> {
      if (leaf == null || leaf.path().size() <= path.size()) {
        // nothing more, or a leaf at the path itself: it has no children
        return Future.succeededFuture(null);
      }
      String key = leaf.path().key(path.size());
      String after = successor(key);
      if (hideReserved && path.isRoot() && key.startsWith(ReservedPaths.PREFIX)) {
        return step(path, after, max, limit, hideReserved, cancellation, children);
      }
      if (children.size() == limit) {
        return Future.succeededFuture(key);
      }
      JsonObject child = new JsonObject().put("key", key);
      if (leaf.path().size() == path.size() + 1) {
        child.put("value", LeafCodec.decode(leaf.valueJson()));
      } else {
        child.put("branch", true);
      }
      children.add(child);
      return step(path, after, max, limit, hideReserved, cancellation, children);
    });
  }

  /** Reads the first leaf of a range, or null when it is empty, and closes the cursor. */
  private Future<StoredLeaf> first(ReadRange range) {
    return store.read(range).compose(cursor -> cursor.next(1).transform(rows -> close(cursor)
        .transform(closed -> rows.succeeded()
            ? Future.succeededFuture(first(rows.result()))
            : Future.failedFuture(rows.cause()))));
  }

  private static StoredLeaf first(List<StoredLeaf> rows) {
    return rows.isEmpty() ? null : rows.get(0);
  }

  private static Future<Void> close(LeafCursor cursor) {
    return cursor.close().recover(failure -> Future.succeededFuture());
  }

  /**
   * The least key after {@code key}: keys hold no control character, so {@code key} followed by a
   * space, the least character a key may hold, is the next possible key in byte order.
   */
  static String successor(String key) {
    return key + " ";
  }
}
