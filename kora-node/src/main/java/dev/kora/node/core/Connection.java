package dev.kora.node.core;

import dev.kora.interceptors.Identity;
import dev.kora.interceptors.Session;
import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A client connection as the node sees it, whatever the transport: its {@link Session}, where its
 * pushes go, the dialect they are named in, the subscriptions it holds and the reads it has in
 * progress, so that closing it removes every subscription and cancels every read (a client that has
 * gone holds no store cursor). A transport makes one per connection (a WebSocket, an SSE stream, a
 * REST request) and calls {@link #close()} when it ends.
 *
 * <p>Limits: at most {@link RequestLimits#maxReadsPerConnection()} reads (queries and subscribes) in
 * progress at once; a further one fails at once with {@code too_many_reads}, and nothing of it runs.
 *
 * <p>Order of replies and pushes: a subscribe's data is read after its registration, while writes go
 * on, so pushes of later commits may arrive before its answer. From a subscribe's call until the
 * transport has written its reply, the connection holds its pushes and hands them over, in commit
 * order, when the transport calls {@link #replied()}: the answer always comes before the pushes that
 * follow it. Confined to the node's context.
 */
public final class Connection {

  /** Most reads of one connection waiting for one of its running reads to end. */
  public static final int MAX_WAITING_READS = 1_024;


  private final NodeCore node;
  private final Session session;
  /** The transport's receiver of pushes, or null when it cannot push. */
  private final Subscriber transport;
  /** What the node's registry holds for this connection: holds pushes while a subscribe runs. */
  private final Subscriber pushes;
  /** Subscribed paths with how often each was subscribed. */
  private final Map<Path, Integer> subscriptions = new HashMap<>();
  /**
   * Paths of the subscribes in progress, with how often each is being subscribed; null while none
   * runs. This one and the next two are made when first needed and dropped once empty: an idle
   * connection holds none of them (kora bench connections --histogram).
   */
  private Map<Path, Integer> subscribing;
  /** The reads in progress; null while none is. */
  private Set<Cancellation> reads;
  /** Reads waiting for one of the running ones to end, in arrival order; null while none waits. */
  private ArrayDeque<Runnable> waiting;
  /** Subscribes whose answer is not known yet. */
  private int subscribesRunning;
  /** Pushes held until the reply of a subscribe is written; null when none is held. */
  private ArrayDeque<CommittedPart> held;
  private Dialect dialect = Dialect.RIPTIDE;
  private boolean closed;
  /** Mutations sent through {@link #mutate} and not answered yet. */
  private int pendingWrites;
  private Consumer<Boolean> writesFull = full -> { };
  /** What ends the connection when its token expires; closes it unless the transport says more. */
  private Runnable expired = this::close;
  /** The timer of the token's expiry, or -1. */
  private long expiryTimer = -1;
  /** What the connection has used of its rate limits. */
  private RateLimits.Meter meter = RateLimits.Meter.UNLIMITED;

  /**
   * @param node the node
   * @param session the connection's session
   * @param subscriber where its pushes go, or null for a transport that cannot push: its queries
   *     then read without subscribing
   */
  public Connection(NodeCore node, Session session, Subscriber subscriber) {
    this.node = node;
    this.session = session;
    this.transport = subscriber;
    this.pushes = subscriber == null ? null : new Subscriber() {
      @Override
      public void push(CommittedPart part) {
        deliver(part);
      }

      @Override
      public void reset() {
        transport.reset();
      }

      @Override
      public Session session() {
        return session;
      }
    };
    watchExpiry();
  }

  /**
   * Authenticates the connection with a token ({@code kora.auth}), replacing an earlier identity; the
   * connection ends when the new token expires instead.
   *
   * @param token the client's token
   * @return who it says the client is; fails as {@link Authentication#authenticate}, leaving the
   *     session as it was
   */
  public Future<Identity> authenticate(String token) {
    return node.authentication().authenticate(token).onSuccess(identity -> {
      if (!closed) {
        session.authenticate(identity);
        watchExpiry();
      }
    });
  }

  /**
   * @param meter the connection's meter of the node's rate limits
   *     ({@link RateLimits#meter(String)}); closed with the connection
   */
  public void meter(RateLimits.Meter meter) {
    this.meter = meter;
  }

  /**
   * Counts a request against the rate limits before it runs.
   *
   * @param action the action's name, e.g. {@code kora.mutation}
   * @param size the request's size in bytes (a message's characters)
   * @return null when it may run, else the {@code rate_limited} refusal to answer it with
   */
  public KoraException admit(String action, long size) {
    if (meter == RateLimits.Meter.UNLIMITED) {
      return null;
    }
    return meter.admit(Action.of(action) == Action.MUTATION, size);
  }

  /** @return whether the connection was refused by the rate limits so often in a row it floods */
  public boolean flooding() {
    return meter.flooding();
  }

  /**
   * @param handler what ends the connection when its token expires (a WebSocket is closed with
   *     status 4001, an event stream ends); it must end with {@link #close()}
   */
  public void onExpired(Runnable handler) {
    this.expired = handler;
  }

  /** (Re)starts the timer of the session's token expiry, if it has one. */
  private void watchExpiry() {
    if (expiryTimer >= 0) {
      node.context().owner().cancelTimer(expiryTimer);
      expiryTimer = -1;
    }
    long expiresAtMs = session.expiresAtMs();
    if (expiresAtMs <= 0 || closed) {
      return;
    }
    long delayMs = Math.max(1, expiresAtMs - System.currentTimeMillis());
    expiryTimer = node.context().owner().setTimer(delayMs, id -> {
      expiryTimer = -1;
      if (!closed && session.expiresAtMs() == expiresAtMs) {
        expired.run();
      }
    });
  }

  /** @return the connection's session */
  public Session session() {
    return session;
  }

  /** @return the node it is connected to */
  public NodeCore node() {
    return node;
  }

  /** @return whether it can receive pushes */
  public boolean canSubscribe() {
    return transport != null;
  }

  /** @return the dialect of its latest subscribing call, {@code riptide} until one is made */
  public Dialect dialect() {
    return dialect;
  }

  /** @return whether it holds at least one subscription (one whose subscribing read has answered) */
  public boolean hasSubscriptions() {
    return !subscriptions.isEmpty();
  }

  /** @return whether {@link #close()} was called */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Answers a query without subscribing ({@link NodeCore#read(Query, Session, Cancellation)}),
   * cancelled if the connection closes first.
   *
   * @param query the query
   * @return the answer; waits while the connection has {@code maxReadsPerConnection} reads in
   *     progress; fails with {@code too_many_reads} when {@value #MAX_WAITING_READS} more wait
   *     already, {@code closed} once it is closed, or the node's codes
   */
  public Future<JsonObject> read(Query query) {
    return whenAdmitted(cancellation -> node.read(query, session, cancellation)
        .andThen(done -> finished(cancellation)));
  }

  /**
   * Writes a mutation on behalf of this connection ({@link NodeCore#mutate}), counting it among the
   * connection's pending writes until it is answered.
   *
   * @param request the mutation and its id (or null)
   * @return as {@link NodeCore#mutate(MutationRequest, Session)}
   */
  public Future<Long> mutate(MutationRequest request) {
    Future<Long> result = node.mutate(request, session);
    if (result.isComplete()) {
      return result;
    }
    int max = node.limits().maxPendingWritesPerConnection();
    if (++pendingWrites == max) {
      writesFull.accept(true);
    }
    result.onComplete(done -> {
      if (pendingWrites-- == max) {
        writesFull.accept(false);
      }
    });
    return result;
  }

  /**
   * Lets the transport hold back the connection's requests while too many of its writes wait, so
   * that one client cannot fill the node's shared write queue.
   *
   * @param handler called with {@code true} when {@link RequestLimits#maxPendingWritesPerConnection}
   *     of the connection's mutations wait for their commit (stop reading the connection), and with
   *     {@code false} once one of them is answered (read again)
   */
  public void onWritesFull(Consumer<Boolean> handler) {
    this.writesFull = handler;
  }

  /** @return how many of the connection's mutations wait for their answer */
  public int pendingWrites() {
    return pendingWrites;
  }

  /**
   * Subscribes the entries of a query that say {@code subscribe} and reads all of it
   * ({@link NodeCore#subscribe(Query, Subscriber, Cancellation)}); its pushes will be named in
   * {@code dialect}. A subscribe that fails leaves no subscription and delivers no push of its paths.
   *
   * @param query the query
   * @param dialect the dialect of the call
   * @return the answer; fails as {@link #read(Query)}
   * @throws IllegalStateException when the connection cannot receive pushes
   */
  public Future<JsonObject> subscribe(Query query, Dialect dialect) {
    if (transport == null) {
      throw new IllegalStateException("this connection cannot receive pushes");
    }
    return whenAdmitted(cancellation -> startSubscribe(query, dialect, cancellation));
  }

  private Future<JsonObject> startSubscribe(Query query, Dialect dialect,
      Cancellation cancellation) {
    this.dialect = dialect;
    List<Path> paths = new ArrayList<>();
    for (Query.Entry entry : query.entries()) {
      if (entry.options().subscribe()) {
        paths.add(entry.path());
        if (subscribing == null) {
          subscribing = new HashMap<>();
        }
        subscribing.merge(entry.path(), 1, Integer::sum);
      }
    }
    subscribesRunning++;
    if (held == null) {
      held = new ArrayDeque<>();
    }
    return node.subscribe(query, pushes, cancellation).andThen(done -> {
      finished(cancellation);
      subscribesRunning--;
      if (subscribing != null) {
        paths.forEach(path -> subtract(subscribing, path));
        if (subscribing.isEmpty()) {
          subscribing = null;
        }
      }
      if (done.failed()) {
        // the node undid the registration: drop what was held for these paths
        restrictHeld();
      } else if (closed) {
        // closed just as the answer arrived: undo what the node registered
        node.unsubscribe(paths, pushes);
      } else {
        paths.forEach(path -> subscriptions.merge(path, 1, Integer::sum));
      }
    });
  }

  /**
   * Tells the connection that the transport wrote the reply (or error) of a call: once no subscribe
   * is in progress, the pushes held meanwhile go to the transport, in commit order. Transports that
   * can push call it after writing each reply.
   */
  public void replied() {
    if (held == null || subscribesRunning > 0) {
      return;
    }
    ArrayDeque<CommittedPart> release = held;
    held = null;
    for (CommittedPart part : release) {
      if (closed) {
        return;
      }
      transport.push(part);
    }
  }

  /**
   * Removes one subscription per path of the query that this connection holds; other paths are
   * ignored.
   *
   * @param query the paths
   */
  public void unsubscribe(Query query) {
    List<Path> removed = new ArrayList<>();
    for (Query.Entry entry : query.entries()) {
      if (subtract(subscriptions, entry.path())) {
        removed.add(entry.path());
      }
    }
    if (!removed.isEmpty()) {
      node.unsubscribe(removed, pushes);
    }
  }

  /**
   * Cancels the reads in progress, drops every subscription of the connection and the pushes held;
   * later pushes and calls are ignored. Idempotent.
   */
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    held = null;
    if (expiryTimer >= 0) {
      node.context().owner().cancelTimer(expiryTimer);
      expiryTimer = -1;
    }
    meter.close();
    if (reads != null) {
      for (Cancellation read : new ArrayList<>(reads)) {
        read.cancel();
      }
    }
    // waiting reads start, find the connection closed and fail with closed
    List<Runnable> queued = waiting == null ? List.of() : new ArrayList<>(waiting);
    waiting = null;
    queued.forEach(Runnable::run);
    if (pushes == null || subscriptions.isEmpty()) {
      return;
    }
    List<Path> all = new ArrayList<>();
    subscriptions.forEach((path, count) -> {
      for (int i = 0; i < count; i++) {
        all.add(path);
      }
    });
    subscriptions.clear();
    node.unsubscribe(all, pushes);
  }

  private void deliver(CommittedPart part) {
    if (closed) {
      return;
    }
    if (held != null) {
      held.add(part);
    } else {
      transport.push(part);
    }
  }

  /**
   * Starts a read now when fewer than {@code maxReadsPerConnection} run, else queues it behind the
   * others of this connection (in order); beyond {@value #MAX_WAITING_READS} waiting ones it is
   * refused with {@code too_many_reads}.
   */
  private <T> Future<T> whenAdmitted(Function<Cancellation, Future<T>> read) {
    if (closed) {
      return Future.failedFuture(new KoraException(ErrorCode.CLOSED, "the connection is closed"));
    }
    int running = reads == null ? 0 : reads.size();
    if (running < node.limits().maxReadsPerConnection()) {
      Cancellation cancellation = new Cancellation();
      if (reads == null) {
        reads = new HashSet<>();
      }
      reads.add(cancellation);
      return read.apply(cancellation);
    }
    int queued = waiting == null ? 0 : waiting.size();
    if (queued >= MAX_WAITING_READS) {
      return Future.failedFuture(new KoraException(ErrorCode.TOO_MANY_READS, "this connection"
          + " has " + running + " reads in progress (maxReadsPerConnection) and "
          + queued + " waiting, the most allowed; wait for an answer before sending"
          + " another query or subscribe"));
    }
    Promise<T> started = Promise.promise();
    if (waiting == null) {
      waiting = new ArrayDeque<>();
    }
    waiting.add(() -> whenAdmitted(read).onComplete(started));
    return started.future();
  }

  /** A read ended: the next waiting one may start. */
  private void finished(Cancellation cancellation) {
    if (reads != null) {
      reads.remove(cancellation);
      if (reads.isEmpty()) {
        reads = null;
      }
    }
    Runnable next = waiting == null ? null : waiting.poll();
    if (waiting != null && waiting.isEmpty()) {
      waiting = null;
    }
    if (next != null) {
      next.run();
    }
  }

  /** Restricts the held pushes to the paths still subscribed or being subscribed. */
  private void restrictHeld() {
    if (held == null || held.isEmpty()) {
      return;
    }
    Set<Path> kept = new HashSet<>(subscriptions.keySet());
    if (subscribing != null) {
      kept.addAll(subscribing.keySet());
    }
    ArrayDeque<CommittedPart> restricted = new ArrayDeque<>(held.size());
    for (CommittedPart part : held) {
      Mutation mutation = Mutation.empty();
      for (Path path : kept) {
        mutation = mutation.combine(part.mutation().restrictTo(path));
      }
      if (!mutation.isEmpty()) {
        restricted.add(mutation.equals(part.mutation()) ? part
            : new CommittedPart(mutation, part.version()));
      }
    }
    held = restricted;
  }

  /** @return whether the path was counted; removes its entry when the count drops to 0 */
  private static boolean subtract(Map<Path, Integer> counts, Path path) {
    Integer count = counts.get(path);
    if (count == null) {
      return false;
    }
    if (count == 1) {
      counts.remove(path);
    } else {
      counts.put(path, count - 1);
    }
    return true;
  }
}
