package dev.kora.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.client.ClientStatus;
import dev.kora.client.KoraClient;
import dev.kora.client.KoraClientOptions;
import dev.kora.client.Subscription;
import dev.kora.client.SubscriptionChange;
import dev.kora.client.local.LocalStore;
import dev.kora.interceptors.Interceptor;
import dev.kora.interceptors.InterceptorResult;
import dev.kora.interceptors.KoraPlugin;
import dev.kora.interceptors.MutationLayer;
import dev.kora.interceptors.Session;
import dev.kora.node.KoraNode;
import dev.kora.node.TestNodes;
import dev.kora.storage.changelog.ChangeLog;
import dev.kora.testkit.Eventually;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import dev.kora.tree.Tree;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * kora-client with several node URLs against real nodes in this JVM (over real sockets). The nodes
 * are independent single nodes, each on its own memory store, standing in for a cluster's nodes: a
 * dead first URL, the node in use stopping (subscriptions and unconfirmed writes move to the next
 * node, with their ids), every node down (retries with backoff until one comes up).
 *
 * <p>Independent stores have unrelated versions. Where the copy's version is ahead of the new
 * node's, the resume's {@code since} is refused ({@code invalid_query}, docs/protocol.md) and the
 * client starts the path over from that node's data: the tests arrange that, so the outcome is the
 * one the protocol defines. (A cluster's nodes share one store, so there the resume is the usual
 * delta.)
 *
 * <p>Here and not in kora-client: kora-client's tests cannot start nodes, since kora-node's build
 * depends on kora-client (through kora-test-kit); kora-cli's tests see both.
 */
class ClientFailoverTest {

  private static final Path TODOS = Path.of("todos");

