package dev.kora.node.impl.read;

import dev.kora.interceptors.InterceptorChain;
import dev.kora.interceptors.Session;
import dev.kora.node.core.Cancellation;
import dev.kora.node.core.ReservedPaths;
import dev.kora.node.core.Subscriber;
import dev.kora.node.impl.subscription.SubscriptionRegistry;
import dev.kora.node.spi.WriteCoordinator;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The read path of a node: the reserved-path rule, the interceptors' {@code beforeQuery}, virtual
 * paths through {@code resolveQuery}, then the store ({@link QueryEngine}). A subscribing read
 * registers and opens its store cursors inside a {@link WriteCoordinator#barrier}, which fixes its data
 * at the registration point (each cursor reads one snapshot), and pulls the rows after the barrier,
 * while writes go on: no write waits for a read, and the answer and the pushes after it still fit
 * with no gap and no overlap. A subscribe that fails is undone. Confined to the node's context.
 */
public final class ReadPath {

  private final InterceptorChain chain;
  private final QueryEngine queries;
  private final WriteCoordinator coordinator;
  private final SubscriptionRegistry registry;
  private final int maxQueryPaths;

  /**
   * @param chain the interceptors
   * @param queries reads the store
   * @param coordinator for the barrier of subscribing reads
   * @param registry the node's subscriptions
   * @param maxQueryPaths the most paths one query may name
   */
  public ReadPath(InterceptorChain chain, QueryEngine queries, WriteCoordinator coordinator,
      SubscriptionRegistry registry, int maxQueryPaths) {
    this.chain = chain;
    this.queries = queries;
    this.coordinator = coordinator;
    this.registry = registry;
    this.maxQueryPaths = maxQueryPaths;
  }

  /**
   * @param query the query; entries with {@code subscribe} are read, not subscribed
   * @param session who reads
   * @param cancellation closes the read's cursors when cancelled
   * @return {@code {"merge": ..., "delete": ...}}; fails with {@code too_large} (too many paths),
   *     {@code denied}, an interceptor's code, {@code store_unavailable}, or {@code closed} when
   *     cancelled
   */
  public Future<JsonObject> read(Query query, Session session, Cancellation cancellation) {
    return check(query, session)
        .compose(v -> open(query, session, cancellation))
        .compose(QueryEngine.Opened::answer);
  }

  /**
   * @param query the paths; those whose options say {@code subscribe} are subscribed
   * @param subscriber who receives the pushes
   * @param cancellation closes the read's cursors and undoes the subscriptions when cancelled
   * @return the answer, as {@link #read}; a client may not subscribe to the root. When it fails, no
   *     subscription of it is left.
   */
  public Future<JsonObject> subscribe(Query query, Subscriber subscriber,
      Cancellation cancellation) {
    Session session = subscriber.session();
    try {
      ReservedPaths.checkSubscribe(query, session);
    } catch (KoraException e) {
      return Future.failedFuture(e);
    }
    List<Path> registered = new ArrayList<>();
    return check(query, session).compose(checked -> coordinator.barrier(() -> {
      if (cancellation.isCancelled()) {
        return Future.failedFuture(new KoraException(ErrorCode.CLOSED, "the read was cancelled"));
      }
      for (Query.Entry entry : query.entries()) {
        if (entry.options().subscribe()) {
          registry.add(entry.path(), subscriber);
          registered.add(entry.path());
        }
      }
      return open(query, session, cancellation);
    })).compose(QueryEngine.Opened::answer).andThen(done -> {
      if (done.failed()) {
        unsubscribe(registered, subscriber);
      }
    });
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

  private Future<QueryEngine.Opened> open(Query query, Session session,
      Cancellation cancellation) {
    return queries.open(query, (path, options) -> chain.resolve(path, options, session),
        cancellation).map(opened -> new QueryEngine.Opened(opened.answer()
            .map(answer -> ReservedPaths.hide(answer, session))));
  }

  private Future<Void> check(Query query, Session session) {
    if (query.entries().size() > maxQueryPaths) {
      return Future.failedFuture(new KoraException(ErrorCode.TOO_LARGE, "the query names "
          + query.entries().size() + " paths, more than maxQueryPaths (" + maxQueryPaths + ")"));
    }
    try {
      ReservedPaths.checkRead(query, session);
    } catch (KoraException e) {
      return Future.failedFuture(e);
    }
    return chain.checkQuery(query, session);
  }
}
