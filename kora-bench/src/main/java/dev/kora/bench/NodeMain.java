package dev.kora.bench;

import dev.kora.cli.NodeVertx;
import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import dev.kora.storage.StoreOptions;
import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A node in a child JVM for the load tool:
 * {@code NodeMain STORE_URL [change-log|no-change-log [RULES_FILE]]}. Listens on a free loopback port,
 * prints {@code ready PORT TRANSPORT STORE} on stdout (TRANSPORT: {@code epoll} or {@code nio}), then
 * answers commands read from stdin: {@code mem} prints {@code mem HEAP_AFTER_GC RSS} (bytes),
 * {@code stop} (or end of input) stops the node and exits.
 * Only what the node needs lives in this JVM, so its heap and RSS are the node's own.
 */
public final class NodeMain {

  private NodeMain() {
  }

  /**
   * @return the node's Vert.x instance: {@code kora serve}'s ({@link NodeVertx}, native epoll
   *     transport where available), or NIO with {@code -Dkora.bench.transport=nio} (to compare)
   */
  static Vertx vertx() {
    boolean nio = "nio".equals(System.getProperty("kora.bench.transport"));
    return Vertx.vertx(NodeVertx.options().setPreferNativeTransport(!nio));
  }

  /** @return {@code epoll} or {@code nio}: the transport a node's Vert.x instance runs on */
  static String transport(Vertx vertx) {
    return vertx.isNativeTransportEnabled() ? "epoll" : "nio";
  }

  /**
   * @param storeUrl the store
   * @param changeLog whether the node keeps a change log
   * @return the options of a load tool's node: loopback, a free port
   */
  static KoraNodeOptions options(String storeUrl, boolean changeLog) {
    return new KoraNodeOptions().setHost("127.0.0.1").setPort(0)
        .setStore(new StoreOptions().setUrl(storeUrl)).setChangeLog(changeLog);
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("vertx.disableDnsResolver", "true");
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    Vertx vertx = vertx();
    KoraNode node;
    try {
      node = KoraNode.deploy(vertx, options(args[0],
          args.length < 2 || !args[1].equals("no-change-log"))
          .setRules(args.length < 3 ? null : args[2])).await();
    } catch (Throwable e) {
      // Vert.x's event-loop threads would keep this JVM alive: say why and leave.
      out.println("failed " + e);
      e.printStackTrace();
      System.exit(1);
      return;
    }
    out.println("ready " + node.actualPort() + " " + transport(vertx) + " " + node.store().describe());
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.equals("mem")) {
        long heap = Machine.heapAfterGc();
        out.println("mem " + heap + " " + Machine.rssBytes(ProcessHandle.current().pid()));
      } else if (line.equals("stop")) {
        break;
      }
    }
    vertx.close().await();
    System.exit(0);
  }
}
