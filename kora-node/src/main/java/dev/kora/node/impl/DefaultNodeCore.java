package dev.kora.node.impl;

import dev.kora.interceptors.InterceptorChain;
import dev.kora.interceptors.KoraContext;
import dev.kora.interceptors.KoraPlugin;
import dev.kora.interceptors.Session;
import dev.kora.node.core.Authentication;
import dev.kora.node.core.Cancellation;
import dev.kora.node.core.Connection;
import dev.kora.node.core.MutationRequest;
import dev.kora.node.core.NodeCore;
import dev.kora.node.core.NodeMetrics;
import dev.kora.node.core.RateLimits;
import dev.kora.node.core.RequestLimits;
import dev.kora.node.core.Subscriber;
import dev.kora.node.impl.actions.ActionTable;
import dev.kora.node.impl.actions.BuiltInActions;
import dev.kora.node.impl.effects.JobScheduler;
import dev.kora.node.impl.read.QueryEngine;
import dev.kora.node.impl.read.ReadPath;
import dev.kora.node.impl.subscription.Fanout;
import dev.kora.node.impl.subscription.SubscriptionRegistry;
import dev.kora.node.impl.write.ChangeLogRetention;
import dev.kora.node.impl.write.WritePipeline;
import dev.kora.node.logging.RequestLog;
import dev.kora.node.spi.CommitFeed;
import dev.kora.node.spi.JobLeases;
import dev.kora.node.spi.WriteCoordinator;
import dev.kora.storage.Store;
import dev.kora.storage.TreeReader;
import dev.kora.storage.changelog.ChangeLog;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The node behind the transports: wires the write path ({@link WritePipeline} over a
 * {@link WriteCoordinator}), the read path ({@link ReadPath}), the fan-out of the {@link CommitFeed}
 * to subscribers, the durable effect jobs and the action table, and offers them as a
 * {@link NodeCore}. Calls from other threads hop to the node's context; the parts behind it are
 * confined to that context and need no locks.
 */
public final class DefaultNodeCore implements NodeCore {

  /** How the node's parts are made: the local ones on a single node, others in a cluster. */
  public record Parts(WriteCoordinator coordinator, CommitFeed feed, JobLeases leases) {
  }

  private final Vertx vertx;
  private final Context context;
  private final Store store;
  private final Thread nodeThread;
  private final Parts parts;
  private final SubscriptionRegistry registry = new SubscriptionRegistry();
  private final ActionTable actions;
  private final Authentication authentication;
  private final NodeMetrics metrics;
  private final RateLimits rateLimits;
  private final WritePipeline writes;
  private final ReadPath reads;
  private final JobScheduler jobs;
  private final Plugins plugins;
  private final RequestLimits limits;
  private final RequestLog requestLog;
  private final ChangeLogRetention retention;

  /**
   * Wires a node; call on the node's context.
   *
   * @param vertx the Vert.x instance
   * @param context the node's context (the caller's)
   * @param store the open store
   * @param plugins the applications' interceptors and handlers
   * @param parts makes the write coordinator, commit feed and job leases over the store; the
   *     coordinator must hand every commit to the feed
   * @param jobMaxAttempts most tries of an effect job
   * @param jobBackoffMs first retry delay of an effect job
   * @param limits the limits on clients' requests
   * @param changeLog the change log's settings
   * @param authentication how clients authenticate
   * @param metrics where the node's metrics go
   * @param requestLog where transports log the answers to requests
   * @throws IllegalArgumentException when an action handler uses a reserved or taken name
   */
  public DefaultNodeCore(Vertx vertx, Context context, Store store, Plugins plugins,
      Function<Store, Parts> parts, int jobMaxAttempts, long jobBackoffMs, RequestLimits limits,
      ChangeLogRetention.Policy changeLog, Authentication authentication, NodeMetrics metrics,
      RequestLog requestLog) {
    this.authentication = authentication;
    this.requestLog = requestLog;
    this.metrics = metrics;
    this.actions = new ActionTable(authentication);
    this.rateLimits = new RateLimits(limits.rates());
    this.vertx = vertx;
    this.context = context;
    this.store = store;
    this.plugins = plugins;
    this.limits = limits;
    this.nodeThread = Thread.currentThread();
    InterceptorChain chain = new InterceptorChain(plugins.interceptors());
    BuiltInActions.register(actions);
    plugins.handlers().forEach(actions::add);
    this.parts = parts.apply(store);
    this.parts.feed().listen(new Fanout(registry, chain, metrics));
    this.jobs = new JobScheduler(vertx, plugins.effectHandlers(), this::mutateInternal,
        path -> TreeReader.read(store, path, QueryOptions.WHOLE), jobMaxAttempts, jobBackoffMs,
        this.parts.leases(), metrics);
    metrics.gauge("kora.subscriptions", "Subscriptions of all connections", registry::size);
    metrics.gauge("kora.effect.jobs.pending", "Effect jobs started and not yet done",
        jobs::pending);
    this.writes = new WritePipeline(context, chain, jobs, this.parts.coordinator(), limits, store,
        changeLog.on(), metrics);
    this.retention = new ChangeLogRetention(vertx, store, changeLog,
        this.parts.coordinator()::version, this.parts.coordinator()::ordersWrites);
    this.parts.leases().onOrphans(jobs::rescan);
    this.reads = new ReadPath(chain, store, this.parts.coordinator(), registry,
        limits.maxQueryPaths(), limits.maxAnswerBytes(), metrics);
  }

