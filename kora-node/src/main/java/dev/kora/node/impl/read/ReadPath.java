package dev.kora.node.impl.read;

import dev.kora.interceptors.InterceptorChain;
import dev.kora.interceptors.Resolution;
import dev.kora.interceptors.Session;
import dev.kora.node.core.Cancellation;
import dev.kora.node.core.NodeMetrics;
import dev.kora.node.core.ReservedPaths;
import dev.kora.node.core.Subscriber;
import dev.kora.node.impl.subscription.SubscriptionRegistry;
import dev.kora.node.spi.WriteCoordinator;
import dev.kora.storage.ReadBudget;
import dev.kora.storage.Store;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

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
  private final NodeMetrics metrics;
  private final QueryEngine queries;
  private final WriteCoordinator coordinator;
  private final SubscriptionRegistry registry;
  private final int maxQueryPaths;
  private final long maxAnswerBytes;
  private final Store store;
  private final ChildKeys childKeys;

  /**
   * @param chain the interceptors
   * @param store the store, read through {@link QueryEngine} and by resumes ({@link Resume})
   * @param coordinator for the barrier of subscribing reads and the current version
   * @param registry the node's subscriptions
   * @param maxQueryPaths the most paths one query may name
   * @param maxAnswerBytes the most bytes a client's answer may read ({@link ReadBudget})
   * @param metrics where the time in {@code beforeQuery} is counted
   */
  public ReadPath(InterceptorChain chain, Store store, WriteCoordinator coordinator,
      SubscriptionRegistry registry, int maxQueryPaths, long maxAnswerBytes, NodeMetrics metrics) {
    this.metrics = metrics;
    this.maxAnswerBytes = maxAnswerBytes;
    this.chain = chain;
    this.store = store;
    this.queries = new QueryEngine(store);
    this.childKeys = new ChildKeys(store);
    this.coordinator = coordinator;
    this.registry = registry;
    this.maxQueryPaths = maxQueryPaths;
  }

  /**
   * @param query the query; entries with {@code subscribe} are read, not subscribed
   * @param session who reads
   * @param cancellation closes the read's cursors when cancelled
   * @return {@code {"merge": ..., "delete": ..., "version": V}} (and {@code "reset": true} when a
   *     {@code since} was answered in full), V at most the version the data reflects (a plain read
   *     does not wait for the commits in flight, so its data may be a little newer); fails with
   *     {@code too_large} (too many paths), {@code invalid_query} (a {@code since} ahead of the
   *     current version), {@code denied}, an interceptor's code, {@code store_unavailable}, or
   *     {@code closed} when cancelled
   */
  public Future<JsonObject> read(Query query, Session session, Cancellation cancellation) {
    long version = coordinator.version();
    return check(query, session)
        .compose(v -> open(query, session, cancellation, version))
        .compose(QueryEngine.Opened::answer);
  }

  /**
   * @param query the paths; those whose options say {@code subscribe} are subscribed
   * @param subscriber who receives the pushes
   * @param cancellation closes the read's cursors and undoes the subscriptions when cancelled
   * @return the answer, as {@link #read}, its version exactly the one the data reflects: every
   *     later commit reaches the subscriber as a push; a client may not subscribe to the root. When
   *     it fails, no subscription of it is left.
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
      return open(query, session, cancellation, coordinator.version());
    })).compose(QueryEngine.Opened::answer).andThen(done -> {
      if (done.failed()) {
        unsubscribe(registered, subscriber);
      }
    });
  }

  /**
   * Lists the children of a path, one page, without reading their subtrees: as a query with these
   * options would be checked (reserved paths, {@code beforeQuery}), then a skip scan of the store.
   * Virtual paths ({@code resolveQuery}) are not listed.
   *
   * @param path the parent
   * @param options {@code min}, {@code max} and {@code limit} (required, at least 1) of the page
   * @param session who reads; a client session does not see reserved keys
   * @param cancellation stops the listing when cancelled
   * @return {@code {"children": [{"key": ..., "value": ...} or {"key": ..., "branch": true}],
   *     "next": min of the next page or null, "version": V}}
   */
  public Future<JsonObject> children(Path path, QueryOptions options, Session session,
      Cancellation cancellation) {
    if (options.limit() == null || options.limit() < 1 || options.since() != null) {
      return Future.failedFuture(new KoraException(ErrorCode.INVALID_QUERY, "listing the"
          + " children of '" + path + "' needs a limit of at least 1 and no since"));
    }
    long version = coordinator.version();
    return check(Query.of(path, options.withSubscribe(false)), session)
        .compose(v -> childKeys.list(path, options.min(), options.max(), options.limit(),
            !session.isInternal(), cancellation))
        .map(page -> page.put("version", version));
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

  /**
   * Opens the store reads of a query: plain entries through the {@link QueryEngine}, entries with
   * {@code since} through {@link Resume} (unless a {@code resolveQuery} interceptor answers them:
   * virtual data is answered whole). The answer carries {@code version}.
   */
  private Future<QueryEngine.Opened> open(Query query, Session session,
      Cancellation cancellation, long version) {
    Map<Query.Entry, Resolution> resolved = new IdentityHashMap<>();
    List<Query.Entry> plain = new ArrayList<>();
    List<Query.Entry> resumed = new ArrayList<>();
    for (Query.Entry entry : query.entries()) {
      if (entry.options().since() == null) {
        plain.add(entry);
        continue;
      }
      Resolution resolution = chain.resolve(entry.path(), entry.options(), session);
      if (resolution instanceof Resolution.None) {
        resumed.add(entry);
      } else {
        plain.add(entry);
        resolved.put(entry, resolution);
      }
    }
    ReadBudget budget = session.isInternal() ? ReadBudget.unlimited()
        : ReadBudget.of(maxAnswerBytes);
    Future<QueryEngine.Opened> plainOpened = queries.open(Query.of(plain), (path, options) -> {
      for (Map.Entry<Query.Entry, Resolution> known : resolved.entrySet()) {
        if (known.getKey().path().equals(path) && known.getKey().options().equals(options)) {
          return known.getValue();
        }
      }
      return chain.resolve(path, options, session);
    }, cancellation, budget);
    Future<Future<Resume.Part>> resumeOpened = resumed.isEmpty()
        ? Future.succeededFuture(Future.succeededFuture(null))
        : Resume.open(store, resumed, version, cancellation, budget);
    return Future.join(plainOpened, resumeOpened).transform(opened -> {
      if (opened.failed()) {
        cancellation.cancel();
        return Future.failedFuture(opened.cause());
      }
      Future<JsonObject> answer = Future.all(plainOpened.result().answer(), resumeOpened.result())
          .map(all -> {
            JsonObject body = plainOpened.result().answer().result();
            Resume.Part part = resumeOpened.result().result();
            if (part != null) {
              Resume.put(Mutation.of(part.merge(), part.delete()), body.getJsonObject("merge"),
                  body.getJsonObject("delete"));
              if (part.reset()) {
                body.put("reset", true);
              }
            }
            body.put("version", version);
            JsonObject visible = ReservedPaths.hide(body, session);
            chain.filterAnswer(query, visible, session);
            return visible;
          });
      return Future.succeededFuture(new QueryEngine.Opened(answer));
    });
  }

  private Future<Void> check(Query query, Session session) {
    if (query.entries().size() > maxQueryPaths) {
      return Future.failedFuture(new KoraException(ErrorCode.TOO_LARGE, "the query names "
          + query.entries().size() + " paths, more than maxQueryPaths (" + maxQueryPaths + ")"));
    }
    long latestSince = -1;
    try {
      ReservedPaths.checkRead(query, session);
      for (Query.Entry entry : query.entries()) {
        if (entry.options().since() != null) {
          latestSince = Math.max(latestSince, entry.options().since());
        }
      }
    } catch (KoraException e) {
      return Future.failedFuture(e);
    }
    if (latestSince > coordinator.version()) {
      // A clustered node may not have received the commits a client saw on another node yet.
      return coordinator.reached(latestSince).compose(reached -> {
        for (Query.Entry entry : query.entries()) {
          if (entry.options().since() != null) {
            Resume.checkSince(entry.options().since(), coordinator.version(), entry.path());
          }
        }
        return checkInterceptors(query, session);
      });
    }
    return checkInterceptors(query, session);
  }

  private Future<Void> checkInterceptors(Query query, Session session) {
    long started = System.nanoTime();
    return chain.checkQuery(query, session).andThen(done -> metrics.interceptors(
        NodeMetrics.InterceptorPhase.QUERY, System.nanoTime() - started));
  }
}
