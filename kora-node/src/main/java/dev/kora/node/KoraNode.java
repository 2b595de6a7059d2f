package dev.kora.node;

import dev.kora.interceptors.ActionHandler;
import dev.kora.interceptors.EffectHandler;
import dev.kora.interceptors.Interceptor;
import dev.kora.interceptors.InterceptorChain;
import dev.kora.interceptors.KoraContext;
import dev.kora.interceptors.KoraPlugin;
import dev.kora.interceptors.Session;
import dev.kora.node.impl.CommittedChangeCodec;
import dev.kora.node.impl.Fanout;
import dev.kora.node.impl.JobScheduler;
import dev.kora.node.impl.QueryEngine;
import dev.kora.node.impl.Sequencer;
import dev.kora.node.impl.Subscriber;
import dev.kora.node.impl.SubscriptionRegistry;
import dev.kora.node.rest.RestApi;
import dev.kora.node.socket.SocketEndpoint;
import dev.kora.node.socket.SocketFlusher;
import dev.kora.storage.Store;
import dev.kora.storage.Stores;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.QueryOptions;
import dev.kora.storage.TreeReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A Kora node as a verticle: opens the store, orders and commits mutations, answers queries, pushes
 * committed changes to subscribers, and serves the WebSocket protocol on {@code /socket} and REST/SSE
 * on {@code /tree/...}. Deploy it in any Vert.x application:
 *
 * <pre>{@code
 * KoraNode node = new KoraNode(new KoraNodeOptions().setPort(0));
 * vertx.deployVerticle(node).compose(id -> node.merge(Path.of("todos", "t1"), "milk"));
 * }</pre>
 *
 * <p>The embedded Java API ({@link #mutate}, {@link #merge}, {@link #delete}, {@link #query},
 * {@link #subscribe}) may be called from any thread once deployed; its futures complete on the
 * caller's context when the caller runs on one (another verticle), else on the node's context. Nothing here blocks an event loop. The same operations are offered on the event bus, see
 * {@link KoraAddresses}.
 */
public class KoraNode extends VerticleBase {

  private static final System.Logger LOG = System.getLogger(KoraNode.class.getName());

  private final KoraNodeOptions options;
  private Store store;
  private Sequencer sequencer;
  private SubscriptionRegistry registry;
  private Fanout fanout;
  private QueryEngine queries;
  private HttpServer server;
  private InterceptorChain chain;
  private JobScheduler jobs;
  private final Map<String, ActionHandler> handlers = new HashMap<>();
  /** Per client session: completes once its latest mutation is queued for the store. */
  private final Map<Session, Future<Void>> queuedBefore = new HashMap<>();
  private volatile Thread nodeThread;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();

  /** @param options how to run; copied */
  public KoraNode(KoraNodeOptions options) {
    this.options = new KoraNodeOptions(options);
  }

  /**
   * Deploys a node and waits until it serves.
   *
   * @param vertx the Vert.x instance
   * @param options how to run
   * @return the started node
   */
  public static Future<KoraNode> deploy(Vertx vertx, KoraNodeOptions options) {
    KoraNode node = new KoraNode(options);
    return vertx.deployVerticle(node).map(id -> node);
  }

  @Override
  public Future<?> start() {
    nodeThread = Thread.currentThread();
    List<Interceptor> interceptors = new ArrayList<>();
    Map<String, EffectHandler> effectHandlers = new HashMap<>();
    for (KoraPlugin plugin : options.getPlugins()) {
      interceptors.addAll(plugin.interceptors());
      for (ActionHandler handler : plugin.handlers()) {
        if (handler.action().startsWith("kora.") || handler.action().startsWith("riptide.")) {
          return Future.failedFuture(new IllegalArgumentException("action '" + handler.action()
              + "' uses a reserved prefix (kora., riptide.)"));
        }
        if (handlers.put(handler.action(), handler) != null) {
          return Future.failedFuture(new IllegalArgumentException("two handlers for action '"
              + handler.action() + "'"));
        }
      }
      for (EffectHandler handler : plugin.effectHandlers()) {
        if (effectHandlers.put(handler.name(), handler) != null) {
          return Future.failedFuture(new IllegalArgumentException("two effect handlers named '"
              + handler.name() + "'"));
        }
      }
    }
    chain = new InterceptorChain(interceptors);
    return Stores.open(vertx, options.getStore()).compose(opened -> {
      store = opened;
      registry = new SubscriptionRegistry();
      fanout = new Fanout(registry, chain);
      queries = new QueryEngine(store);
      sequencer = new Sequencer(context, store, this::committed, options.getMaxBatchMutations(),
          options.getMaxPendingMutations());
      jobs = new JobScheduler(vertx, effectHandlers, this::mutate, options.getJobMaxAttempts(),
          options.getJobBackoffMs());
      registerEventBus();
      try {
        vertx.eventBus().registerDefaultCodec(CommittedChange.class, new CommittedChangeCodec());
      } catch (IllegalStateException alreadyRegistered) {
        // Another node in this Vert.x instance registered it.
      }
      KoraContext pluginContext = pluginContext();
      for (KoraPlugin plugin : options.getPlugins()) {
        plugin.start(pluginContext);
      }
      return TreeReader.read(store, JobScheduler.JOBS, QueryOptions.WHOLE);
    }).compose(storedJobs -> {
      int recovered = jobs.recover(storedJobs);
      if (recovered > 0) {
        LOG.log(System.Logger.Level.INFO, "resumed " + recovered + " pending effect jobs");
      }
      if (!options.isListen()) {
        return Future.succeededFuture();
      }
      return listen();
    });
  }

  private Future<Void> listen() {
    HttpServerOptions serverOptions = new HttpServerOptions()
        .setHost(options.getHost())
        .setPort(options.getPort())
        // SocketEndpoint negotiates no WebSocket extensions; Vert.x's extension handler would accept
        // per-message compression in the handshake response behind its back.
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false)
        // Every HTTP request and WebSocket of the node is served on the node's event loop, so Vert.x
        // may skip the thread-safe outbound queue of each HTTP connection (a 1,024-slot array, ~4.7 KB
        // per connection, which an upgraded WebSocket connection keeps referenced).
        .setStrictThreadMode(true);
    Router router = Router.router(vertx);
    new RestApi(this, options.getMaxFrameBytes()).mount(router);
    SocketFlusher flusher = new SocketFlusher(context);
    server = vertx.createHttpServer(serverOptions)
        .requestHandler(request -> {
          if (SocketEndpoint.isUpgrade(request)) {
            SocketEndpoint.accept(request, this, options.getMaxFrameBytes(),
                options.getMaxBacklogBytes(), flusher);
          } else if (request.canUpgradeToWebSocket()) {
            request.toWebSocket().onSuccess(socket -> socket.close((short) 1008,
                "no WebSocket endpoint at " + socket.path() + "; use " + SocketEndpoint.PATH));
          } else {
            router.handle(request);
          }
        });
    return server.listen().onSuccess(s -> LOG.log(System.Logger.Level.INFO, "Kora node listening on ws://"
        + options.getHost() + ":" + s.actualPort() + "/socket, store " + store.describe()))
        .mapEmpty();
  }

  private void registerEventBus() {
    consumers.add(vertx.eventBus().consumer(KoraAddresses.MUTATE, message -> {
      Future<Long> result;
      try {
        result = mutate(Mutation.fromJson(jsonBody(message.body(), ErrorCode.INVALID_MUTATION)));
      } catch (KoraException e) {
        result = Future.failedFuture(e);
      }
      result.onSuccess(version -> message.reply(new JsonObject().put("version", version)))
          .onFailure(e -> message.fail(400, describe(e)));
    }));
    consumers.add(vertx.eventBus().consumer(KoraAddresses.QUERY, message -> {
      Future<JsonObject> result;
      try {
        result = read(Query.fromJson(jsonBody(message.body(), ErrorCode.INVALID_QUERY)));
      } catch (KoraException e) {
        result = Future.failedFuture(e);
      }
      result.onSuccess(message::reply).onFailure(e -> message.fail(400, describe(e)));
    }));
  }

  /** A request whose body is not a JsonObject is refused (and answered) instead of throwing. */
  private static JsonObject jsonBody(Object body, String code) {
    if (body instanceof JsonObject) {
      return (JsonObject) body;
    }
    throw new KoraException(code, "the body must be a JsonObject, got "
        + (body == null ? "null" : body.getClass().getSimpleName()));
  }

  private static String describe(Throwable e) {
    return e instanceof KoraException ? ((KoraException) e).code() + ": " + e.getMessage()
        : ErrorCode.INTERNAL + ": " + e;
  }

  @Override
  public Future<?> stop() {
    if (sequencer == null) {
      return Future.succeededFuture();
    }
    jobs.stop();
    sequencer.close();
    Future<Void> closeServer = server == null ? Future.succeededFuture() : server.close();
    return closeServer.compose(v -> sequencer.drain())
        .compose(v -> store.close())
        .onComplete(v -> consumers.forEach(MessageConsumer::unregister));
  }

  /** @return the port the node listens on (the chosen one when the options said 0), or -1 */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  /** @return the node's options */
  public KoraNodeOptions options() {
    return new KoraNodeOptions(options);
  }

  /** @return the open store */
  public Store store() {
    return store;
  }

  /**
   * Writes a mutation through the node's pipeline: ordered, committed durably (grouped with concurrent
   * ones into one store transaction), then pushed to subscribers.
   *
   * @param mutation the mutation; an empty one commits nothing and succeeds with the current version
   * @return the mutation's version once durable; fails with {@link KoraException} codes
   *     {@code store_unavailable} or {@code closed}
   */
  public Future<Long> mutate(Mutation mutation) {
    return mutate(mutation, Session.internal());
  }

  /**
   * Writes a mutation on behalf of a session: a client session may not write reserved {@code kora:*}
   * paths; interceptors run first (validate, before, effects), then the write, then
   * {@code afterMutation} and the effects.
   *
   * @param mutation the mutation
   * @param session who writes
   * @return the version once durable; fails with {@code denied}, an interceptor's code,
   *     {@code interceptor_failed}, {@code store_unavailable} or {@code closed}
   */
  public Future<Long> mutate(Mutation mutation, Session session) {
    return onContext(() -> {
      if (!session.isInternal()) {
        String reserved = reservedKey(mutation);
        if (reserved != null) {
          return Future.failedFuture(new KoraException(ErrorCode.DENIED,
              "'" + reserved + "' is reserved for the server; clients cannot write kora:* paths"));
        }
      }
      if (session.isInternal() || !chain.preparesMutations()) {
        // Internal writes are not ordered per session; without interceptors, prepare answers at
        // once, so every mutation is queued for the store in arrival order anyway.
        return prepareAndSubmit(mutation, session, Promise.promise());
      }
      // A client's mutations commit in the order it sent them, even when an interceptor answers
      // later for an earlier one: each waits until the one before is queued for the store.
      Future<Void> previous = queuedBefore.get(session);
      Promise<Void> queued = Promise.promise();
      queuedBefore.put(session, queued.future());
      queued.future().onComplete(v -> queuedBefore.remove(session, queued.future()));
      if (previous == null || previous.isComplete()) {
        return prepareAndSubmit(mutation, session, queued);
      }
      return previous.transform(ignored -> prepareAndSubmit(mutation, session, queued));
    });
  }

  /**
   * Runs the interceptors, queues the result for the store ({@code queued} completes then, or on
   * failure), and after the commit — once the reply and the pushes are out — runs
   * {@code afterMutation} and starts the effect jobs.
   */
  private Future<Long> prepareAndSubmit(Mutation mutation, Session session, Promise<Void> queued) {
    Future<Long> result = chain.prepare(mutation, session).compose(prepared -> {
      Mutation toWrite = prepared.mutation();
      List<JobScheduler.Job> newJobs = jobs.jobs(prepared.effects());
      if (!newJobs.isEmpty()) {
        toWrite = toWrite.combine(jobs.store(newJobs));
      }
      if (toWrite.isEmpty()) {
        queued.tryComplete();
        return Future.succeededFuture(sequencer.version());
      }
      Mutation written = toWrite;
      Future<Long> committed = sequencer.submit(written);
      queued.tryComplete();
      if (!chain.reactsAfterMutation() && newJobs.isEmpty()) {
        return committed;
      }
      return committed.onSuccess(version -> context.runOnContext(v -> {
        chain.afterMutation(written, session);
        jobs.start(newJobs);
      }));
    });
    result.onComplete(v -> queued.tryComplete());
    return result;
  }

  private static String reservedKey(Mutation mutation) {
    for (Path path : mutation.deletes()) {
      if (path.key(0).startsWith("kora:")) {
        return path.key(0);
      }
    }
    for (LeafWrite write : mutation.writes()) {
      if (write.path().key(0).startsWith("kora:")) {
        return write.path().key(0);
      }
    }
    return null;
  }

  private static String reservedKey(Query query) {
    for (Query.Entry entry : query.entries()) {
      if (!entry.path().isRoot() && entry.path().key(0).startsWith("kora:")) {
        return entry.path().key(0);
      }
    }
    return null;
  }

  private static boolean subscribesRoot(Query query) {
    for (Query.Entry entry : query.entries()) {
      if (entry.path().isRoot() && entry.options().subscribe()) {
        return true;
      }
    }
    return false;
  }

  /** Removes reserved {@code kora:*} keys from a client's answer to a root query. */
  private static JsonObject hideReserved(JsonObject answer, Session session) {
    if (!session.isInternal()) {
      JsonObject merge = answer.getJsonObject("merge");
      merge.fieldNames().removeIf(key -> key.startsWith("kora:"));
    }
    return answer;
  }

  private KoraContext pluginContext() {
    KoraNode node = this;
    return new KoraContext() {
      @Override
      public Vertx vertx() {
        return node.vertx;
      }

      @Override
      public Future<Long> mutate(Mutation mutation) {
        return node.mutate(mutation);
      }

      @Override
      public Future<Object> read(Path path, QueryOptions queryOptions) {
        return onContext(() -> TreeReader.read(store, path, queryOptions));
      }
    };
  }

  /**
   * @param action an application action name
   * @return its handler, or null
   */
  public ActionHandler handler(String action) {
    return handlers.get(action);
  }

  /** @return every registered action handler */
  public java.util.Collection<ActionHandler> handlers() {
    return handlers.values();
  }

  /**
   * @param path where to write, e.g. {@code Path.of("users", "dax")}
   * @param value a subtree (merged), a leaf (replaces) or null (deletes)
   * @return the version once durable
   */
  public Future<Long> merge(Path path, Object value) {
    try {
      return mutate(Mutation.merge(path, value));
    } catch (KoraException e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * @param path the subtree to remove
   * @return the version once durable
   */
  public Future<Long> delete(Path path) {
    try {
      return mutate(Mutation.delete(path));
    } catch (KoraException e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * @param query what to read
   * @return the data found, as a mutation: merge = data from the root, delete = 1 at whole paths
   */
  public Future<Mutation> query(Query query) {
    return read(query).map(answer -> Mutation.fromJson(answer));
  }

  /**
   * Reads and subscribes in one step.
   *
   * @param query the paths to watch
   * @param onPush receives, on the node's context, the part of each later committed mutation that
   *     touches them
   * @return the subscription with its initial answer
   */
  public Future<Subscription> subscribe(Query query, Handler<Mutation> onPush) {
    Subscriber subscriber = (part, key, version, frames) -> onPush.handle(part);
    return subscribe(query.subscribing(), subscriber).map(initial -> new Subscription() {
      @Override
      public JsonObject initial() {
        return initial;
      }

      @Override
      public Future<Void> close() {
        return onContext(() -> {
          for (Query.Entry entry : query.entries()) {
            registry.remove(entry.path(), subscriber);
          }
          return Future.succeededFuture();
        });
      }
    });
  }

  /**
   * Internal: answers a query in wire form. Runs on the node's context.
   *
   * @param query the query; its entries with {@code subscribe} are not subscribed by this call
   * @return {@code {"merge": ..., "delete": ...}}
   */
  public Future<JsonObject> read(Query query) {
    return read(query, Session.internal());
  }

  /**
   * Internal: answers a query for a session: interceptors' {@code beforeQuery} first, virtual paths
   * through {@code resolveQuery}; a client cannot read reserved {@code kora:*} paths.
   *
   * @param query the query
   * @param session who reads
   * @return {@code {"merge": ..., "delete": ...}}
   */
  public Future<JsonObject> read(Query query, Session session) {
    return onContext(() -> check(query, session)
        .compose(v -> queries.read(query, (path, opts) -> chain.resolve(path, opts, session)))
        .map(answer -> hideReserved(answer, session)));
  }

  private Future<Void> check(Query query, Session session) {
    if (!session.isInternal()) {
      String reserved = reservedKey(query);
      if (reserved != null) {
        return Future.failedFuture(new KoraException(ErrorCode.DENIED,
            "'" + reserved + "' is reserved for the server; clients cannot read kora:* paths"));
      }
    }
    return chain.checkQuery(query, session);
  }

  /**
   * Internal: subscribes {@code subscriber} to the paths of {@code query} whose options say
   * {@code subscribe} and reads every path of it, between two write batches so that the answer and the
   * pushes fit together.
   *
   * @param query the paths
   * @param subscriber who receives pushes
   * @return the answer in wire form
   */
  public Future<JsonObject> subscribe(Query query, Subscriber subscriber) {
    Session session = subscriber.session();
    if (!session.isInternal() && subscribesRoot(query)) {
      return Future.failedFuture(new KoraException(ErrorCode.DENIED,
          "clients cannot subscribe to the root; subscribe to the top-level paths you need"));
    }
    return onContext(() -> check(query, session).compose(checked -> sequencer.barrier(() -> {
      for (Query.Entry entry : query.entries()) {
        if (entry.options().subscribe()) {
          registry.add(entry.path(), subscriber);
        }
      }
      return queries.read(query, (path, opts) -> chain.resolve(path, opts, session))
          .map(answer -> hideReserved(answer, session));
    })));
  }

  /**
   * Internal: removes subscriptions.
   *
   * @param paths subscribed paths
   * @param subscriber the subscriber
   */
  public void unsubscribe(Iterable<Path> paths, Subscriber subscriber) {
    if (onNodeThread()) {
      for (Path path : paths) {
        registry.remove(path, subscriber);
      }
      return;
    }
    context.runOnContext(v -> {
      for (Path path : paths) {
        registry.remove(path, subscriber);
      }
    });
  }

  /** @return the node's subscription registry (for tests and metrics); confined to the node's context */
  SubscriptionRegistry registry() {
    return registry;
  }

  private void committed(Mutation mutation, long version) {
    fanout.deliver(mutation, version);
    if (vertx.eventBus() != null) {
      vertx.eventBus().publish(KoraAddresses.COMMITTED, new CommittedChange(version, mutation));
    }
  }

  private <T> Future<T> onContext(Supplier<Future<T>> operation) {
    if (context == null || sequencer == null) {
      return Future.failedFuture(new KoraException(ErrorCode.CLOSED, "the node is not started"));
    }
    if (onNodeThread()) {
      return operation.get();
    }
    Context caller = Vertx.currentContext();
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> {
      Future<T> result;
      try {
        result = operation.get();
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      // Complete on the caller's context (another verticle's), as Vert.x APIs do.
      result.onComplete(done -> {
        if (caller == null) {
          promise.handle(done);
        } else {
          caller.runOnContext(ignored -> promise.handle(done));
        }
      });
    });
    return promise.future();
  }

  /**
   * Whether the caller runs on the node's event loop thread. Connections run on duplicates of the
   * node's context (Vert.x gives each request its own), so the thread, not the context object, tells
   * whether the node's state may be touched directly.
   */
  private boolean onNodeThread() {
    return Thread.currentThread() == nodeThread;
  }

  /** @return the node's context (internal) */
  public Context nodeContext() {
    return context;
  }

}
