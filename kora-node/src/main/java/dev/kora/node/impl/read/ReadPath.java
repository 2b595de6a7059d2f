package dev.kora.node.impl.read;

import dev.kora.interceptors.InterceptorChain;
import dev.kora.interceptors.Session;
import dev.kora.node.core.ReservedPaths;
import dev.kora.node.core.Subscriber;
import dev.kora.node.impl.subscription.SubscriptionRegistry;
import dev.kora.node.spi.WriteCoordinator;
import dev.kora.tree.KoraException;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * The read path of a node: the reserved-path rule, the interceptors' {@code beforeQuery}, virtual
 * paths through {@code resolveQuery}, then the store ({@link QueryEngine}); subscribing reads
 * register and read inside a {@link WriteCoordinator#barrier}, so the answer and the pushes after it
 * fit together. Confined to the node's context.
 */
public final class ReadPath {

  private final InterceptorChain chain;
  private final QueryEngine queries;
  private final WriteCoordinator coordinator;
  private final SubscriptionRegistry registry;

  /**
   * @param chain the interceptors
   * @param queries reads the store
   * @param coordinator for the barrier of subscribing reads
   * @param registry the node's subscriptions
   */
  public ReadPath(InterceptorChain chain, QueryEngine queries, WriteCoordinator coordinator,
      SubscriptionRegistry registry) {
    this.chain = chain;
    this.queries = queries;
    this.coordinator = coordinator;
    this.registry = registry;
  }

  /**
   * @param query the query; entries with {@code subscribe} are read, not subscribed
   * @param session who reads
   * @return {@code {"merge": ..., "delete": ...}}; fails with {@code denied}, an interceptor's code
   *     or {@code store_unavailable}
   */
  public Future<JsonObject> read(Query query, Session session) {
    return check(query, session).compose(v -> answer(query, session));
  }

  /**
   * @param query the paths; those whose options say {@code subscribe} are subscribed
   * @param subscriber who receives the pushes
   * @return the answer, as {@link #read}; a client may not subscribe to the root
   */
  public Future<JsonObject> subscribe(Query query, Subscriber subscriber) {
    Session session = subscriber.session();
    try {
      ReservedPaths.checkSubscribe(query, session);
    } catch (KoraException e) {
      return Future.failedFuture(e);
    }
    return check(query, session).compose(checked -> coordinator.barrier(() -> {
      for (Query.Entry entry : query.entries()) {
        if (entry.options().subscribe()) {
          registry.add(entry.path(), subscriber);
        }
      }
      return answer(query, session);
    }));
  }

  /**
   * @param paths subscribed paths, one removal each
   * @param subscriber the subscriber
   */
  public void unsubscribe(Iterable<Path> paths, Subscriber subscriber) {
    for (Path path : paths) {
      registry.remove(path, subscriber);
    }
  }

  private Future<JsonObject> answer(Query query, Session session) {
    return queries.read(query, (path, options) -> chain.resolve(path, options, session))
        .map(answer -> ReservedPaths.hide(answer, session));
  }

  private Future<Void> check(Query query, Session session) {
    try {
      ReservedPaths.checkRead(query, session);
    } catch (KoraException e) {
      return Future.failedFuture(e);
    }
    return chain.checkQuery(query, session);
  }
}