  private Vertx vertx;
  private final List<KoraNode> nodes = new ArrayList<>();
  private final List<KoraClient> clients = new ArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    for (KoraClient client : clients) {
      client.close().await();
    }
    vertx.close().await();
  }

  private KoraNode node(int port) {
    KoraNode node = TestNodes.start(vertx, TestNodes.memoryOptions().setPort(port)).await();
    nodes.add(node);
    return node;
  }

  private KoraClient client(KoraClientOptions options) {
    KoraClient client = KoraClient.create(vertx, options).await();
    clients.add(client);
    return client;
  }

  private static String url(int port) {
    return "ws://127.0.0.1:" + port + "/socket";
  }

  private static int deadPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private void eventually(String what, Supplier<Boolean> condition) {
    Eventually.poll(vertx, 10_000, what, () -> Future.succeededFuture(condition.get()),
        Boolean::booleanValue).await();
  }

  /** @return the node's data at {@code path}, read through its embedded API */
  private static Object data(KoraNode node, Path path) {
    return Tree.get(node.query(Query.of(path, QueryOptions.WHOLE)).await().merge(), path);
  }

  /** @return the version the node committed the write with this id as, -1 for none */
  private static long committedAs(KoraNode node, String id) {
    return data(node, ChangeLog.idPath(id)) instanceof Number version ? version.longValue() : -1;
  }

  @Test
  void aDeadFirstUrlIsSkippedWithoutWaitingForTheBackoff() throws IOException {
    KoraNode live = node(0);
    int dead = deadPort();
    List<Integer> attempted = new CopyOnWriteArrayList<>();
    // A backoff of 30 s or more: only a move to the second URL at once connects within the wait.
    KoraClient client = client(new KoraClientOptions()
        .setUrls(List.of(url(dead), url(live.actualPort())))
        .setReconnectInitialDelayMs(60_000).setReconnectMaxDelayMs(60_000)
        .setHandshake(target -> {
          attempted.add(target.getPort());
          return Future.succeededFuture(target);
        }));
    Subscription todos = client.subscribe(TODOS, change -> { });
    eventually("the client to connect to the second URL",
        () -> url(live.actualPort()).equals(client.connectedUrl()));
    assertEquals(List.of(dead, live.actualPort()), attempted, "the first URL, then the second");
    todos.synced().await();
    assertTrue(client.merge(TODOS.child("t1"), "milk").await() > 0);
    assertEquals("milk", data(live, TODOS.child("t1")));
  }

  @Test
  void whenTheNodeInUseStopsSubscriptionsAndUnconfirmedWritesMoveToTheNextLiveNode()
      throws IOException {
    AtomicBoolean holding = new AtomicBoolean();
    AtomicInteger held = new AtomicInteger();
    // The first node can be told to hold writes unanswered: they are sent, never confirmed.
    KoraPlugin holdWrites = new KoraPlugin() {
      @Override
      public List<Interceptor> interceptors() {
        return List.of(new Interceptor() {
          @Override
          public InterceptorResult validateMutation(MutationLayer layer, Session session) {
            if (!holding.get()) {
              return InterceptorResult.ok();
            }
            held.incrementAndGet();
            return InterceptorResult.later(Promise.<InterceptorResult>promise().future());
          }
        });
      }
    };
    KoraNode first = TestNodes.start(vertx, TestNodes.memoryOptions().addPlugin(holdWrites))
        .await();
    int down = deadPort();
    KoraNode third = node(0);
    // The first node's version runs well ahead of the third's, whose data differs.
    for (int i = 0; i < 10; i++) {
      first.merge(TODOS.child("first" + i), i).await();
    }
    third.merge(TODOS.child("third"), "only on the third node").await();

    List<SubscriptionChange> changes = new CopyOnWriteArrayList<>();
    List<Integer> attempted = new CopyOnWriteArrayList<>();
    KoraClient client = client(new KoraClientOptions()
        .setUrls(List.of(url(first.actualPort()), url(down), url(third.actualPort())))
        .setReconnectInitialDelayMs(20).setReconnectMaxDelayMs(200)
        .setHandshake(target -> {
          attempted.add(target.getPort());
          return Future.succeededFuture(target);
        }));
    Subscription todos = client.subscribe(TODOS, changes::add);
    todos.synced().await();
    assertEquals(url(first.actualPort()), client.connectedUrl());
    assertEquals(data(first, TODOS), todos.value());
    long firstVersion = todos.version();

    holding.set(true);
    Future<Long> milk = client.merge(TODOS.child("t1"), "milk");
    Future<Long> bread = client.merge(TODOS.child("t2"), "bread");
    eventually("the first node to hold a write", () -> held.get() >= 1);
    List<LocalStore.PendingWrite> unconfirmed = client.pendingWrites();
    assertEquals(2, unconfirmed.size());
    assertTrue(unconfirmed.stream().allMatch(write -> write.version() == null), "unconfirmed");
    assertFalse(milk.isComplete() || bread.isComplete());

    changes.clear();
    attempted.clear();
    first.stop().await();
    eventually("the client to move on", () -> client.status() == ClientStatus.CONNECTED
        && url(third.actualPort()).equals(client.connectedUrl()));
    assertEquals(List.of(down, third.actualPort()), attempted,
        "from the stopped node on to the next URLs, in order, not back to the first");

    // The writes were sent again there, with the ids they had: the third node committed each once
    // under its id.
    long milkVersion = milk.await();
    long breadVersion = bread.await();
    assertEquals(milkVersion, committedAs(third, unconfirmed.get(0).id()));
    assertEquals(breadVersion, committedAs(third, unconfirmed.get(1).id()));
    JsonObject thirdData = (JsonObject) data(third, TODOS);
    assertEquals(new JsonObject().put("third", "only on the third node").put("t1", "milk")
        .put("t2", "bread"), thirdData);

    // The subscription was made again there: the copy's since (the first node's version) is ahead
    // of the third node's, which refuses it, and the path starts over from the third node's data.
    assertTrue(firstVersion > Math.max(milkVersion, breadVersion),
        "the arrangement: the first node's version is ahead of the third's");
    eventually("the copy to hold the third node's data, nothing pending",
        () -> thirdData.equals(todos.value()) && !todos.pending());
    assertTrue(changes.stream().anyMatch(change -> change.cause() == SubscriptionChange.Cause.ANSWER),
        "an answer from the third node: " + changes);
    assertFalse(changes.stream().anyMatch(change -> change.cause() == SubscriptionChange.Cause.RESET),
        "a since ahead of the node is refused, not answered with reset: " + changes);
    assertTrue(todos.version() < firstVersion, "the copy follows the third node's versions now");
    Eventually.poll(vertx, 10_000, "the writes to leave the outbox",
        () -> Future.succeededFuture(client.pendingWrites().isEmpty()), done -> done).await();

    // Pushes come from the third node from now on.
    KoraClient other = client(new KoraClientOptions().setUrl(url(third.actualPort())));
    other.merge(TODOS.child("t3"), "eggs").await();
    eventually("a push from the third node", () -> "eggs".equals(
        ((JsonObject) todos.value()).getValue("t3")));
  }

  @Test
  void withEveryNodeDownTheClientRetriesRoundsWithBackoffUntilOneComesUp() throws IOException {
    int firstPort = deadPort();
    int secondPort = deadPort();
    List<Long> attemptTimes = new CopyOnWriteArrayList<>();
    List<Integer> attemptPorts = new CopyOnWriteArrayList<>();
    long initialDelayMs = 20;
    long maxDelayMs = 200;
    KoraClient client = client(new KoraClientOptions()
        .setUrls(List.of(url(firstPort), url(secondPort)))
        .setReconnectInitialDelayMs(initialDelayMs).setReconnectMaxDelayMs(maxDelayMs)
        .setHandshake(target -> {
          attemptTimes.add(System.nanoTime());
          attemptPorts.add(target.getPort());
          return Future.succeededFuture(target);
        }));
    Subscription todos = client.subscribe(TODOS, change -> { });
    Future<Long> queued = client.merge(TODOS.child("t1"), "written while every node was down");
    eventually("five failed rounds", () -> attemptPorts.size() >= 10);
    assertNull(client.connectedUrl());
    assertEquals(ClientStatus.OFFLINE, client.status());

    List<Integer> ports = List.copyOf(attemptPorts);
    List<Long> times = List.copyOf(attemptTimes);
    for (int i = 0; i < ports.size(); i++) {
      assertEquals(i % 2 == 0 ? firstPort : secondPort, ports.get(i),
          "the URLs in turn, first then second: " + ports);
    }
    // Between two rounds, at least half the backoff of that round (its equal jitter's lowest).
    for (int round = 1; round < ports.size() / 2; round++) {
      long gapMs = (times.get(2 * round) - times.get(2 * round - 1)) / 1_000_000;
      long backoffMs = Math.min(maxDelayMs, initialDelayMs << (round - 1));
      assertTrue(gapMs >= backoffMs / 2, "round " + round + " waited " + gapMs + " ms, the backoff"
          + " is " + backoffMs + " ms");
    }

    KoraNode second = node(secondPort);
    eventually("the client to connect to the node that came up",
        () -> client.status() == ClientStatus.CONNECTED
            && url(secondPort).equals(client.connectedUrl()));
    long version = queued.await();
    assertEquals("written while every node was down", data(second, TODOS.child("t1")));
    todos.synced().await();
    eventually("the copy to reach the write's version", () -> todos.version() >= version);
    assertEquals(data(second, TODOS), todos.value());
  }
}
