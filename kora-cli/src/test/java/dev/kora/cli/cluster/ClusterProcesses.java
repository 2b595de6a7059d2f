package dev.kora.cli.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.storage.Store;
import dev.kora.storage.TreeReader;
import dev.kora.testkit.ChildJvm;
import dev.kora.testkit.Eventually;
import dev.kora.testkit.TestSocket;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The member processes of a cluster test ({@link ClusterMemberMain}, one JVM each): on loopback
 * with free ports, or one per network namespace ({@link NetworkNamespaces}). Knows each member's
 * Hazelcast id and client port, finds the leader through the store's {@code kora:cluster/leader}
 * row, and kills members with {@code kill -9}.
 */
final class ClusterProcesses implements AutoCloseable {

  /** A running member: its process, Hazelcast member id, host and client port. */
  record Member(int index, ChildJvm process, String id, String host, int port) {

    /** @return its WebSocket URL */
    String url() {
      return "ws://" + host + ":" + port + "/socket";
    }

    boolean alive() {
      return process.process().isAlive();
    }
  }

  private final Vertx vertx;
  private final java.nio.file.Path folder;
  private final NetworkNamespaces namespaces;
  private final List<String> hosts = new ArrayList<>();
  private final int[] hazelcastPorts;
  private final int[] busPorts;
  private final String join;
  private final Member[] members;
  private final List<ChildJvm> processes = new CopyOnWriteArrayList<>();

  /**
   * @param vertx the test's Vert.x instance
   * @param folder where the members' standard error files go
   * @param size how many members
   * @param namespaces the hosts to run the members on, one each; null for loopback
   */
  ClusterProcesses(Vertx vertx, java.nio.file.Path folder, int size, NetworkNamespaces namespaces)
      throws IOException {
    this.vertx = vertx;
    this.folder = folder;
    this.namespaces = namespaces;
    this.members = new Member[size];
    this.hazelcastPorts = new int[size];
    this.busPorts = new int[size];
    List<String> addresses = new ArrayList<>();
    List<Integer> free = namespaces == null ? freePorts(2 * size) : List.of();
    for (int i = 0; i < size; i++) {
      // in namespaces every host has its own ports; on loopback the members share them
      hosts.add(namespaces == null ? "127.0.0.1" : namespaces.address(i));
      hazelcastPorts[i] = namespaces == null ? free.get(2 * i) : 5701;
      busPorts[i] = namespaces == null ? free.get(2 * i + 1) : 6701;
      addresses.add(hosts.get(i) + ":" + hazelcastPorts[i]);
    }
    this.join = String.join(",", addresses);
  }

  /**
   * @return {@code count} distinct ports that can be bound on loopback now, below Linux's ephemeral
   *     range (32768 and up by default), so that no outgoing connection takes one before its
   *     member binds it (a member restarted later binds the same ports again)
   */
  private static List<Integer> freePorts(int count) throws IOException {
    List<Integer> ports = new ArrayList<>();
    java.util.Random random = new java.util.Random();
    for (int tries = 0; ports.size() < count && tries < 1_000; tries++) {
      int port = 20_000 + random.nextInt(12_000);
      if (ports.contains(port)) {
        continue;
      }
      try (java.net.ServerSocket socket = new java.net.ServerSocket()) {
        socket.bind(new java.net.InetSocketAddress("127.0.0.1", port));
        ports.add(port);
      } catch (IOException taken) {
        // try another
      }
    }
    if (ports.size() < count) {
      throw new IOException("found only " + ports.size() + " free ports of " + count);
    }
    return ports;
  }

  /** @return the members, by index (a restarted member replaces its entry) */
  Member[] members() {
    return members;
  }

  /**
   * Starts every member at once (members started one by one would each wait for the others).
   *
   * @param url the shared store's URL, as the members reach it
   * @return completes once every member serves and takes writes
   */
  Future<Void> startAll(String url) {
    List<Future<Member>> started = new ArrayList<>();
    for (int i = 0; i < members.length; i++) {
      started.add(start(i, url));
    }
    return Future.all(started).compose(all -> {
      List<Future<JsonObject>> writable = new ArrayList<>();
      for (Member member : members) {
        writable.add(takesWrites(member));
      }
      return Future.all(writable);
    }).mapEmpty();
  }

  /**
   * @param index the member's index
   * @param url the shared store's URL, as the member reaches it
   * @return the member once it serves
   */
  Future<Member> start(int index, String url) {
    File stderr = folder.resolve("member-" + index + "-" + processes.size() + ".err").toFile();
    ChildJvm child;
    try {
      child = ChildJvm.startWith(namespaces == null ? List.of() : namespaces.exec(index),
          ChildJvm.SMALL_JVM, ChildJvm.testClassPath(), stderr, ClusterMemberMain.class.getName(),
          url, hosts.get(index), String.valueOf(hazelcastPorts[index]),
          String.valueOf(busPorts[index]), join, String.valueOf(members.length));
    } catch (IOException e) {
      return Future.failedFuture(e);
    }
    processes.add(child);
    return child.awaitLine(vertx, 90_000, "member " + index + " to serve",
        line -> line.startsWith("PORT ")).map(line -> {
          String id = child.lines().stream().filter(text -> text.startsWith("MEMBER "))
              .findFirst().orElseThrow().substring(7).trim();
          Member member = new Member(index, child, id, hosts.get(index),
              Integer.parseInt(line.substring(5).trim()));
          members[index] = member;
          return member;
        });
  }

  /** @return completes once a write through {@code member} is acknowledged (30 s at most) */
  Future<JsonObject> takesWrites(Member member) {
    return TestSocket.connect(vertx, member.host(), member.port()).compose(probe -> Eventually
        .poll(vertx, 30_000, "member " + member.index() + " to take writes",
            () -> probe.call("kora.mutation", new JsonObject().put("merge", new JsonObject()
                .put("probe", new JsonObject().put("m" + member.index(), true)))),
            frame -> "reply".equals(frame.getString("type")))
        .eventually(probe::close));
  }

  /**
   * @param store the cluster's store
   * @return the member whose id the store's {@code kora:cluster/leader} row names
   */
  Member leader(Store store) {
    String id = (String) TreeReader.read(store, Path.of("kora:cluster", "leader"),
        QueryOptions.WHOLE).await();
    for (Member member : members) {
      if (member.id().equals(id)) {
        return member;
      }
    }
    throw new AssertionError("no running member has id " + id);
  }

  /** Kills a member with {@code kill -9} and waits until it is gone. */
  void kill(Member member) throws InterruptedException {
    member.process().process().destroyForcibly();
    assertTrue(member.process().process().waitFor(20, TimeUnit.SECONDS), "killed");
  }

  @Override
  public void close() {
    processes.forEach(ChildJvm::destroy);
  }
}
