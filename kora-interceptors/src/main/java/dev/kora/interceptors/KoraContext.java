package dev.kora.interceptors;

import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * What a node offers its plugins: server-side (internal) reads and writes of the tree and the Vert.x
 * instance. Given to {@link KoraPlugin#start(KoraContext)}. Methods may be called from any thread; their
 * futures complete on the node's context. Internal writes pass through interceptors with
 * {@link Session#internal()} and may write reserved {@code kora:*} paths.
 */
public interface KoraContext {

  /** @return the node's Vert.x instance, e.g. for {@code executeBlocking} or timers */
  Vertx vertx();

  /**
   * @param mutation a mutation, written as the server
   * @return its version once durable
   */
  Future<Long> mutate(Mutation mutation);

  /**
   * @param path a path
   * @param options bounds on its children
   * @return the value there: a JsonObject subtree, a leaf, or null
   */
  Future<Object> read(Path path, QueryOptions options);

  /**
   * @param path a path
   * @return the whole value there: a JsonObject subtree, a leaf, or null
   */
  default Future<Object> read(Path path) {
    return read(path, QueryOptions.WHOLE);
  }
}
