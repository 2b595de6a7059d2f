package dev.kora.node.impl.read;

import dev.kora.interceptors.Resolution;
import dev.kora.storage.Store;
import dev.kora.storage.TreeReader;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import dev.kora.tree.Tree;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Answers queries from the store. The answer is a mutation in wire form: {@code merge} holds the data
 * found as a tree from the root, {@code delete} a {@code 1} at every queried path whose options had no
 * {@code min}/{@code max}/{@code limit}, so a client applying the answer to its cache mirrors the
 * server. Runs on the caller's context; never blocks.
 */
public final class QueryEngine {

  private final Store store;

  /** @param store where the data is read */
  public QueryEngine(Store store) {
    this.store = store;
  }

  /**
   * @param query the query
   * @return {@code {"merge": {...}, "delete": {...}}}
   */
  public Future<JsonObject> read(Query query) {
    return read(query, (path, options) -> Resolution.none());
  }

  /**
   * @param query the query
   * @param resolver virtual paths: a value that replaces the store read, or none
   * @return {@code {"merge": {...}, "delete": {...}}}
   */
  public Future<JsonObject> read(Query query,
      BiFunction<Path, QueryOptions, Resolution> resolver) {
    List<Future<Object>> reads = new ArrayList<>();
    for (Query.Entry entry : query.entries()) {
      Resolution resolution = resolver.apply(entry.path(), entry.options());
      if (resolution instanceof Resolution.Value value) {
        reads.add(Future.succeededFuture(value.value()));
      } else if (resolution instanceof Resolution.Later later) {
        reads.add(later.future());
      } else {
        reads.add(TreeReader.read(store, entry.path(), entry.options()));
      }
    }
    return Future.all(reads).map(all -> {
      JsonObject merge = new JsonObject();
      JsonObject delete = new JsonObject();
      for (int i = 0; i < reads.size(); i++) {
        Query.Entry entry = query.entries().get(i);
        Object value = reads.get(i).result();
        if (value != null) {
          put(merge, entry.path(), value);
        }
        if (entry.options().isWhole() && !entry.path().isRoot()) {
          put(delete, entry.path(), 1);
        }
      }
      return new JsonObject().put("merge", merge).put("delete", delete);
    });
  }

  private static void put(JsonObject root, Path path, Object value) {
    if (path.isRoot()) {
      if (value instanceof JsonObject) {
        root.mergeIn((JsonObject) value);
      }
      return;
    }
    Tree.put(root, path, value);
  }
}
