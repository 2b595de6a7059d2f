package dev.kora.node;

import dev.kora.auth.JwtAuthenticator;
import dev.kora.interceptors.Authenticator;
import dev.kora.interceptors.Session;
import dev.kora.node.core.Authentication;
import dev.kora.node.core.CommittedPart;
import dev.kora.node.core.Connection;
import dev.kora.node.core.NodeCore;
import dev.kora.node.core.NodeMetrics;
import dev.kora.node.core.RateLimits;
import dev.kora.node.core.Subscriber;
import dev.kora.node.core.RequestLimits;
import dev.kora.node.impl.DefaultNodeCore;
import dev.kora.node.impl.Plugins;
import dev.kora.node.impl.cluster.ClusterCoordinator;
import dev.kora.node.impl.cluster.ClusterParts;
import dev.kora.node.impl.effects.LocalJobLeases;
import dev.kora.node.impl.eventbus.EventBusApi;
import dev.kora.node.impl.http.HttpFront;
import dev.kora.node.impl.socket.SocketEndpoint;
import dev.kora.node.impl.write.ChangeLogRetention;
import dev.kora.node.impl.write.LocalCommitFeed;
import dev.kora.node.impl.write.Sequencer;
import dev.kora.node.logging.JsonLogFormatter;
import dev.kora.node.logging.RequestLog;
import dev.kora.protocol.Dialect;
import dev.kora.rules.RulesFile;
import dev.kora.rules.RulesInterceptor;
import dev.kora.storage.Store;
import dev.kora.storage.Stores;
import dev.kora.storage.TreeReader;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;

/**
 * A Kora node as a verticle: opens the store, orders and commits mutations, answers queries, pushes
 * committed changes to subscribers, and serves the WebSocket protocol on {@code /socket}, REST/SSE on
 * {@code /tree/...} and the event bus API ({@link dev.kora.node.eventbus.KoraAddresses}). Deploy it in
 * any Vert.x application:
 *
 * <pre>{@code
 * KoraNode node = KoraNode.deploy(vertx, new KoraNodeOptions().setPort(0)).await();
 * node.merge(Path.of("todos", "t1"), new JsonObject().put("title", "milk"));
 * }</pre>
 *
 * <p>This class only wires: the options, the store, the plugins' interceptors and handlers, the node
 * core behind the transports (docs/architecture.md shows the parts). The embedded API ({@link #mutate},
 * {@link #merge}, {@link #delete}, {@link #query}, {@link #subscribe}) may be called from any thread once
 * deployed; its futures complete on the caller's context when the caller runs on one (another
 * verticle), else on the node's context. Nothing here blocks an event loop.
 */
public class KoraNode extends VerticleBase {

  private static final System.Logger LOG = System.getLogger(KoraNode.class.getName());
  /** Rate-limit refusals in a row after which a connection counts as flooding and is closed. */
  static final int RATE_LIMIT_CLOSE_AFTER_REFUSALS = 1_000;

  private final KoraNodeOptions options;
  private Store store;
  private DefaultNodeCore core;
  /** The cluster's parts when the node is a member of one ({@code clusterSize > 0}), else null. */
  private ClusterParts cluster;
  private EventBusApi eventBus;
  private HttpFront http;
  private Authentication authentication;
  private NodeMetrics metrics;
  /** The JWT authenticator made from the options, closed with the node; null when none. */
  private JwtAuthenticator jwt;
  /** The rules file in force, watched for changes; null when none. */
  private RulesFile rules;

  /** @param options how to run; copied */
  public KoraNode(KoraNodeOptions options) {
    this.options = new KoraNodeOptions(options);
  }

  /**
   * Deploys a node and waits until it serves.
   *
   * @param vertx the Vert.x instance
   * @param options how to run
   * @return the started node; fails when the store cannot be opened ({@code store_unavailable}), a
   *     plugin is invalid (two handlers of one action, a reserved action name), the auth options
   *     are invalid (IllegalArgumentException), the node would listen beyond loopback without
   *     authentication or {@code insecure} (IllegalStateException), or the port is taken
   */
  public static Future<KoraNode> deploy(Vertx vertx, KoraNodeOptions options) {
    KoraNode node = new KoraNode(options);
    return vertx.deployVerticle(node).map(id -> node);
  }

