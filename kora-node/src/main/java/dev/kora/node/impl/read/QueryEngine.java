package dev.kora.node.impl.read;

import dev.kora.interceptors.Resolution;
import dev.kora.node.core.Cancellation;
import dev.kora.storage.ReadBudget;
import dev.kora.storage.Store;
import dev.kora.storage.TreeReader;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
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
    return open(query, resolver, new Cancellation()).compose(Opened::answer);
  }

  /**
   * A query whose store cursors are all open: the data it answers with is fixed (for the stores that
   * read snapshots) and its rows are being pulled.
   *
   * @param answer the answer, {@code {"merge": {...}, "delete": {...}}}; fails with the store's
   *     error, or {@code closed} when cancelled
   */
  public record Opened(Future<JsonObject> answer) {
  }

  /**
   * Starts a query's reads and completes once every store cursor is open, so that a caller can fix
   * the data inside a write barrier and wait for the rows outside it. The cursors are opened all at
   * once and each is pulled as soon as it is open, so a query of more paths than the store has read
   * connections still goes through.
   *
   * @param query the query
   * @param resolver virtual paths: a value that replaces the store read, or none (called here)
   * @param cancellation cancelling it closes every cursor of the query
   * @return the open query; fails when a cursor cannot be opened (the others are then closed), or
   *     with {@code closed} when already cancelled
   */
  public Future<Opened> open(Query query, BiFunction<Path, QueryOptions, Resolution> resolver,
      Cancellation cancellation) {
    return open(query, resolver, cancellation, ReadBudget.unlimited());
  }

  /**
   * Starts a query's reads, as {@link #open(Query, BiFunction, Cancellation)}, failing with
   * {@code too_large} once they read more than {@code budget}.
   *
   * @param query the query
   * @param resolver virtual paths
   * @param cancellation cancelling it closes every cursor
   * @param budget what the whole answer may read
   * @return the open query
   */
  public Future<Opened> open(Query query, BiFunction<Path, QueryOptions, Resolution> resolver,
      Cancellation cancellation, ReadBudget budget) {
    if (cancellation.isCancelled()) {
      return Future.failedFuture(new KoraException(ErrorCode.CLOSED, "the read was cancelled"));
    }
    List<TreeReader.OpenRead> opened = new ArrayList<>();
    List<Future<Future<Object>>> opens = new ArrayList<>();
    for (Query.Entry entry : query.entries()) {
      Resolution resolution = resolver.apply(entry.path(), entry.options());
      if (resolution instanceof Resolution.Value value) {
        opens.add(Future.succeededFuture(Future.succeededFuture(value.value())));
      } else if (resolution instanceof Resolution.Later later) {
        opens.add(Future.succeededFuture(later.future()));
      } else {
        opens.add(TreeReader.open(store, entry.path(), entry.options(), budget).map(read -> {
          opened.add(read);
          cancellation.onCancel(read::cancel);
          return read.value();
        }));
      }
    }
    return Future.join(opens).transform(all -> {
      if (all.failed()) {
        opened.forEach(TreeReader.OpenRead::cancel);
        return Future.failedFuture(all.cause());
      }
      List<Future<Object>> reads = new ArrayList<>(opens.size());
      opens.forEach(open -> reads.add(open.result()));
      return Future.succeededFuture(new Opened(answer(query, reads)));
    });
  }

  private static Future<JsonObject> answer(Query query, List<Future<Object>> reads) {
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
