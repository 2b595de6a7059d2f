package dev.kora.client;

import dev.kora.client.connection.KoraConnection;
import dev.kora.client.local.LocalState;
import dev.kora.client.local.LocalStore;
import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import dev.kora.protocol.Frame;
import dev.kora.protocol.FrameCodec;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import dev.kora.tree.Tree;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The Java client of a Kora node: works as if the data were local, online and offline.
 *
 * <ul>
 *   <li>{@link #subscribe} keeps a local copy of a path, readable at once ({@link Subscription#value})
 *       and kept current by the node's pushes; the listener gets every change.</li>
 *   <li>{@link #merge}, {@link #delete} and {@link #mutate} change the local view at once, queue the
 *       write in the {@link LocalStore}'s outbox (on disk, for a durable store) and send it when
 *       connected, with an idempotency id, so that a lost answer never applies a write twice. The
 *       future completes with the node's version once the write is durable there, or fails with
 *       the node's code ({@code denied}, {@code invalid_mutation}, an interceptor's code), the write
 *       then being rolled back in the local view.</li>
 *   <li>When the connection drops, the client reconnects with backoff and jitter, asks each
 *       subscription again with {@code since} (only what it missed, or the whole subtree when the
 *       node's change log no longer reaches back), then sends the queued writes.</li>
 *   <li>Given several node URLs (a cluster's nodes, {@link KoraClientOptions#setUrls}), it stays on
 *       one while it works and moves to the next when an attempt fails or the connection is lost;
 *       the backoff applies once every URL has failed in a row. The resume and the resend are the
 *       same on whichever node the new connection reaches; {@link #connectedUrl()} tells which.</li>
 * </ul>
 *
 * <p>Protocol: docs/protocol.md ({@code kora.} actions, versions, resume and exactly-once writes);
 * guide: docs/client.md. All work runs on one Vert.x context; futures complete and listeners run
 * there. Methods may be called from any thread; the reading ones ({@link Subscription#value},
 * {@link #status}) briefly wait for the client's context when called from elsewhere, so call them
 * from that context or from a thread that may block.
 */
public final class KoraClient {

  private static final String MUTATION = Action.MUTATION.wireName(Dialect.KORA);
  private static final Set<String> PASSING_CODES = Set.of(ErrorCode.STORE_UNAVAILABLE,
      ErrorCode.CLUSTER_UNAVAILABLE, ErrorCode.CLOSED, KoraConnection.DISCONNECTED, ErrorCode.TOO_MANY_CONNECTIONS,
      ClientErrors.TIMEOUT);

  private final Vertx vertx;
  private final Context context;
  private final KoraClientOptions options;
  private final LocalStore store;
  private final String clientId;
  private final Outbox outbox = new Outbox();
  private final Map<Path, CachedSubscription> subscriptions = new LinkedHashMap<>();
  private final List<Handler<ClientStatus>> statusHandlers = new ArrayList<>();
  private long lastSequence;
  private ClientStatus status = ClientStatus.OFFLINE;
  private KoraConnection connection;
  /** The URL of {@link #connection}, null while there is none. */
  private String connectedUrl;
  private final UrlRotation urlRotation;
  /** Reconnect delays waited since the last connection opened: the backoff's exponent. */
  private int attempts;
  private long reconnectTimer = -1;
  private long retryTimer = -1;
  private long pingTimer = -1;
  private long lastHeardMs;
  /** Set by {@link #goOffline()}: no connection until {@link #goOnline()}. */
  private boolean offline;
  private Future<Void> storeQueue = Future.succeededFuture();
  /** The event-loop thread of {@link #context}: code on it may touch the state directly. */
  private volatile Thread owner;

  private KoraClient(Vertx vertx, Context context, KoraClientOptions options, LocalState state) {
    this.vertx = vertx;
    this.context = context;
    this.options = options;
    this.store = options.getLocalStore();
    this.urlRotation = new UrlRotation(options.getUrls());
    this.clientId = state.clientId();
    this.lastSequence = state.lastSequence();
    for (LocalState.CachedPath cached : state.paths()) {
      subscriptions.put(cached.path(), new CachedSubscription(cached.path(), cached.data(),
          cached.version()));
    }
    for (LocalStore.PendingWrite write : state.outbox()) {
      outbox.add(write.sequence(), write.id(), write.mutation(), write.version(), true);
      lastSequence = Math.max(lastSequence, write.sequence());
    }
  }

  /**
   * Opens the local store, restores its cache and outbox, and starts connecting.
   *
   * @param vertx the Vert.x instance
   * @param options where to connect and what to keep
   * @return the client, ready once the local store is read (before any connection: offline, it
   *     serves the cached data and queues writes); fails with a
   *     {@link dev.kora.client.local.LocalStoreException} when the store cannot be read
   */
  public static Future<KoraClient> create(Vertx vertx, KoraClientOptions options) {
    Context context = vertx.getOrCreateContext();
    LocalStore store = options.getLocalStore();
    Future<LocalState> loaded;
    if (store.blocking()) {
      loaded = context.executeBlocking(store::load, true);
    } else {
      try {
        loaded = Future.succeededFuture(store.load());
      } catch (RuntimeException e) {
        loaded = Future.failedFuture(e);
      }
    }
    return loaded.compose(state -> {
      KoraClient client = new KoraClient(vertx, context, options, state);
      Promise<KoraClient> started = Promise.promise();
      context.runOnContext(v -> {
        if (context.isEventLoopContext()) {
          client.owner = Thread.currentThread(); // a worker context's thread changes
        }
        client.connect();
        started.complete(client);
      });
      return started.future();
    });
  }

  /** @return this client's identity, the prefix of its write ids; kept by a durable local store */
  public String clientId() {
    return clientId;
  }

  /**
   * Merges a value at a path (docs/protocol.md, Mutations): {@code merge(Path.of("todos", "t1"),
   * new JsonObject().put("title", "milk"))}; a null leaf deletes.
   *
   * @return the version once durable at the node; see {@link #mutate}
   */
  public Future<Long> merge(Path path, Object value) {
    return mutate(Mutation.merge(path, value));
  }

  /**
   * Deletes the subtree at a path.
   *
   * @return the version once durable at the node; see {@link #mutate}
   */
  public Future<Long> delete(Path path) {
    return mutate(Mutation.delete(path));
  }

  /**
   * Applies a mutation to the local view at once, queues it and sends it when connected.
   *
   * @param mutation the mutation, e.g. {@code Mutation.fromJson(new JsonObject(
   *     "{\"merge\":{\"todos\":{\"t2\":{\"title\":\"bread\"}}}}"))}
   * @return the node's version once the write is durable there; fails with the node's code when it
   *     refuses the write (the local view then drops it), with {@code local_store_failed} when the
   *     outbox could not record it, with {@code client_closed} when the client closes first (the
   *     write stays queued in a durable store)
   */
  public Future<Long> mutate(Mutation mutation) {
    return onContext(() -> {
      if (status == ClientStatus.CLOSED) {
        return Future.failedFuture(new KoraException(ClientErrors.CLIENT_CLOSED,
            "the client is closed"));
      }
      long sequence = ++lastSequence;
      Outbox.Entry entry = outbox.add(sequence, clientId + ":" + sequence, mutation, null, false);
      Future<Long> result = entry.promise().future();
      for (CachedSubscription cached : subscriptions.values()) {
        Mutation part = mutation.restrictTo(cached.path);
        if (!part.isEmpty()) {
          cached.showOnTop(part);
          cached.tell(part, SubscriptionChange.Cause.LOCAL_WRITE, true, null);
        }
      }
      LocalStore.PendingWrite write = new LocalStore.PendingWrite(sequence, entry.id, mutation,
          null);
      persist(local -> local.enqueue(write)).onComplete(done -> {
        if (done.succeeded()) {
          entry.persisted = true;
          pump();
        } else {
          refuse(entry, new KoraException(ClientErrors.LOCAL_STORE_FAILED,
              "the local store could not queue the write: " + done.cause().getMessage()), false);
        }
      });
      return result;
    });
  }

  /**
   * Reads a path from the node; offline, from a subscription's cached copy that covers it (whole
   * reads only).
   *
   * @param path e.g. {@code Path.of("cities")}
   * @param queryOptions e.g. {@code new QueryOptions("a", null, 10, false)} or
   *     {@link QueryOptions#WHOLE}
   * @return the value at the path (JsonObject, leaf or null); fails with the node's code, or
   *     {@code offline} when not connected and no cached copy covers the read
   */
  public Future<Object> query(Path path, QueryOptions queryOptions) {
    return onContext(() -> {
      if (connection == null) {
        for (CachedSubscription cached : subscriptions.values()) {
          if (cached.path.contains(path) && cached.version >= 0 && queryOptions.isWhole()) {
            Object value = Tree.get(cached.view(outbox), path);
            return Future.succeededFuture(value instanceof JsonObject object ? object.copy()
                : value);
          }
        }
        return Future.failedFuture(new KoraException(ClientErrors.OFFLINE,
            "not connected to a node, and no subscription caches " + path));
      }
      return query(Query.of(path, queryOptions))
          .map(answer -> Tree.get(answer.getJsonObject("merge"), path));
    });
  }

  /**
   * Sends a query as it is and returns the node's answer.
   *
   * @param query several paths with options each
   * @return the answer: {@code {"merge": {...}, "delete": {...}, "version": V}}; fails with the
   *     node's code, {@code offline}, {@code timeout} or {@code disconnected}
   */
  public Future<JsonObject> query(Query query) {
    return call(Action.QUERY.wireName(Dialect.KORA), query.toJson()).map(body -> (JsonObject) body);
  }

  /**
   * Calls an action over the current connection, e.g. an application's {@code todo.login}.
   *
   * @param action the action name
   * @param body its body, any JSON value
   * @return the reply's body; fails with the node's code, {@code offline} when not connected,
   *     {@code timeout}, or {@code disconnected} when the connection drops first (the call is not
   *     sent again: it may or may not have run)
   */
  public Future<Object> call(String action, Object body) {
    return onContext(() -> {
      KoraConnection current = connection;
      if (current == null) {
        return Future.failedFuture(new KoraException(ClientErrors.OFFLINE,
            "not connected to a node"));
      }
      return withTimeout(current.call(action, body));
    });
  }

  /**
   * Subscribes to a path: the local copy is readable at once (cached data, possibly stale or empty
   * until {@link Subscription#synced}), and the listener gets every change from now on.
   *
   * @param path e.g. {@code Path.of("todos")}
   * @param listener gets each {@link SubscriptionChange}, on the client's context
   * @return the subscription
   */
  public Subscription subscribe(Path path, Handler<SubscriptionChange> listener) {
    return onContextNow(() -> {
      CachedSubscription cached = subscriptions.get(path);
      boolean fresh = cached == null;
      if (fresh) {
        cached = new CachedSubscription(path, new JsonObject(), -1);
        subscriptions.put(path, cached);
      }
      cached.listeners.add(listener);
      if ((fresh || !cached.answered) && connection != null) {
        resubscribe(cached, connection);
      }
      return new Subscription(this, cached, listener);
    });
  }

  Future<Void> unsubscribe(CachedSubscription cached, Handler<SubscriptionChange> listener) {
    return onContext(() -> {
      cached.listeners.remove(listener);
      if (!cached.listeners.isEmpty() || subscriptions.get(cached.path) != cached) {
        return Future.succeededFuture();
      }
      subscriptions.remove(cached.path);
      if (connection != null) {
        connection.call(Action.UNSUBSCRIBE.wireName(Dialect.KORA),
            Query.of(cached.path, QueryOptions.WHOLE).toJson());
      }
      return persist(local -> local.forget(cached.path));
    });
  }

  Object valueOf(CachedSubscription cached) {
    return onContextNow(() -> {
      Object value = cached.value(outbox);
      return value instanceof JsonObject object ? object.copy() : value;
    });
  }

  boolean pendingFor(CachedSubscription cached) {
    return onContextNow(() -> outbox.anyPendingFor(cached.path, cached.version));
  }

  Future<Void> syncedOf(CachedSubscription cached) {
    return onContext(() -> cached.synced.future());
  }

  /** @return where the client stands now */
  public ClientStatus status() {
    return onContextNow(() -> status);
  }

  /**
   * @return the node URL of the open connection, one of {@link KoraClientOptions#getUrls}; null
   *     while not connected (offline, between attempts, closed)
   */
  public String connectedUrl() {
    return onContextNow(() -> connectedUrl);
  }

  /**
   * @param handler gets every status change, on the client's context
   * @return this
   */
  public KoraClient statusHandler(Handler<ClientStatus> handler) {
    onContextNow(() -> statusHandlers.add(handler));
    return this;
  }

  /**
   * @return the queued writes, in order: not yet confirmed, or confirmed and not yet in every cached
   *     copy they touch
   */
  public List<LocalStore.PendingWrite> pendingWrites() {
    return onContextNow(() -> {
      List<LocalStore.PendingWrite> result = new ArrayList<>();
      for (Outbox.Entry entry : outbox.all()) {
        result.add(new LocalStore.PendingWrite(entry.sequence, entry.id, entry.mutation,
            entry.version));
      }
      return result;
    });
  }

  /**
   * @return completes once every write queued so far is confirmed or refused by the node (it waits
   *     through disconnections); never fails
   */
  public Future<Void> flush() {
    return onContext(() -> {
      List<Future<Long>> writes = new ArrayList<>();
      for (Outbox.Entry entry : outbox.all()) {
        if (entry.version == null) {
          writes.add(entry.promise().future());
        }
      }
      return Future.join(writes).transform(done -> Future.<Void>succeededFuture());
    });
  }

  /**
   * @return completes once every write made so far is in the local store's outbox (on disk, for a
   *     durable store): from then on it survives the application's end
   */
  public Future<Void> recorded() {
    return onContext(() -> storeQueue);
  }

  /**
   * Disconnects and stays offline until {@link #goOnline()}: reads come from the cache, writes
   * queue (as Firebase's {@code goOffline}).
   *
   * @return completes once disconnected
   */
  public Future<Void> goOffline() {
    return onContext(() -> {
      if (status == ClientStatus.CLOSED) {
        return Future.succeededFuture();
      }
      offline = true;
      vertx.cancelTimer(reconnectTimer);
      KoraConnection current = connection;
      if (current == null) {
        return Future.succeededFuture();
      }
      disconnected(current);
      return current.close();
    });
  }

  /**
   * Connects again after {@link #goOffline()}.
   *
   * @return completes at once; see {@link #statusHandler} for the connection
   */
  public Future<Void> goOnline() {
    return onContext(() -> {
      if (offline && status != ClientStatus.CLOSED) {
        offline = false;
        attempts = 0;
        urlRotation.restartRound();
        connect();
      }
      return Future.succeededFuture();
    });
  }

  /**
   * Closes the connection and the local store. Unconfirmed writes fail with {@code client_closed};
   * a durable store keeps them, and a client created on it later sends them.
   *
   * @return completes once the local store is closed
   */
  public Future<Void> close() {
    return onContext(() -> {
      if (status == ClientStatus.CLOSED) {
        return storeQueue;
      }
      setStatus(ClientStatus.CLOSED);
      vertx.cancelTimer(reconnectTimer);
      vertx.cancelTimer(retryTimer);
      vertx.cancelTimer(pingTimer);
      KoraConnection current = connection;
      connection = null;
      connectedUrl = null;
      if (current != null) {
        current.close();
      }
      for (Outbox.Entry entry : outbox.all()) {
        if (entry.version == null && entry.promise != null) {
          entry.promise.tryFail(new KoraException(ClientErrors.CLIENT_CLOSED,
              "the client closed before the node confirmed the write"));
        }
      }
      return persist(LocalStore::close);
    });
  }

  // ---- connection ----

  private void connect() {
    if (status == ClientStatus.CLOSED || offline || connection != null) {
      return;
    }
    String url = urlRotation.current();
    options.getHandshake().apply(KoraConnection.target(url))
        .compose(target -> KoraConnection.connect(vertx, target, options.getWebSocketOptions()))
        .onComplete(done -> {
          if (done.failed()) {
            attemptFailed();
          } else if (status == ClientStatus.CLOSED || offline) {
            done.result().close();
          } else {
            connected(done.result(), url);
          }
        });
  }

  /** The next URL at once, or, once every URL has failed in a row, after the backoff. */
  private void attemptFailed() {
    if (urlRotation.failed()) {
      scheduleReconnect();
    } else {
      context.runOnContext(v -> connect());
    }
  }

  private void connected(KoraConnection opened, String url) {
    attempts = 0;
    urlRotation.succeeded();
    connection = opened;
    connectedUrl = url;
    lastHeardMs = System.currentTimeMillis();
    opened.textHandler(text -> lastHeardMs = System.currentTimeMillis());
    opened.pushHandler(cast -> onPush(opened, cast));
    opened.closeHandler(code -> context.runOnContext(v -> disconnected(opened)));
    setStatus(ClientStatus.RESYNCING);
    for (CachedSubscription cached : subscriptions.values()) {
      cached.answered = false;
      resubscribe(cached, opened);
    }
    updateResyncStatus();
    schedulePing(opened);
    pump();
  }

  private void disconnected(KoraConnection closed) {
    if (connection != closed) {
      return;
    }
    connection = null;
    connectedUrl = null;
    vertx.cancelTimer(pingTimer);
    outbox.disconnected();
    for (CachedSubscription cached : subscriptions.values()) {
      cached.answered = false;
      if (cached.synced.future().isComplete()) {
        cached.synced = Promise.promise();
      }
    }
    if (status != ClientStatus.CLOSED) {
      if (!offline) {
        urlRotation.lost(); // not on purpose: the node or the network failed, try the next node
      }
      setStatus(ClientStatus.OFFLINE);
      scheduleReconnect();
    }
  }

  private void scheduleReconnect() {
    if (status == ClientStatus.CLOSED || offline) {
      return;
    }
    long delay = Math.min(options.getReconnectMaxDelayMs(),
        options.getReconnectInitialDelayMs() << Math.min(attempts, 20));
    long jittered = Math.max(1, delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1));
    attempts++;
    reconnectTimer = vertx.setTimer(jittered, id -> connect());
  }

  private void schedulePing(KoraConnection opened) {
    long interval = options.getPingIntervalMs();
    if (interval == 0) {
      return;
    }
    pingTimer = vertx.setTimer(interval, id -> {
      if (connection != opened) {
        return;
      }
      if (System.currentTimeMillis() - lastHeardMs >= 2 * interval) {
        opened.close(); // half-open: nothing heard for two intervals
        return;
      }
      opened.call(Action.PING.wireName(Dialect.KORA), null);
      schedulePing(opened);
    });
  }

  // ---- subscriptions ----

  private void resubscribe(CachedSubscription cached, KoraConnection on) {
    QueryOptions since = cached.version >= 0
        ? QueryOptions.WHOLE.withSince(cached.version) : QueryOptions.WHOLE;
    on.call(Action.SUBSCRIBE.wireName(Dialect.KORA), Query.of(cached.path, since).toJson())
        .onComplete(done -> {
          if (connection != on || subscriptions.get(cached.path) != cached) {
            return;
          }
          if (done.succeeded()) {
            answered(cached, (JsonObject) done.result(), cached.version < 0);
          } else if (done.cause() instanceof KoraException refused
              && ErrorCode.INVALID_QUERY.equals(refused.code()) && cached.version >= 0) {
            // The node is behind this copy (its store was restored from an older backup):
            // start over from its data.
            cached.version = -1;
            resubscribe(cached, on);
          } else if (!(done.cause() instanceof KoraException failed)
              || !KoraConnection.DISCONNECTED.equals(failed.code())) {
            on.close(); // a node that cannot answer a subscription: try again from the start
          }
        });
  }

  private void answered(CachedSubscription cached, JsonObject answer, boolean whole) {
    long version = answer.getLong("version");
    boolean reset = Boolean.TRUE.equals(answer.getValue("reset"));
    Mutation change = Mutation.of(answer.getJsonObject("merge"), answer.getJsonObject("delete"))
        .restrictTo(cached.path);
    if (cached.path.isRoot() && (whole || reset)) {
      change = Mutation.diff(cached.confirmed, answer.getJsonObject("merge"));
    }
    Mutation applied = change;
    update(cached, applied, version, reset ? SubscriptionChange.Cause.RESET
        : SubscriptionChange.Cause.ANSWER, true);
    cached.answered = true;
    cached.synced.tryComplete();
    settle();
    updateResyncStatus();
  }

  private void onPush(KoraConnection from, Frame.Cast cast) {
    if (connection != from || !(cast.body() instanceof JsonObject body)
        || !(body.getValue("version") instanceof Number number)) {
      return;
    }
    long version = number.longValue();
    Mutation mutation = Mutation.of(body.getJsonObject("merge", new JsonObject()),
        body.getJsonObject("delete", new JsonObject()));
    for (CachedSubscription cached : subscriptions.values()) {
      if (cached.answered && version > cached.version) {
        update(cached, mutation.restrictTo(cached.path), version, SubscriptionChange.Cause.PUSH,
            false);
      }
    }
    settle();
  }

  /**
   * Applies a confirmed change to a cached copy, records it, and tells the listeners what their
   * value did: the change itself when no pending write lies on top, else the difference of the
   * views before and after.
   */
  private void update(CachedSubscription cached, Mutation change, long version,
      SubscriptionChange.Cause cause, boolean alwaysRecord) {
    Outbox.Entry first = outbox.firstPendingFor(cached.path, cached.version);
    boolean pendingBefore = first != null;
    Mutation visible;
    if (pendingBefore && first.version != null && first.version == version
        && first.mutation.restrictTo(cached.path).equals(change)) {
      // The push of this client's own oldest pending write, as it was made: the confirmed data
      // catches up with what the view showed already, which stays as it is.
      change.applyTo(cached.confirmed);
      cached.version = version;
      visible = Mutation.empty();
    } else {
      JsonObject before = pendingBefore ? cached.view(outbox) : null;
      change.applyTo(cached.confirmed);
      cached.version = version;
      cached.invalidate();
      visible = pendingBefore ? Mutation.diff(before, cached.view(outbox)) : change;
    }
    if (!change.isEmpty() || alwaysRecord) {
      Path path = cached.path;
      persist(local -> local.apply(path, change, version));
    }
    if (!visible.isEmpty() || cause == SubscriptionChange.Cause.ANSWER
        || cause == SubscriptionChange.Cause.RESET) {
      cached.tell(visible, cause, outbox.anyPendingFor(cached.path, version), null);
    }
  }

  private void updateResyncStatus() {
    if (status != ClientStatus.RESYNCING) {
      return;
    }
    for (CachedSubscription cached : subscriptions.values()) {
      if (!cached.answered) {
        return;
      }
    }
    setStatus(ClientStatus.CONNECTED);
  }

  // ---- outbox ----

  private void pump() {
    KoraConnection current = connection;
    if (current == null || status == ClientStatus.CLOSED) {
      return;
    }
    long now = System.currentTimeMillis();
    Outbox.Entry entry;
    while ((entry = outbox.nextToSend(options.getMaxWritesInFlight(), now)) != null) {
      send(entry, current);
    }
    long retryAt = outbox.nextRetryMs();
    if (retryAt > now) {
      vertx.cancelTimer(retryTimer);
      retryTimer = vertx.setTimer(retryAt - now, id -> pump());
    }
  }

  private void send(Outbox.Entry entry, KoraConnection on) {
    outbox.sent(entry);
    // The wire form shares the mutation's trees: no copy, one encoding.
    JsonObject body = entry.mutation.wire().put("id", entry.id);
    if (!entry.sentBefore) {
      body.put("first", true); // never sent: the node need not look the id up
      entry.sentBefore = true;
    }
    on.callForText(MUTATION, body).onComplete(done -> {
      if (!entry.inFlight) {
        return; // the connection dropped and the write went back to the queue
      }
      outbox.returned(entry);
      KoraException failure;
      if (done.succeeded()) {
        long version = writeVersion(done.result());
        if (version >= 0) {
          confirmed(entry, version);
          pump();
          return;
        }
        failure = refusal(done.result());
      } else {
        failure = done.cause() instanceof KoraException known ? known
            : new KoraException(ErrorCode.INTERNAL, String.valueOf(done.cause().getMessage()));
      }
      if (PASSING_CODES.contains(failure.code())) {
        entry.failures++;
        long delay = Math.min(options.getReconnectMaxDelayMs(),
            options.getReconnectInitialDelayMs() << Math.min(entry.failures, 20));
        entry.notBeforeMs = System.currentTimeMillis() + delay;
      } else {
        refuse(entry, failure, true);
      }
      pump();
    });
  }

  /** @return the version of a write's reply, {@code {"type":"reply",...{"version":V}}}, or -1 */
  private static long writeVersion(String frame) {
    if (!frame.startsWith("{\"type\":\"reply\"")) {
      return -1;
    }
    int at = frame.indexOf("\"version\":");
    if (at < 0) {
      return -1;
    }
    long version = 0;
    int digits = 0;
    for (int i = at + 10; i < frame.length() && Character.isDigit(frame.charAt(i)); i++) {
      version = version * 10 + (frame.charAt(i) - '0');
      digits++;
    }
    return digits == 0 || digits > 18 ? -1 : version;
  }

  /** @return the failure an answer that is not a version reply stands for */
  private static KoraException refusal(String frame) {
    try {
      if (FrameCodec.decodeAnswer(frame) instanceof Frame.Error error) {
        return new KoraException(error.code(), error.message());
      }
    } catch (KoraException unreadable) {
      return unreadable;
    }
    return new KoraException(ErrorCode.INTERNAL, "the node answered a write with "
        + (frame.length() > 200 ? frame.substring(0, 200) + "..." : frame));
  }

  private void confirmed(Outbox.Entry entry, long version) {
    long sequence = entry.sequence;
    if (stillShownEverywhere(entry, version)) {
      // Every view keeps showing it until the copy reaches its version: nothing visible changes.
      outbox.confirm(entry, version);
      persist(local -> local.acknowledge(sequence, version));
      for (CachedSubscription cached : touchedBy(entry)) {
        cached.tell(Mutation.empty(), SubscriptionChange.Cause.WRITE_CONFIRMED, true, null);
      }
      entry.promise().tryComplete(version);
      settle();
      return;
    }
    changeVisibly(entry, () -> {
      outbox.confirm(entry, version);
      persist(local -> local.acknowledge(sequence, version));
    }, SubscriptionChange.Cause.WRITE_CONFIRMED, null);
    entry.promise().tryComplete(version);
    settle();
  }

  /** @return whether each copy the write touches is still behind {@code version} */
  private boolean stillShownEverywhere(Outbox.Entry entry, long version) {
    for (CachedSubscription cached : subscriptions.values()) {
      if (entry.touches(cached.path) && cached.version >= version) {
        return false;
      }
    }
    return true;
  }

  private void refuse(Outbox.Entry entry, KoraException failure, boolean recorded) {
    long sequence = entry.sequence;
    changeVisibly(entry, () -> {
      outbox.remove(entry);
      if (recorded) {
        persist(local -> local.remove(sequence));
      }
    }, SubscriptionChange.Cause.WRITE_REFUSED, failure.code());
    entry.promise().tryFail(failure);
  }

  /**
   * Changes a write's state and tells the subscriptions whose view showed it what their value did
   * (the difference of the views before and after).
   */
  private void changeVisibly(Outbox.Entry entry, Runnable change, SubscriptionChange.Cause cause,
      String errorCode) {
    List<CachedSubscription> touched = touchedBy(entry);
    List<JsonObject> before = new ArrayList<>(touched.size());
    for (CachedSubscription cached : touched) {
      before.add(cached.view(outbox));
    }
    change.run();
    for (int i = 0; i < touched.size(); i++) {
      CachedSubscription cached = touched.get(i);
      cached.invalidate();
      cached.tell(Mutation.diff(before.get(i), cached.view(outbox)), cause,
          outbox.anyPendingFor(cached.path, cached.version), errorCode);
    }
  }

  private List<CachedSubscription> touchedBy(Outbox.Entry entry) {
    List<CachedSubscription> touched = new ArrayList<>();
    for (CachedSubscription cached : subscriptions.values()) {
      if (entry.pendingFor(cached.path, cached.version)) {
        touched.add(cached);
      }
    }
    return touched;
  }

  /** Drops confirmed writes that every cached copy they touch already holds. */
  private void settle() {
    List<Outbox.Entry> settled = outbox.removeSettled(entry -> {
      for (CachedSubscription cached : subscriptions.values()) {
        if (entry.pendingFor(cached.path, cached.version)) {
          return false;
        }
      }
      return true;
    });
    for (Outbox.Entry entry : settled) {
      long sequence = entry.sequence;
      persist(local -> local.remove(sequence));
    }
  }

  // ---- plumbing ----

  private void setStatus(ClientStatus next) {
    if (status == next) {
      return;
    }
    status = next;
    for (Handler<ClientStatus> handler : List.copyOf(statusHandlers)) {
      handler.handle(next);
    }
  }

  /** Runs a local store call in order after the earlier ones, on a worker for a blocking store. */
  private Future<Void> persist(Consumer<LocalStore> call) {
    if (!store.blocking()) {
      try {
        call.accept(store);
        return Future.succeededFuture();
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    }
    Future<Void> done = context.executeBlocking(() -> {
      call.accept(store);
      return null;
    }, true);
    storeQueue = done.otherwiseEmpty().mapEmpty();
    return done;
  }

  private <T> Future<T> withTimeout(Future<T> call) {
    Promise<T> promise = Promise.promise();
    long timer = vertx.setTimer(options.getCallTimeoutMs(), id -> promise.tryFail(
        new KoraException(ClientErrors.TIMEOUT, "no answer within " + options.getCallTimeoutMs()
            + " ms")));
    call.onComplete(done -> {
      vertx.cancelTimer(timer);
      if (done.succeeded()) {
        promise.tryComplete(done.result());
      } else {
        promise.tryFail(done.cause());
      }
    });
    return promise.future();
  }

  private <T> Future<T> onContext(Supplier<Future<T>> work) {
    if (Vertx.currentContext() == context || Thread.currentThread() == owner) {
      return work.get();
    }
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> work.get().onComplete(promise));
    return promise.future();
  }

  <T> T onContextNow(Supplier<T> work) {
    // On the context's own thread (from another context sharing its event loop, too) the state is
    // confined to this thread already; waiting for the context there would wait forever.
    if (Vertx.currentContext() == context || Thread.currentThread() == owner) {
      return work.get();
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        result.complete(work.get());
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    });
    return result.join();
  }
}
