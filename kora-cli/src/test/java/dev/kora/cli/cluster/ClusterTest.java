package dev.kora.cli.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.cli.cluster.ClusterProcesses.Member;
import dev.kora.client.KoraClient;
import dev.kora.client.KoraClientOptions;
import dev.kora.client.Subscription;
import dev.kora.client.SubscriptionChange;
import dev.kora.node.core.ReservedPaths;
import dev.kora.storage.Store;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.Stores;
import dev.kora.storage.TreeReader;
import dev.kora.testkit.Eventually;
import dev.kora.testkit.HttpCalls;
import dev.kora.testkit.TestSocket;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Three real node processes on loopback form one cluster over a shared PostgreSQL, MariaDB or
 * Cassandra database (choose with {@code -Dkora.cluster.stores=postgres,mysql,cassandra}, see
 * {@link #stores()}); writers and subscribers connect to every node while the leader, then a
 * member that does not lead, is killed with {@code kill -9}. Checked against the change log the
 * cluster wrote (read
 * straight from the store, {@link ClusterLoad}):
 *
 * <ul>
 *   <li>one commit order: every acknowledged write is in the log at the version it was acknowledged
 *       with, under its id, no id twice, and each writer's consecutive writes have increasing
 *       versions;</li>
 *   <li>the invariant for subscribers of any node: the reply and every push bring a subscriber's
 *       copy to exactly the data at the version they carry, and each push is the next commit that
 *       changed the subscribed path (no gap, no overlap) — also for a subscriber of the killed node
 *       that resumed with {@code since} on another node. On Cassandra, whose reads are not
 *       snapshots, a subscribe's answer may hold writes after its version: there the pushes' order
 *       is checked and the end state by convergence ({@link ClusterWatcher#check});</li>
 *   <li>convergence: the surviving subscribers end equal to the data every node answers;</li>
 *   <li>the cluster gauges: every member sees three members and a quorum, one leads;</li>
 *   <li>failover: after the leader's kill the cluster acknowledges writes again within 10 s;</li>
 *   <li>effects: every job ran, and each job written after the last kill ran exactly once;</li>
 *   <li>a kora-client given the three URLs, connected to the leader when it is killed, moves to
 *       another member by itself, resumes without a reset, and its writes queued meanwhile arrive.
 *       </li>
 * </ul>
 */
class ClusterTest {

  private static final int SIZE = 3;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  java.nio.file.Path folder;

  private Vertx vertx;
  private ClusterProcesses cluster;

  /**
   * @return the stores to run on: those named in the system property {@code kora.cluster.stores}
   *     ({@code postgres}, {@code mysql}, {@code cassandra}, comma-separated; all three by
   *     default), each at the URL of {@code KORA_PG_URL}, {@code KORA_MYSQL_URL} or
   *     {@code KORA_CASSANDRA_URL} (local test servers by default) with a fresh table
   */
  static Stream<String> stores() {
    String table = "cluster_" + Long.toHexString(System.nanoTime());
    Set<String> chosen = Set.of(System.getProperty("kora.cluster.stores",
        "postgres,mysql,cassandra").split(","));
    Map<String, String> urls = new LinkedHashMap<>();
    urls.put("postgres", url("KORA_PG_URL", "postgres://postgres@127.0.0.1:5432/kora_test"));
    urls.put("mysql", url("KORA_MYSQL_URL", "mysql://root@127.0.0.1:3306/kora_test"));
    urls.put("cassandra", url("KORA_CASSANDRA_URL", "cassandra://127.0.0.1:9042/kora_test"));
    return urls.entrySet().stream().filter(each -> chosen.contains(each.getKey()))
        .map(each -> each.getValue() + "?table=" + table);
  }

  private static String url(String variable, String fallback) {
    String url = System.getenv(variable);
    return url == null || url.isBlank() ? fallback : url;
  }

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    cluster = new ClusterProcesses(vertx, folder, SIZE, null);
  }

  @AfterEach
  void tearDown() {
    cluster.close();
    vertx.close().await();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("stores")
  void threeNodesKeepOneOrderThroughKills(String url) throws Exception {
    cluster.startAll(url).await();
    Store store = Stores.open(vertx, new StoreOptions().setUrl(url)).await();
    try {
      run(url, store);
    } finally {
      store.close().await();
    }
  }

  private void run(String url, Store store) throws Exception {
    Member[] members = cluster.members();
    checkGauges(members);
    ClusterLoad load = new ClusterLoad(vertx, cluster);
    load.subscribeEverywhere("early");
    load.startWriters();
    Thread.sleep(1_500);
    load.subscribeEverywhere("late");
    Thread.sleep(1_000);

    // kill -9 the leader while everyone writes; a kora-client connected to it moves on by itself
    Member leader = cluster.leader(store);
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < SIZE; i++) {
      urls.add(members[(leader.index() + i) % SIZE].url());
    }
    KoraClient client = KoraClient.create(vertx, new KoraClientOptions().setUrls(urls)
        .setReconnectInitialDelayMs(50).setReconnectMaxDelayMs(500)).await();
    List<SubscriptionChange.Cause> causes = new CopyOnWriteArrayList<>();
    Subscription subscription = client.subscribe(Path.of("r"), change -> causes.add(
        change.cause()));
    subscription.synced().await();
    assertEquals(urls.get(0), client.connectedUrl(), "the client starts on the leader");
    long killedAt = System.nanoTime();
    cluster.kill(leader);
    List<Future<Long>> clientWrites = new ArrayList<>();
    for (int n = 0; n < 20; n++) {
      clientWrites.add(client.merge(Path.of("client", "k" + n), n));
    }
    long failoverMs = load.awaitWritesAfter(leader.index(), killedAt);
    System.out.printf("cluster on %s: leader (member %d) killed; writes acknowledged again after"
        + " %d ms%n", url.substring(0, url.indexOf(':')), leader.index(), failoverMs);
    assertTrue(failoverMs < 10_000, "writes are acknowledged again within 10 s: " + failoverMs);
    load.resumeWatchersOf(leader.index(), members[(leader.index() + 1) % SIZE]);
    cluster.start(leader.index(), url).await();
    Thread.sleep(1_500);

    // kill -9 a member that does not lead
    Member leading = cluster.leader(store);
    Member follower = null;
    for (Member member : members) {
      if (member != leading && member.index() != leader.index()) {
        follower = member;
      }
    }
    long secondKill = System.nanoTime();
    cluster.kill(follower);
    load.awaitWritesAfter(follower.index(), secondKill);
    // The leader reruns the pending jobs when a member leaves, but each only as the store holds it
    // once the lease is taken: a job another member finished meanwhile is not run again. Only jobs
    // the killed members were running may run twice (at least once, docs/cluster.md); every job
    // written from now on must run exactly once, the leader's rescan going on or not.
    long calmFrom = System.nanoTime();
    Thread.sleep(2_000);
    load.stopWriters();
    JsonObject finalState = load.settleAndCheck(leading, store);

    // the client resumed on another member: its writes made while its member was dead arrived,
    // its copy is the data, and it never had to start over
    Future.all(clientWrites).await();
    assertTrue(!urls.get(0).equals(client.connectedUrl()), "the client moved to another member: "
        + client.connectedUrl());
    Eventually.poll(vertx, 15_000, "the client's copy to be the data",
        () -> Future.succeededFuture(subscription.value()), finalState.getJsonObject("r")::equals)
        .await();
    assertTrue(!causes.contains(SubscriptionChange.Cause.RESET), "the client resumed with since,"
        + " without a reset: " + causes);
    client.close().await();
    checkJobs(load.writers(), leading, calmFrom, store);
  }

  /** Each member's {@code /metrics}: all see three members and a quorum, exactly one leads. */
  private void checkGauges(Member[] members) {
    HttpClient http = vertx.createHttpClient();
    int leaders = 0;
    for (Member member : members) {
      String scrape = new HttpCalls(vertx, http, member.port()).get("/metrics", null).body();
      assertEquals(3, gauge(scrape, "kora_cluster_members"), "members seen by " + member.index());
      assertEquals(1, gauge(scrape, "kora_cluster_quorum"), "quorum of " + member.index());
      leaders += gauge(scrape, "kora_cluster_leader");
    }
    assertEquals(1, leaders, "one member leads");
    http.close().await();
  }

  /**
   * @return which acknowledged jobs have not run, each with what the store holds of it under
   *     {@code kora:jobs} (pending with its attempts and last error, failed for good, or gone)
   */
  private static String missingJobs(Map<String, Long> jobs, TestSocket reader, Store store) {
    JsonObject runs = reader.query(new JsonObject().put("runs", new JsonObject())).await()
        .getJsonObject("merge").getJsonObject("runs", new JsonObject());
    Object stored = TreeReader.read(store, ReservedPaths.path("jobs"), QueryOptions.WHOLE).await();
    JsonObject held = stored instanceof JsonObject object ? object : new JsonObject();
    StringBuilder text = new StringBuilder("acknowledged jobs that never ran, with what the store"
        + " holds of their job (each jobs/K schedules one job whose run writes runs/K):");
    int missing = 0;
    for (String key : jobs.keySet()) {
      if (runs.containsKey(key)) {
        continue;
      }
      missing++;
      List<String> entries = new ArrayList<>();
      for (Map.Entry<String, Object> job : held) {
        if (job.getValue() instanceof JsonObject value
            && value.getString("args", "").contains("\"" + key + "\"")) {
          entries.add(job.getKey() + "=" + value.encode());
        }
      }
      text.append("\n  ").append(key).append(" (written at ").append(jobs.get(key))
          .append(" ns): ").append(entries.isEmpty() ? "no job stored" : entries);
    }
    return text.append("\n").append(missing).append(" of ").append(jobs.size()).toString();
  }

  private static int gauge(String scrape, String name) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return (int) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError(name + " is not in the scrape");
  }

  /**
   * Every acknowledged job ran; each written after the last kill ran exactly once (earlier ones may
   * run again when the member running them died: jobs run at least once).
   */
  private void checkJobs(List<ClusterWriter> writers, Member member, long calmFrom, Store store) {
    Map<String, Long> jobs = new HashMap<>();
    for (ClusterWriter writer : writers) {
      jobs.putAll(writer.jobs);
    }
    TestSocket reader = TestSocket.connect(vertx, member.host(), member.port()).await();
    JsonObject runs;
    try {
      runs = Eventually.poll(vertx, 30_000, "every acknowledged job to have run",
          () -> reader.query(new JsonObject().put("runs", new JsonObject())).map(answer ->
              answer.getJsonObject("merge").getJsonObject("runs", new JsonObject())),
          all -> jobs.keySet().stream().allMatch(all::containsKey)).await();
    } catch (RuntimeException timeout) {
      throw new AssertionError(missingJobs(jobs, reader, store), timeout);
    }
    int twice = 0;
    int calm = 0;
    for (Map.Entry<String, Long> job : jobs.entrySet()) {
      int count = runs.getJsonObject(job.getKey()).size();
      if (job.getValue() > calmFrom) {
        calm++;
        assertEquals(1, count, "job " + job.getKey() + ", written after the last kill, ran once");
      } else if (count > 1) {
        twice++;
      }
    }
    System.out.printf("cluster: %d effect jobs ran, %d of them written after the last kill ran"
        + " exactly once; %d of those written earlier ran more than once%n", jobs.size(), calm,
        twice);
    assertTrue(calm > 0, "jobs were written after the last kill");
  }
}
