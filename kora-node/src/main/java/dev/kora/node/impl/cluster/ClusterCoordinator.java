package dev.kora.node.impl.cluster;

import dev.kora.node.core.NodeMetrics;
import dev.kora.node.impl.write.MutationIds;
import dev.kora.node.impl.write.Sequencer;
import dev.kora.node.spi.CommittedBefore;
import dev.kora.node.spi.WriteCoordinator;
import dev.kora.storage.Fence;
import dev.kora.storage.Store;
import dev.kora.storage.TreeReader;
import dev.kora.storage.changelog.ChangeLog;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A clustered node's {@link WriteCoordinator}: one commit order for every member of the cluster.
 *
 * <p>One member, the leader, orders and commits every write: it runs the local {@link Sequencer}
 * (versions, change log, group commit) on the shared store. Every other member forwards the writes
 * it receives (after its interceptors ran: they run once, on the member the client talks to) to the
 * leader over the event bus and answers its client once the leader has committed the write and this
 * member has pushed it to its own subscribers ({@link ClusterFeed}). Which member leads is decided by
 * {@link ClusterMembers} (the oldest member of a quorum); what keeps it safe is the store's fence:
 * a member that takes over raises the epoch row {@code kora:cluster/epoch} in one fenced transaction
 * and fences its own store on the new value, so that any write of an earlier leader that is still
 * under way — cut off, paused, unaware — fails with {@code fenced} and writes nothing. Two members
 * can therefore never both commit: the database serializes the takeover with every commit.
 *
 * <p>Subscribing reads need a point with no write in flight ({@link #barrier}); on a member that
 * does not lead, the leader holds its sequencer still between two commits, tells the member the
 * version it reached, and waits until the member has opened its reads at that version (the member
 * first waits until its feed has delivered that version).
 *
 * <p>Confined to the node's context.
 */
public final class ClusterCoordinator implements WriteCoordinator {

  private static final System.Logger LOG = System.getLogger(ClusterCoordinator.class.getName());
  /** How often an idle leader tells the members its version, ms (so lost batches are noticed). */
  private static final long HEARTBEAT_MS = 1_000;
  /** How long a node that should lead waits before it takes over again, ms. */
  static final long RETAKE_DELAY_MS = 500;

  /** The settings a coordinator needs from the node's options. */
  public record Settings(int clusterSize, long timeoutMs, int maxBatch, int maxPending) {
  }

  private enum Role { FOLLOWER, TAKING_OVER, LEADER }

  /** Most writes forwarded to the leader in one message. */
  private static final int MAX_FORWARDED = 512;

  /** A write waiting to be forwarded to the leader with the others of its event-loop task. */
  private record Forward(Mutation mutation, String id, boolean resend, Promise<Long> promise) {
  }

  private final Vertx vertx;
  private final Context context;
  private final Store store;
  private final NodeMetrics metrics;
  private final Settings settings;
  private final ClusterMembers members;
  private final ClusterFeed feed;
  private final List<CommitBatch.Commit> unpublished = new ArrayList<>();
  private final List<Runnable> orphanListeners = new ArrayList<>();
  private final MutationIds ids;
  /** Writes to forward to the leader at the end of this event-loop task, in order. */
  private final List<Forward> forwards = new ArrayList<>();
  private boolean forwardScheduled;
  private Role role = Role.FOLLOWER;
  private Sequencer sequencer;
  private long epoch;
  private long published;
  private boolean flushScheduled;
  private boolean closed;
  private int forwarding;
  private Promise<Void> forwardsDone;
  private MessageConsumer<JsonObject> memberConsumer;
  private MessageConsumer<Buffer> commitsConsumer;
  private long heartbeat = -1;
  private Set<String> lastMembers = Set.of();

  /**
   * @param vertx the clustered Vert.x instance
   * @param context the node's context
   * @param store the store the members share; must support fences
   * @param members the cluster's members as this node sees them
   * @param feed this node's commit feed
   * @param settings cluster size, timeouts and the sequencer's limits
   * @param metrics the node's metrics
   */
  ClusterCoordinator(Vertx vertx, Context context, Store store, ClusterMembers members,
      ClusterFeed feed, Settings settings, NodeMetrics metrics) {
    this.vertx = vertx;
    this.context = context;
    this.store = store;
    this.members = members;
    this.feed = feed;
    this.settings = settings;
    this.metrics = metrics;
    this.ids = new MutationIds(store);
    metrics.gauge("kora.cluster.members", "Cluster members this node sees", () -> members
        .members().size());
    metrics.gauge("kora.cluster.leader", "1 while this node leads the cluster, else 0",
        () -> role == Role.LEADER ? 1 : 0);
    metrics.gauge("kora.cluster.quorum", "1 while this node sees a quorum of the cluster's"
        + " members (it can have writes ordered), else 0", () -> members.leader() == null ? 0 : 1);
  }

  /**
   * Takes requests and batches from the other members and starts following the member list.
   *
   * @return completes once this member's addresses are known to the cluster
   */
  Future<Void> start() {
    memberConsumer = vertx.eventBus().consumer(ClusterAddresses.member(members.self()),
        this::onRequest);
    commitsConsumer = vertx.eventBus().consumer(ClusterAddresses.COMMITS, message -> {
      if (!closed && role != Role.LEADER) {
        feed.received(CommitBatch.fromBuffer(message.body()));
      }
    });
    heartbeat = vertx.setPeriodic(HEARTBEAT_MS, id -> {
      if (role == Role.LEADER && unpublished.isEmpty()) {
        publish(new CommitBatch(published, List.of()));
      }
    });
    return Future.all(memberConsumer.completion(), commitsConsumer.completion())
        .onSuccess(ok -> members.start(this::membershipChanged)).mapEmpty();
  }

  /** @param listener called on the leader when a member left, so leases it held may be orphaned */
  void onOrphans(Runnable listener) {
    orphanListeners.add(listener);
  }

  /** @return this member's id */
  String self() {
    return members.self();
  }

  /** @return the members as this node sees them */
  List<String> members() {
    return members.members();
  }

  @Override
  public long version() {
    return feed.delivered();
  }

  @Override
  public Future<Void> reached(long version) {
    return feed.await(version, settings.timeoutMs()).otherwiseEmpty();
  }

  @Override
  public boolean ordersWrites() {
    return role == Role.LEADER;
  }

  @Override
  public Future<Long> submit(Mutation mutation, String id) {
    return submit(mutation, id, false);
  }

  @Override
  public Future<Long> submit(Mutation mutation, String id, boolean resend) {
    if (closed) {
      return Future.failedFuture(new KoraException(ErrorCode.CLOSED, "the node is closing"));
    }
    if (role == Role.LEADER) {
      return order(mutation, id, resend);
    }
    return forward(mutation, id, resend);
  }

  /**
   * Commits a mutation on the leader, once per id: every mutation with an id is checked against
   * the ids in flight and committed lately on this leader (whichever member the client sent it
   * to), and a resend also against the store, where earlier leaders' commits are; a duplicate fails
   * with {@link CommittedBefore}.
   */
  private Future<Long> order(Mutation mutation, String id, boolean resend) {
    if (id == null) {
      return sequence(mutation, null);
    }
    Future<Long> running = ids.inFlight(id);
    if (running != null) {
      return running.compose(version -> Future.failedFuture(new CommittedBefore(id, version)));
    }
    Long remembered = ids.remembered(id);
    if (remembered != null) {
      return Future.failedFuture(new CommittedBefore(id, remembered));
    }
    Future<Long> write = resend
        ? ids.committed(id).compose(version -> version != null
            ? Future.failedFuture(new CommittedBefore(id, version))
            : sequence(mutation, id))
        : sequence(mutation, id);
    return ids.track(id, write, true);
  }

  /** Hands a mutation to this leader's sequencer, unless this node stopped leading meanwhile. */
  private Future<Long> sequence(Mutation mutation, String id) {
    if (role != Role.LEADER || sequencer == null) {
      return Future.failedFuture(new KoraException(ErrorCode.CLUSTER_UNAVAILABLE, "this node"
          + " stopped leading the cluster while the write waited; nothing was written"));
    }
    return sequencer.submit(mutation, id).recover(this::leaderFailure);
  }

  @Override
  public <T> Future<T> barrier(Supplier<Future<T>> operation) {
    if (closed) {
      return Future.failedFuture(new KoraException(ErrorCode.CLOSED, "the node is closing"));
    }
    if (role == Role.LEADER) {
      return sequencer.barrier(operation);
    }
    String leader = members.leader();
    KoraException unavailable = unavailable(leader);
    if (unavailable != null) {
      return Future.failedFuture(unavailable);
    }
    return ask(leader, new JsonObject().put("op", "barrier"), false)
        .compose(held -> {
          long version = held.body().getLong("version");
          Future<T> result = feed.await(version, settings.timeoutMs())
              .recover(failure -> Future.failedFuture(new KoraException(
                  ErrorCode.CLUSTER_UNAVAILABLE, "this node did not receive the leader's commits"
                  + " up to version " + version + " in time: " + failure.getMessage())))
              .compose(reached -> run(operation));
          // The leader waits for this answer before it commits again.
          result.onComplete(done -> held.reply(new JsonObject()));
          return result;
        });
  }

  @Override
  public void close() {
    closed = true;
    members.stop();
    if (heartbeat >= 0) {
      vertx.cancelTimer(heartbeat);
    }
    if (sequencer != null) {
      sequencer.close();
    }
  }

  @Override
  public Future<Void> drain() {
    Future<Void> sequenced = sequencer == null ? Future.succeededFuture() : sequencer.drain();
    Future<Void> forwarded;
    if (forwarding == 0) {
      forwarded = Future.succeededFuture();
    } else {
      if (forwardsDone == null) {
        forwardsDone = Promise.promise();
      }
      forwarded = forwardsDone.future();
    }
    return Future.all(sequenced, forwarded).compose(done -> {
      List<Future<Void>> unregistered = new ArrayList<>();
      if (memberConsumer != null) {
        unregistered.add(memberConsumer.unregister());
      }
      if (commitsConsumer != null) {
        unregistered.add(commitsConsumer.unregister());
      }
      return Future.join(unregistered).<Void>mapEmpty().otherwiseEmpty();
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Leadership

  private void membershipChanged(List<String> now, String leader) {
    Set<String> current = new HashSet<>(now);
    boolean someoneLeft = !current.containsAll(lastMembers);
    lastMembers = current;
    LOG.log(System.Logger.Level.INFO, "cluster: " + now.size() + " members " + now
        + (leader == null ? ", no quorum (" + members.quorum() + " needed): writes are refused"
        : ", leader " + leader + (leader.equals(members.self()) ? " (this node)" : "")));
    if (closed) {
      return;
    }
    if (members.self().equals(leader)) {
      if (role == Role.FOLLOWER) {
        takeOver();
      } else if (role == Role.LEADER && someoneLeft) {
        orphanListeners.forEach(Runnable::run);
      }
    } else if (role == Role.LEADER) {
      stepDown(leader == null ? "this node lost the quorum" : "member " + leader + " leads now");
    }
  }

  /**
   * Becomes the leader: raises the epoch in one fenced transaction (so every earlier leader's
   * later writes fail), fences this node's store on it, delivers every commit up to the store's
   * version, and starts a sequencer from there.
   */
  private void takeOver() {
    role = Role.TAKING_OVER;
    TreeReader.read(store, ClusterAddresses.EPOCH, QueryOptions.WHOLE).compose(stored -> {
      Long before = stored instanceof Number number ? number.longValue() : null;
      long next = before == null ? 1 : before + 1;
      store.fence(new Fence(ClusterAddresses.EPOCH, before == null ? null
          : String.valueOf(before)));
      Mutation raise = Mutation.fromFlat(List.of(), List.of(
          new LeafWrite(ClusterAddresses.EPOCH, next),
          new LeafWrite(ClusterAddresses.LEADER, members.self())));
      return store.write(List.of(raise)).map(written -> {
        store.fence(new Fence(ClusterAddresses.EPOCH, String.valueOf(next)));
        return next;
      });
    }).compose(raised -> ChangeLog.counters(store).compose(counters -> {
      feed.catchUp(counters.version());
      return feed.await(counters.version(), settings.timeoutMs())
          .map(reached -> new long[] {raised, counters.version()});
    })).onComplete(done -> {
      if (done.failed()) {
        role = Role.FOLLOWER;
        LOG.log(System.Logger.Level.WARNING, "cluster: taking over as leader failed: "
            + done.cause());
        retakeLater();
        return;
      }
      epoch = done.result()[0];
      long version = done.result()[1];
      if (closed || !members.self().equals(members.leader())) {
        role = Role.FOLLOWER;
        return;
      }
      sequencer = new Sequencer(context, store, this::committed, settings.maxBatch(),
          settings.maxPending(), version, true, metrics);
      published = version;
      role = Role.LEADER;
      LOG.log(System.Logger.Level.INFO, "cluster: this node leads with epoch " + epoch
          + " from version " + version);
      publish(new CommitBatch(published, List.of()));
      orphanListeners.forEach(Runnable::run);
    });
  }

  /**
   * Takes over again after {@value #RETAKE_DELAY_MS} ms if this node is then still the designated
   * leader and not leading: after a failed takeover, and after its store refused a write with
   * {@code fenced} while membership still names it (another member that briefly believed it led
   * took the store, or — on Cassandra — the store cannot tell the outcome of a write and refuses
   * writes until it is fenced anew, which the takeover does).
   */
  private void retakeLater() {
    vertx.setTimer(RETAKE_DELAY_MS, id -> context.runOnContext(v -> {
      if (!closed && role == Role.FOLLOWER && members.self().equals(members.leader())) {
        takeOver();
      }
    }));
  }

  private void stepDown(String reason) {
    LOG.log(System.Logger.Level.WARNING, "cluster: this node no longer leads: " + reason);
    role = Role.FOLLOWER;
    if (sequencer != null) {
      Sequencer stopping = sequencer;
      sequencer = null;
      stopping.close();
    }
  }

  /** A leader's write failed: when fenced, a newer leader exists, so this node steps down. */
  private Future<Long> leaderFailure(Throwable failure) {
    if (failure instanceof KoraException kora && ErrorCode.FENCED.equals(kora.code())) {
      if (role == Role.LEADER) {
        stepDown("another member took the store over, or it refuses this node's writes (epoch "
            + epoch + " is fenced off)");
        retakeLater();
      }
      // The store's message says whether anything was written: a SQL store rolled the write
      // back; Cassandra may not know the outcome of its decision, which the next leader completes.
      return Future.failedFuture(new KoraException(ErrorCode.CLUSTER_UNAVAILABLE,
          "the cluster's leader changed while the write was committed (" + kora.getMessage()
          + "); resend it with the same id to learn its outcome", failure));
    }
    return Future.failedFuture(failure);
  }

  // ---------------------------------------------------------------------------------------------
  // The leader's side

  /** The sequencer's listener: delivers a commit here and queues it for the other members. */
  private void committed(Mutation mutation, long version) {
    feed.deliver(mutation, version);
    unpublished.add(new CommitBatch.Commit(version, mutation));
    if (!flushScheduled) {
      flushScheduled = true;
      context.runOnContext(v -> {
        flushScheduled = false;
        if (unpublished.isEmpty()) {
          return;
        }
        List<CommitBatch.Commit> commits = new ArrayList<>(unpublished);
        unpublished.clear();
        long previous = published;
        published = commits.get(commits.size() - 1).version();
        publish(new CommitBatch(previous, commits));
      });
    }
  }

  private void publish(CommitBatch batch) {
    vertx.eventBus().publish(ClusterAddresses.COMMITS, batch.toBuffer());
  }

  private void onRequest(Message<JsonObject> message) {
    JsonObject body = message.body();
    if (closed || role != Role.LEADER) {
      message.reply(error(ErrorCode.CLUSTER_UNAVAILABLE, "member " + members.self()
          + " does not lead the cluster (any more)"));
      return;
    }
    switch (body.getString("op", "")) {
      case "writes" -> orderForwarded(message, body.getJsonArray("writes"));
      case "barrier" -> sequencer.barrier(() -> {
        DeliveryOptions options = new DeliveryOptions().setSendTimeout(settings.timeoutMs());
        return message.replyAndRequest(new JsonObject().put("version", feed.delivered()), options)
            .<Void>mapEmpty().otherwiseEmpty();
      });
      default -> message.reply(error(ErrorCode.INVALID_MESSAGE, "unknown cluster request"));
    }
  }

  /**
   * Orders a group of forwarded writes, in their order, and answers
   * {@code {"results": [{"version": 42}, {"version": 40, "before": true}, {"error": ..., "message":
   * ...}]}}, one result per write, once every one is settled.
   */
  private void orderForwarded(Message<JsonObject> message, JsonArray writes) {
    List<Future<Long>> outcomes = new ArrayList<>(writes.size());
    for (int i = 0; i < writes.size(); i++) {
      JsonObject write = writes.getJsonObject(i);
      Mutation mutation;
      try {
        mutation = Mutation.fromJson(write.getJsonObject("mutation"));
      } catch (RuntimeException e) {
        outcomes.add(Future.failedFuture(new KoraException(ErrorCode.INVALID_MUTATION,
            "a forwarded mutation did not decode: " + e.getMessage())));
        continue;
      }
      outcomes.add(order(mutation, write.getString("id"), write.getBoolean("resend", false)));
    }
    Future.join(outcomes).onComplete(settled -> {
      JsonArray results = new JsonArray(new ArrayList<>(outcomes.size()));
      for (Future<Long> outcome : outcomes) {
        if (outcome.succeeded()) {
          results.add(new JsonObject().put("version", outcome.result()));
        } else if (outcome.cause() instanceof CommittedBefore before) {
          results.add(new JsonObject().put("version", before.version()).put("before", true));
        } else {
          results.add(error(outcome.cause()));
        }
      }
      message.reply(new JsonObject().put("results", results));
    });
  }

  // ---------------------------------------------------------------------------------------------
  // A member's side

  private Future<Long> forward(Mutation mutation, String id, boolean resend) {
    KoraException unavailable = unavailable(members.leader());
    if (unavailable != null) {
      return Future.failedFuture(unavailable);
    }
    Promise<Long> promise = Promise.promise();
    forwards.add(new Forward(mutation, id, resend, promise));
    forwarding++;
    if (!forwardScheduled) {
      forwardScheduled = true;
      context.runOnContext(v -> sendForwards());
    }
    return promise.future().andThen(done -> {
      forwarding--;
      if (forwarding == 0 && forwardsDone != null) {
        forwardsDone.tryComplete();
      }
    });
  }

  /**
   * Sends the writes forwarded during the last event-loop task to the leader, in order, up to
   * {@value #MAX_FORWARDED} per message (as group commit batches a store's writes, this batches the
   * event bus's messages: one request, one answer and one wait for the commits' batch per group),
   * and completes each write's future with its outcome once this member has received the commits.
   */
  private void sendForwards() {
    forwardScheduled = false;
    while (!forwards.isEmpty()) {
      int size = Math.min(forwards.size(), MAX_FORWARDED);
      List<Forward> group = new ArrayList<>(forwards.subList(0, size));
      forwards.subList(0, size).clear();
      sendForwards(group);
    }
  }

  private void sendForwards(List<Forward> group) {
    String leader = members.leader();
    KoraException unavailable = unavailable(leader);
    if (unavailable != null) {
      group.forEach(forward -> forward.promise().fail(unavailable));
      return;
    }
    JsonArray writes = new JsonArray(new ArrayList<>(group.size()));
    for (Forward forward : group) {
      // the mutation's trees as they are (immutable), encoded once when the message is sent
      JsonObject write = new JsonObject().put("mutation", forward.mutation().wire());
      if (forward.id() != null) {
        write.put("id", forward.id()).put("resend", forward.resend());
      }
      writes.add(write);
    }
    ask(leader, new JsonObject().put("op", "writes").put("writes", writes), true)
        .onComplete(answered -> {
          if (answered.failed()) {
            group.forEach(forward -> forward.promise().fail(answered.cause()));
            return;
          }
          JsonArray results = answered.result().body().getJsonArray("results");
          long highest = 0;
          for (int i = 0; i < results.size(); i++) {
            highest = Math.max(highest, results.getJsonObject(i).getLong("version", 0L));
          }
          // Answer once this member has pushed the commits itself (a client that writes and then
          // reads here reads its write); a late batch does not fail writes that committed.
          feed.await(highest, settings.timeoutMs()).onComplete(delivered -> {
            for (int i = 0; i < group.size(); i++) {
              complete(group.get(i), results.getJsonObject(i));
            }
          });
        });
  }

  private static void complete(Forward forward, JsonObject result) {
    if (result.containsKey("error")) {
      forward.promise().fail(new KoraException(result.getString("error"),
          result.getString("message")));
    } else if (result.getBoolean("before", false)) {
      forward.promise().fail(new CommittedBefore(forward.id(), result.getLong("version")));
    } else {
      forward.promise().complete(result.getLong("version"));
    }
  }


  /**
   * Sends the leader a request and waits for its answer ({@code clusterTimeoutMs} at most).
   *
   * @param write whether it is a write (whose outcome is unknown when no answer comes)
   * @return the answer; fails with {@code cluster_unavailable} when the leader cannot be reached or
   *     does not answer in time, or with the code of an {@code {"error": ...}} answer
   */
  private Future<Message<JsonObject>> ask(String leader, JsonObject request, boolean write) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(settings.timeoutMs());
    return vertx.eventBus().<JsonObject>request(ClusterAddresses.member(leader), request, options)
        .recover(failure -> Future.failedFuture(requestFailure(leader, failure, write)))
        .compose(reply -> reply.body().containsKey("error")
            ? Future.failedFuture(new KoraException(reply.body().getString("error"),
                reply.body().getString("message")))
            : Future.succeededFuture(reply));
  }

  /** @return why no write can be ordered now, or null when {@code leader} may be asked */
  private KoraException unavailable(String leader) {
    if (leader == null) {
      return new KoraException(ErrorCode.CLUSTER_UNAVAILABLE, "this node sees "
          + members.members().size() + " of the " + members.quorum() + " cluster members needed"
          + " to order writes; nothing was written");
    }
    if (leader.equals(members.self())) {
      return new KoraException(ErrorCode.CLUSTER_UNAVAILABLE, "this node is taking over as the"
          + " cluster's leader; nothing was written, retry in a moment");
    }
    return null;
  }

  private KoraException requestFailure(String leader, Throwable failure, boolean write) {
    if (failure instanceof ReplyException reply && reply.failureType() == ReplyFailure.TIMEOUT
        && write) {
      return new KoraException(ErrorCode.CLUSTER_UNAVAILABLE, "the write was sent to the leader "
          + leader + " but no answer came within " + settings.timeoutMs() + " ms: its outcome is"
          + " unknown; resend it with the same id", failure);
    }
    return new KoraException(ErrorCode.CLUSTER_UNAVAILABLE, "the leader " + leader
        + " could not be reached (" + failure.getMessage() + "); nothing was written", failure);
  }

  private static <T> Future<T> run(Supplier<Future<T>> operation) {
    try {
      return operation.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private static JsonObject error(String code, String message) {
    return new JsonObject().put("error", code).put("message", message);
  }

  private static JsonObject error(Throwable failure) {
    if (failure instanceof KoraException kora) {
      return error(kora.code(), kora.getMessage());
    }
    return error(ErrorCode.INTERNAL, String.valueOf(failure));
  }
}
