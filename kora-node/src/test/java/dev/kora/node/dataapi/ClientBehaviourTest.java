package dev.kora.node.dataapi;

import static dev.kora.testkit.TestJson.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.client.ClientErrors;
import dev.kora.client.ClientStatus;
import dev.kora.client.KoraClient;
import dev.kora.client.KoraClientOptions;
import dev.kora.client.Subscription;
import dev.kora.client.SubscriptionChange;
import dev.kora.node.KoraNode;
import dev.kora.node.TestNodes;
import dev.kora.testkit.Eventually;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * kora-client's local view against a node in this JVM (over a real socket): pending writes on top of
 * newer server data, reads from the cache while offline, a resume the node answers in full
 * ({@code reset}), the status stream and the handshake hook.
 */
class ClientBehaviourTest {

  private Vertx vertx;
  private KoraNode node;
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

  private KoraClient client(KoraClientOptions options) {
    KoraClient client = KoraClient.create(vertx, options
        .setUrl("ws://127.0.0.1:" + node.actualPort() + "/socket")
        .setReconnectInitialDelayMs(10).setReconnectMaxDelayMs(100)).await();
    clients.add(client);
    return client;
  }

  private static void await(Vertx vertx, Subscription subscription, Object expected) {
    Eventually.poll(vertx, 5_000, subscription.path() + " to show " + expected,
        () -> Future.succeededFuture(subscription.value()), expected::equals).await();
  }

  @Test
  void pendingWritesStayOnTopOfNewerServerDataUntilConfirmed() {
    node = TestNodes.start(vertx).await();
    KoraClient a = client(new KoraClientOptions());
    KoraClient b = client(new KoraClientOptions());
    Subscription seenByA = a.subscribe(Path.of("doc"), change -> { });
    seenByA.synced().await();
    a.goOffline().await();
    a.merge(Path.of("doc", "x"), 1);
    assertEquals(json("{'x':1}"), seenByA.value());
    assertTrue(seenByA.pending());
    b.mutate(Mutation.fromJson(json("{'merge':{'doc':{'x':2,'y':3}}}"))).await();
    a.goOnline().await();
    a.flush().await();
    await(vertx, seenByA, json("{'x':1,'y':3}"));
    assertEquals(json("{'x':1,'y':3}"), a.query(Path.of("doc"), QueryOptions.WHOLE).await(),
        "A's write committed after B's: the last write wins at the node too");
    Eventually.poll(vertx, 5_000, "nothing pending", () -> Future.succeededFuture(
        seenByA.pending()), pending -> !pending).await();
  }

  @Test
  void offlineReadsComeFromTheCacheAndUncoveredOnesFail() {
    node = TestNodes.start(vertx).await();
    KoraClient client = client(new KoraClientOptions());
    client.merge(Path.of("cached", "a"), json("{'b':1}")).await();
    client.merge(Path.of("elsewhere"), 1).await();
    Subscription cached = client.subscribe(Path.of("cached"), change -> { });
    cached.synced().await();
    client.goOffline().await();
    assertEquals(ClientStatus.OFFLINE, client.status());
    assertEquals(json("{'b':1}"), client.query(Path.of("cached", "a"), QueryOptions.WHOLE).await());
    KoraException offline = assertThrows(KoraException.class,
        () -> client.query(Path.of("elsewhere"), QueryOptions.WHOLE).await());
    assertEquals(ClientErrors.OFFLINE, offline.code());
    KoraException action = assertThrows(KoraException.class,
        () -> client.call("kora.ping", null).await());
    assertEquals(ClientErrors.OFFLINE, action.code());
  }

  @Test
  void aResumeAnsweredInFullReplacesTheCopy() throws InterruptedException {
    // A log of one entry, trimmed every 20 ms: a client away for a few writes is answered in full.
    node = TestNodes.start(vertx, TestNodes.memoryOptions().setChangeLogMaxEntries(1)
        .setChangeLogTrimIntervalMs(20)).await();
    KoraClient watcher = client(new KoraClientOptions());
    KoraClient writer = client(new KoraClientOptions());
    writer.mutate(Mutation.fromJson(json("{'merge':{'list':{'a':1,'b':{'c':2},'d':4}}}"))).await();
    List<SubscriptionChange.Cause> causes = new CopyOnWriteArrayList<>();
    Subscription list = watcher.subscribe(Path.of("list"), change -> causes.add(change.cause()));
    list.synced().await();
    watcher.goOffline().await();
    writer.mutate(Mutation.fromJson(json(
        "{'delete':{'list':{'b':{'c':1},'d':1}},'merge':{'list':{'e':5}}}"))).await();
    writer.merge(Path.of("other"), 1).await();
    writer.merge(Path.of("other"), 2).await();
    Thread.sleep(1_000); // fifty trim intervals: the entries after the copy's version are gone
    watcher.goOnline().await();
    await(vertx, list, json("{'a':1,'e':5}"));
    assertTrue(causes.contains(SubscriptionChange.Cause.RESET), causes.toString());
  }

