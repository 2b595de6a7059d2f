package dev.kora.bench;

import dev.kora.node.KoraNodeOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The load tool's side of the sockets: its own Vert.x instance (so the clients never run on the
 * node's event loop when the node is in this JVM) and WebSocket clients holding every connection.
 * The clients and the connections are kept strongly reachable here: Vert.x 5 closes a WebSocket
 * client that becomes unreachable, and its connections with it.
 *
 * <p>Every connection to one node address takes an ephemeral port of its source address, and the
 * kernel has about 28,000 of them ({@code ip_local_port_range}): for more connections than that,
 * {@link #sourceAddresses} names several loopback source addresses (127.0.0.1, 127.0.0.2, ...;
 * Linux routes all of 127.0.0.0/8 to the loopback interface) and there is one client bound to each,
 * taken in turn.
 */
final class Clients implements AutoCloseable {

  /** One connection and the context its handlers run on. */
  record Connection(WebSocket socket, Context context) {
  }

  private final Vertx vertx;
  private final List<WebSocketClient> clients = new ArrayList<>();
  private final AtomicInteger nextClient = new AtomicInteger();
  private final List<Connection> connections = Collections.synchronizedList(new ArrayList<>());

  /** @param expected how many connections will be opened at most, from any source address */
  Clients(int expected) {
    this(expected, List.of());
  }

  /**
   * @param expected how many connections will be opened at most
   * @param sources the source addresses to bind the connections to, taken in turn; empty for the
   *     kernel's choice
   */
  Clients(int expected, List<String> sources) {
    this.vertx = Vertx.vertx(new VertxOptions().setBlockedThreadCheckInterval(60_000));
    int each = expected / Math.max(1, sources.size()) + 1;
    for (String source : sources.isEmpty() ? Collections.<String>singletonList(null) : sources) {
      clients.add(vertx.createWebSocketClient(new WebSocketClientOptions()
          .setMaxConnections(Math.max(each + 16, WebSocketClientOptions.DEFAULT_MAX_CONNECTIONS))
          .setMaxFrameSize(16 * 1024 * 1024)
          .setMaxMessageSize(1024 * 1024 * 1024)
          .setConnectTimeout(60_000)
          .setTcpNoDelay(true)
          .setLocalAddress(source)));
    }
  }

  /**
   * The loopback source addresses {@code count} connections to one node address need, with at most
   * {@code each} connections from one address.
   *
   * @param count connections
   * @param each connections per source address at most; 0 for four fifths of the kernel's
   *     ephemeral ports (room for other sockets and for ports still in TIME_WAIT from an earlier run)
   *     or of a node's default cap of connections per client address
   *     ({@link KoraNodeOptions#DEFAULT_MAX_CONNECTIONS_PER_ADDRESS}), whichever is lower
   * @return empty when one address is enough (the kernel chooses it), else 127.0.0.1, 127.0.0.2, ...
   */
  static List<String> sourceAddresses(int count, int each) {
    if (each <= 0) {
      int[] ports = Machine.ephemeralPorts();
      each = Math.max(1_000, Math.min(ports[1] - ports[0] + 1,
          KoraNodeOptions.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS) * 4 / 5);
    }
    int needed = (count + each - 1) / each;
    if (needed <= 1) {
      return List.of();
    }
    if (needed > 254) {
      throw new IllegalArgumentException(count + " connections need more than 254 source addresses");
    }
    List<String> sources = new ArrayList<>(needed);
    for (int i = 1; i <= needed; i++) {
      sources.add("127.0.0." + i);
    }
    return sources;
  }

  Vertx vertx() {
    return vertx;
  }

  /**
   * Connects one socket, from the next source address in turn; its handlers run on a fresh
   * event-loop context (spread over the loops).
   */
  Future<Connection> connect(BenchNode node) {
    WebSocketClient client = clients.get(Math.floorMod(nextClient.getAndIncrement(), clients.size()));
    Future<Connection> connected = client.connect(new WebSocketConnectOptions().setHost(node.host())
        .setPort(node.port()).setURI(path(node)))
        .map(socket -> new Connection(socket, Vertx.currentContext()));
    return connected.onSuccess(connections::add);
  }

  private static String path(BenchNode node) {
    String url = node.url();
    int slash = url.indexOf('/', "ws://".length());
    return slash < 0 ? "/socket" : url.substring(slash);
  }

  /**
   * Opens {@code count} connections, at most {@code concurrency} handshakes at a time; blocks.
   *
   * @return the connections, in no particular order
   * @throws IllegalStateException when any connection failed, with the first cause
   */
  List<Connection> connectAll(BenchNode node, int count, int concurrency, BenchOptions options)
      throws InterruptedException {
    return openAll(count, concurrency, () -> connect(node).toCompletionStage(), options);
  }

  /** Opens connections to one node, for {@link #spread}. */
  interface Opener<T> {

    /**
     * @param node the node
     * @param count how many connections to open to it, possibly 0
     * @return the open connections
     */
    List<T> open(BenchNode node, int count) throws InterruptedException;
  }

  /**
   * Opens {@code count} connections spread evenly over several nodes: an even share each, one more
   * for the first {@code count % nodes} nodes. Blocks.
   *
   * @param opener opens one node's share (Vert.x or Netty connections)
   * @return the connections, node by node
   */
  static <T> List<T> spread(List<? extends BenchNode> nodes, int count, Opener<T> opener)
      throws InterruptedException {
    List<T> all = new ArrayList<>(count);
    for (int index = 0; index < nodes.size(); index++) {
      int share = count / nodes.size() + (index < count % nodes.size() ? 1 : 0);
      all.addAll(opener.open(nodes.get(index), share));
    }
    return all;
  }

  /**
   * Opens {@code count} connections with {@code open}, at most {@code concurrency} at a time, logging
   * progress every 2 s; blocks. Shared by the Vert.x and the Netty clients.
   *
   * @param open starts opening one connection
   * @return the connections, in no particular order
   * @throws IllegalStateException when any connection failed, with the first cause
   */
  static <T> List<T> openAll(int count, int concurrency, Supplier<CompletionStage<T>> open,
      BenchOptions options) throws InterruptedException {
    Semaphore permits = new Semaphore(concurrency);
    List<T> opened = Collections.synchronizedList(new ArrayList<>(count));
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicInteger done = new AtomicInteger();
    long lastLog = System.nanoTime();
    for (int i = 0; i < count && failure.get() == null; i++) {
      permits.acquire();
      open.get().whenComplete((connection, error) -> {
        if (error == null) {
          opened.add(connection);
        } else {
          failure.compareAndSet(null, error);
        }
        done.incrementAndGet();
        permits.release();
      });
      if (System.nanoTime() - lastLog > 2_000_000_000L) {
        lastLog = System.nanoTime();
        options.log("%,d of %,d connections open", done.get(), count);
      }
    }
    if (!permits.tryAcquire(concurrency, 120, TimeUnit.SECONDS)) {
      throw new IllegalStateException("connections did not complete within 120 s");
    }
    if (failure.get() != null) {
      throw new IllegalStateException("connection " + (opened.size() + 1) + " failed: "
          + failure.get() + (failure.get().toString().contains("Too many open files")
          ? " (raise the file limit: ulimit -n)" : ""), failure.get());
    }
    return new ArrayList<>(opened);
  }

  @Override
  public void close() {
    vertx.close().await();
  }
}