  /**
   * Starts the plugins and resumes the effect jobs that were pending when the node last stopped.
   *
   * @return how many jobs were resumed
   */
  public Future<Integer> start() {
    KoraContext pluginContext = pluginContext();
    for (KoraPlugin plugin : plugins.plugins()) {
      plugin.start(pluginContext);
    }
    retention.start();
    return TreeReader.read(store, JobScheduler.JOBS, QueryOptions.WHOLE).map(jobs::recover);
  }

  /**
   * Stops starting effect jobs, refuses new writes, and completes once the waiting ones are
   * committed.
   *
   * @return completes once drained
   */
  public Future<Void> stop() {
    jobs.stop();
    retention.stop();
    parts.coordinator().close();
    return parts.coordinator().drain();
  }

  /** @return the commit feed, for the event bus's {@code kora.tree.committed} */
  public CommitFeed feed() {
    return parts.feed();
  }

  /** @return the subscriptions; confined to the node's context */
  public SubscriptionRegistry registry() {
    return registry;
  }

  @Override
  public Context context() {
    return context;
  }

  @Override
  public Future<Long> mutate(MutationRequest request, Session session) {
    return onContext(() -> writes.mutate(request.mutation(), request.id(), request.first(),
        session));
  }

  private Future<Long> mutateInternal(Mutation mutation) {
    return mutate(mutation, Session.internal());
  }

  @Override
  public Future<JsonObject> read(Query query, Session session, Cancellation cancellation) {
    long started = System.nanoTime();
    return onContext(() -> reads.read(query, session, cancellation))
        .andThen(done -> metrics.read(System.nanoTime() - started));
  }

  @Override
  public Future<JsonObject> subscribe(Query query, Subscriber subscriber,
      Cancellation cancellation) {
    long started = System.nanoTime();
    return onContext(() -> reads.subscribe(query, subscriber, cancellation))
        .andThen(done -> metrics.read(System.nanoTime() - started));
  }

  @Override
  public Future<JsonObject> children(Path path, QueryOptions options, Session session,
      Cancellation cancellation) {
    long started = System.nanoTime();
    return onContext(() -> reads.children(path, options, session, cancellation))
        .andThen(done -> metrics.read(System.nanoTime() - started));
  }

  @Override
  public void unsubscribe(Iterable<Path> paths, Subscriber subscriber) {
    if (onNodeThread()) {
      reads.unsubscribe(paths, subscriber);
    } else {
      context.runOnContext(v -> reads.unsubscribe(paths, subscriber));
    }
  }

  @Override
  public Future<Object> call(String action, Object body, Connection connection) {
    return actions.call(action, body, connection);
  }

  @Override
  public RequestLimits limits() {
    return limits;
  }

  @Override
  public Authentication authentication() {
    return authentication;
  }

  @Override
  public RateLimits rateLimits() {
    return rateLimits;
  }

  @Override
  public NodeMetrics metrics() {
    return metrics;
  }

  @Override
  public RequestLog requestLog() {
    return requestLog;
  }

  @Override
  public Future<Void> ready() {
    return TreeReader.read(store, ChangeLog.VERSION_PATH, QueryOptions.WHOLE)
        .timeout(2, java.util.concurrent.TimeUnit.SECONDS).<Void>mapEmpty()
        .recover(failure -> Future.failedFuture(failure instanceof KoraException ? failure
            : new KoraException(ErrorCode.STORE_UNAVAILABLE, "the store did not answer: "
                + failure.getMessage(), failure)));
  }

  @Override
  public void connected(Session session) {
    actions.connected(session);
  }

  @Override
  public void disconnected(Session session) {
    actions.disconnected(session);
  }

  private KoraContext pluginContext() {
    return new KoraContext() {
      @Override
      public Vertx vertx() {
        return vertx;
      }

      @Override
      public Future<Long> mutate(Mutation mutation) {
        return mutateInternal(mutation);
      }

      @Override
      public Future<Object> read(Path path, QueryOptions queryOptions) {
        return onContext(() -> TreeReader.read(store, path, queryOptions));
      }
    };
  }

  /**
   * Runs an operation on the node's context: at once when called there, else after a hop, completing
   * on the caller's context (another verticle's) as Vert.x APIs do.
   *
   * @param operation what to run; a {@link KoraException} it throws fails the future with its code,
   *     another exception with {@code internal}
   * @return the operation's outcome
   */
  public <T> Future<T> onContext(Supplier<Future<T>> operation) {
    if (onNodeThread()) {
      return call(operation);
    }
    Context caller = Vertx.currentContext();
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> call(operation).onComplete(done -> {
      if (caller == null) {
        promise.handle(done);
      } else {
        caller.runOnContext(ignored -> promise.handle(done));
      }
    }));
    return promise.future();
  }

  private static <T> Future<T> call(Supplier<Future<T>> operation) {
    try {
      return operation.get();
    } catch (KoraException e) {
      return Future.failedFuture(e);
    } catch (RuntimeException e) {
      return Future.failedFuture(new KoraException(ErrorCode.INTERNAL, "unexpected failure: " + e,
          e));
    }
  }

  /**
   * Whether the caller runs on the node's event loop thread. Connections run on duplicates of the
   * node's context (Vert.x gives each request its own), so the thread, not the context object, tells
   * whether the node's state may be touched directly.
   */
  private boolean onNodeThread() {
    return Thread.currentThread() == nodeThread;
  }
}
