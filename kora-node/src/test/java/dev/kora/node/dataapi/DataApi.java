package dev.kora.node.dataapi;

import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;

/**
 * The data API as an application sees it, whichever way it reaches the node: embedded
 * ({@code KoraNode}) or through kora-client over a socket. {@link DataApiTestBase} runs on both.
 */
interface DataApi extends AutoCloseable {

  /** @return the version once durable */
  Future<Long> mutate(Mutation mutation);

  /** @return the value at the path: JsonObject, leaf or null */
  Future<Object> query(Path path, QueryOptions options);

  /** @return a live view of the path, kept current by the node's pushes */
  Future<Watch> watch(Path path);

  /** A subscription's current value. */
  interface Watch {
    Object value();
  }
}