  @Test
  void statusMovesThroughResyncAndTheHandshakeHookRunsOnEveryAttempt() {
    node = TestNodes.start(vertx).await();
    AtomicInteger handshakes = new AtomicInteger();
    List<ClientStatus> statuses = new CopyOnWriteArrayList<>();
    KoraClient client = client(new KoraClientOptions().setHandshake(target -> {
      handshakes.incrementAndGet();
      return Future.succeededFuture(target.addHeader("Authorization", "Bearer test"));
    }));
    client.statusHandler(statuses::add);
    Subscription subscription = client.subscribe(Path.of("s"), change -> { });
    subscription.synced().await();
    client.goOffline().await();
    client.goOnline().await();
    Eventually.poll(vertx, 5_000, "connected again", () -> Future.succeededFuture(
        client.status()), ClientStatus.CONNECTED::equals).await();
    assertTrue(handshakes.get() >= 2, "the hook ran on each connection: " + handshakes.get());
    int offline = statuses.lastIndexOf(ClientStatus.OFFLINE);
    assertTrue(offline >= 0, statuses.toString());
    assertEquals(List.of(ClientStatus.OFFLINE, ClientStatus.RESYNCING, ClientStatus.CONNECTED),
        statuses.subList(offline, statuses.size()));
    assertFalse(subscription.pending());
  }

  @Test
  void aNodeBehindTheCopyIsFollowedFromItsData() {
    node = TestNodes.start(vertx).await();
    int port = node.actualPort();
    KoraClient client = client(new KoraClientOptions());
    Subscription copy = client.subscribe(Path.of("p"), change -> { });
    copy.synced().await();
    long version = client.mutate(Mutation.fromJson(json("{'merge':{'p':{'a':1,'b':2}}}"))).await();
    Eventually.poll(vertx, 5_000, "the copy to reach version " + version,
        () -> Future.succeededFuture(copy.version()), seen -> seen == version).await();
    node.stop().await();
    // A node on an older (here: empty) store: the copy's version is ahead of it, its since is
    // refused, and the client takes the node's data as it is.
    node = TestNodes.start(vertx, TestNodes.memoryOptions().setPort(port)).await();
    Eventually.poll(vertx, 5_000, "the copy to follow the node", () -> Future.succeededFuture(
        copy.value() == null && client.status() == ClientStatus.CONNECTED), done -> done).await();
    KoraClient writer = client(new KoraClientOptions());
    writer.merge(Path.of("p", "c"), 3).await();
    await(vertx, copy, json("{'c':3}"));
  }

  @Test
  void theNextUrlIsTriedWhenOneNodeIsDown() throws Exception {
    node = TestNodes.start(vertx).await();
    int dead;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      dead = socket.getLocalPort();
    }
    KoraClient client = KoraClient.create(vertx, new KoraClientOptions()
        .setUrls(List.of("ws://127.0.0.1:" + dead + "/socket",
            "ws://127.0.0.1:" + node.actualPort() + "/socket"))
        .setReconnectInitialDelayMs(10).setReconnectMaxDelayMs(50)).await();
    clients.add(client);
    assertTrue(client.merge(Path.of("reached"), true).await() > 0);
    assertEquals(true, client.query(Path.of("reached"), QueryOptions.WHOLE).await());
  }

  @Test
  void aLongOfflineQueueDrainsAndEveryChangeEventAddsUpToTheValue() {
    node = TestNodes.start(vertx).await();
    KoraClient client = client(new KoraClientOptions());
    KoraClient other = client(new KoraClientOptions());
    JsonObject replayed = new JsonObject();
    Subscription queue = client.subscribe(Path.of("queue"), change -> change.change().applyTo(replayed));
    queue.synced().await();
    client.goOffline().await();
    List<Future<Long>> writes = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      writes.add(i % 7 == 0 ? client.delete(Path.of("queue", "k" + (i % 300)))
          : client.merge(Path.of("queue", "k" + (i % 300)), i));
    }
    other.merge(Path.of("queue", "elsewhere"), "from another client").await();
    client.goOnline().await();
    for (Future<Long> write : writes) {
      write.await();
    }
    Object server = other.query(Path.of("queue"), QueryOptions.WHOLE).await();
    await(vertx, queue, server);
    Eventually.poll(vertx, 5_000, "nothing pending", () -> Future.succeededFuture(
        queue.pending()), pending -> !pending).await();
    assertEquals(server, replayed.getJsonObject("queue"),
        "the listener's changes, applied in order, give the value");
  }
}