  @Override
  public Future<?> start() {
    Plugins plugins;
    try {
      plugins = Plugins.of(options.getPlugins());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    ChangeLogRetention.Policy changeLog = new ChangeLogRetention.Policy(options.isChangeLog(),
        options.getChangeLogMaxEntries(), options.getChangeLogMaxAgeMs(),
        options.getChangeLogTrimIntervalMs());
    if (KoraNodeOptions.LOG_FORMAT_JSON.equals(options.getLogFormat())) {
      JsonLogFormatter.install();
    }
    Future<RulesFile> rulesOpened = options.getRules() == null ? Future.succeededFuture()
        : RulesFile.open(vertx, java.nio.file.Path.of(options.getRules()));
    return rulesOpened.compose(opened -> {
      rules = opened;
      return authenticator(plugins);
    }).compose(authenticator -> {
      authentication = new Authentication(authenticator, options.isAllowAnonymous());
      metrics = NodeMetrics.forVertx();
      if (options.isListen() && authentication.checkListen(options.getHost(),
          options.isInsecure(), rules != null)) {
        LOG.log(System.Logger.Level.WARNING, "INSECURE: listening on " + options.getHost()
            + " without authentication or rules (insecure is set): anyone who reaches the port"
            + " can read and write everything");
      }
      return Stores.open(vertx, options.getStore());
    }).compose(opened -> {
      store = opened;
      return ChangeLogRetention.recover(store, changeLog.on())
          .recover(failure -> store.close().transform(closed -> Future.failedFuture(failure)));
    }).compose(lastVersion -> {
      try {
        if (options.getClusterSize() > 0) {
          ClusterParts.check(vertx, store, changeLog.on());
          cluster = ClusterParts.create(vertx, context, store, lastVersion,
              new ClusterCoordinator.Settings(options.getClusterSize(),
                  options.getClusterTimeoutMs(), options.getMaxBatchMutations(),
                  options.getMaxPendingMutations()), metrics);
        }
        core = new DefaultNodeCore(vertx, context, store, withRules(plugins),
            opened -> cluster != null ? cluster.parts()
                : localParts(opened, lastVersion, changeLog.on()),
            options.getJobMaxAttempts(), options.getJobBackoffMs(),
            new RequestLimits(options.getMaxLeavesPerMutation(),
                options.getMaxPendingWritesPerConnection(), options.getWorkerParseBytes(),
                options.getMaxReadsPerConnection(), options.getMaxQueryPaths(),
                options.getMaxAnswerBytes(), new RateLimits.Limits(
                    options.getMaxMutationsPerSecond(), options.getMaxBytesPerSecond(),
                    options.getMaxMutationsPerSecondPerAddress(),
                    options.getMaxBytesPerSecondPerAddress(),
                    RATE_LIMIT_CLOSE_AFTER_REFUSALS)), changeLog, authentication, metrics,
            new RequestLog(options.isLogRequests()));
      } catch (IllegalArgumentException e) {
        return store.close().transform(closed -> Future.failedFuture(e));
      }
      eventBus = new EventBusApi(vertx, core);
      eventBus.start(core.feed());
      return (cluster == null ? Future.<Void>succeededFuture() : cluster.start())
          .compose(joined -> core.start());
    }).compose(recovered -> {
      if (recovered > 0) {
        LOG.log(System.Logger.Level.INFO, "resumed " + recovered + " pending effect jobs");
      }
      if (!options.isListen()) {
        return Future.succeededFuture();
      }
      http = new HttpFront(vertx, core, new HttpFront.Limits(options.getRequestHeaderTimeoutMs(),
          options.getMaxConnectionsPerAddress(), new SocketEndpoint.Limits(
              options.getMaxFrameBytes(), options.getMaxBacklogBytes(),
              options.getWebSocketIdleTimeoutMs(), options.getFragmentedMessageTimeoutMs())),
          options.getHost(), options.getAllowedOrigins(), options.getAllowedHosts(),
          options.getTlsCertPath() == null ? null : new PemKeyCertOptions()
              .setCertPath(options.getTlsCertPath()).setKeyPath(options.getTlsKeyPath()));
      return http.listen(options.getHost(), options.getPort(), store.describe());
    });
  }

  /**
   * The plugins with the rules' interceptor ahead of theirs when a rules file is in force; the rules
   * read the values they need straight from the store.
   */
  private Plugins withRules(Plugins plugins) {
    if (rules == null) {
      return plugins;
    }
    rules.watch(options.getRulesCheckIntervalMs());
    LOG.log(System.Logger.Level.INFO, "rules: " + rules.rules().size() + " rules from "
        + rules.file() + ", reloaded when the file changes");
    return plugins.withFirst(new RulesInterceptor(rules::rules,
        path -> TreeReader.read(store, path, QueryOptions.WHOLE), System::currentTimeMillis));
  }

  /**
   * The authenticator of the node's clients: a plugin's, else a JWT authenticator of the options'
   * {@code auth}, else none.
   */
  private Future<Authenticator> authenticator(Plugins plugins) {
    if (plugins.authenticator() != null) {
      if (options.getAuth() != null) {
        return Future.failedFuture(new IllegalArgumentException("a plugin supplies an"
            + " authenticator and the options configure JWT auth too; a node has one"));
      }
      return Future.succeededFuture(plugins.authenticator());
    }
    if (options.getAuth() == null) {
      return Future.succeededFuture(null);
    }
    return JwtAuthenticator.create(vertx, options.getAuth()).map(created -> {
      jwt = created;
      return created;
    });
  }

  /**
   * The parts of a node alone on its store: its own sequencer (going on from the last version the
   * store keeps), commit feed and job leases.
   */
  private DefaultNodeCore.Parts localParts(Store opened, long lastVersion, boolean logged) {
    LocalCommitFeed feed = new LocalCommitFeed();
    Sequencer sequencer = new Sequencer(context, opened, feed, options.getMaxBatchMutations(),
        options.getMaxPendingMutations(), lastVersion, logged, metrics);
    return new DefaultNodeCore.Parts(sequencer, feed, new LocalJobLeases());
  }

  /**
   * @return the random admin token of the console ({@code /console}), made when the node started
   *     listening without authentication and shown in its start log line; null on a node with
   *     authentication (administrators bring a token with {@code "kora_admin": true}) or one that
   *     does not listen
   */
  public String adminToken() {
    return http == null ? null : http.adminToken();
  }

  @Override
  public Future<?> stop() {
    if (jwt != null) {
      jwt.close();
    }
    if (rules != null) {
      rules.close();
    }
    if (metrics != null) {
      metrics.close();
    }
    if (core == null) {
      return store == null ? Future.succeededFuture() : store.close();
    }
    Future<Void> closeServer = http == null ? Future.succeededFuture() : http.close();
    return closeServer.compose(v -> core.stop())
        .compose(v -> store.close())
        .eventually(() -> eventBus.stop());
  }

  /** @return the port the node listens on (the chosen one when the options said 0), or -1 */
  public int actualPort() {
    return http == null ? -1 : http.actualPort();
  }

  /** @return the node's options */
  public KoraNodeOptions options() {
    return new KoraNodeOptions(options);
  }

  /** @return the open store, e.g. to read it directly in tests and tools; null before start */
  public Store store() {
    return store;
  }

  /** @return the context the node runs on (its event loop); null before start */
  public Context nodeContext() {
    return context;
  }

  /**
   * Writes a mutation as the server (the internal session): interceptors run, reserved
   * {@code kora:*} paths may be written.
   *
   * @param mutation the mutation, e.g. {@code Mutation.merge(Path.of("todos", "t1"), "milk")}; an
   *     empty one commits nothing and succeeds with the current version
   * @return the mutation's version once durable; fails with {@link KoraException} codes
   *     {@code store_unavailable} or {@code closed}, or an interceptor's code
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
    return core().compose(node -> node.mutate(mutation, session));
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
   * @param path the subtree to remove, e.g. {@code Path.of("todos", "t1")}
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
   * Reads as the server; entries with {@code subscribe} are read, not subscribed.
   *
   * @param query what to read, e.g. {@code Query.of(Path.of("todos"), QueryOptions.WHOLE)}
   * @return the data found, as a mutation: merge = data from the root, delete = 1 at whole paths
   */
  public Future<Mutation> query(Query query) {
    return core().compose(node -> node.read(query, Session.internal()))
        .map(answer -> Mutation.of(answer.getJsonObject("merge"), answer.getJsonObject("delete")));
  }

  /**
   * Reads and subscribes in one step, as the server.
   *
   * @param query the paths to watch
   * @param onPush receives, on the node's context, the part of each later committed mutation that
   *     touches them (paths from the root)
   * @return the subscription with its initial answer ({@code {"merge": ..., "delete": ...,
   *     "version": V}}: the pushes that follow are the commits after V)
   */
  public Future<Subscription> subscribe(Query query, Handler<Mutation> onPush) {
    Subscriber subscriber = (CommittedPart part) -> onPush.handle(part.mutation());
    Query subscribing = query.subscribing();
    if (core == null) {
      return core().mapEmpty();
    }
    DefaultNodeCore node = core;
    return node.onContext(() -> {
      Connection connection = new Connection(node, Session.internal(), subscriber);
      return connection.subscribe(subscribing, Dialect.KORA).andThen(done -> connection.replied())
          .map(initial -> subscription(node, connection, initial));
    });
  }

  private static Subscription subscription(NodeCore node, Connection connection,
      JsonObject initial) {
    return new Subscription() {
      @Override
      public JsonObject initial() {
        return initial;
      }

      @Override
      public Future<Void> close() {
        Promise<Void> closed = Promise.promise();
        node.context().runOnContext(v -> {
          connection.close();
          closed.complete();
        });
        return closed.future();
      }
    };
  }

  /** @return the node core, for tests in this package; null before start */
  DefaultNodeCore coreForTests() {
    return core;
  }

  private Future<NodeCore> core() {
    if (core == null) {
      return Future.failedFuture(new KoraException(ErrorCode.CLOSED, "the node is not started"));
    }
    return Future.succeededFuture(core);
  }
}
