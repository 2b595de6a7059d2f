package dev.kora.client;

import dev.kora.client.connection.KoraConnection;
import dev.kora.client.connection.NodeUrls;
import dev.kora.client.local.LocalStore;
import dev.kora.client.local.MemoryLocalStore;
import io.vertx.core.Future;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * How a {@link KoraClient} connects, caches and retries. Setters return {@code this}.
 *
 * <p>Example: {@code new KoraClientOptions().setUrl("ws://127.0.0.1:12000/socket")
 * .setLocalStore(new SqliteLocalStore("cache.db"))}.
 */
public final class KoraClientOptions {

  private List<String> urls = List.of("ws://127.0.0.1:12000/socket");
  private LocalStore localStore;
  private long reconnectInitialDelayMs = 100;
  private long reconnectMaxDelayMs = 10_000;
  private int maxWritesInFlight = 64;
  private long pingIntervalMs = 15_000;
  private long callTimeoutMs = 30_000;
  private WebSocketClientOptions webSocketOptions = KoraConnection.defaultClientOptions();
  private Function<WebSocketConnectOptions, Future<WebSocketConnectOptions>> handshake =
      Future::succeededFuture;

  /** @return the node URLs, in the order they are tried; one element for a single node */
  public List<String> getUrls() {
    return urls;
  }

  /**
   * One node; the same as {@code setUrls(List.of(url))}.
   *
   * @param url e.g. {@code ws://127.0.0.1:12000/socket} (the default)
   * @return this
   * @throws IllegalArgumentException as {@link #setUrls} does
   */
  public KoraClientOptions setUrl(String url) {
    return setUrls(Collections.singletonList(url));
  }

  /**
   * Several nodes of one cluster (nodes that share one store), any of which may serve this client.
   *
   * <p>Order: the client connects to the first URL and stays on a URL while its connection works.
   * A failed attempt moves to the next URL at once; a lost connection moves to the next URL after
   * the first reconnect delay. Once every URL has failed in a row (a round), the reconnect backoff
   * ({@link #setReconnectInitialDelayMs}, doubling up to {@link #setReconnectMaxDelayMs}) is waited
   * before the next round, which starts at the URL after the last one that failed. Not a random
   * start: the list's order is the application's preference (nearest node first) and keeps the
   * behaviour predictable; to spread many clients over a cluster, give each a shuffled list.
   *
   * <p>On every new connection, whichever node it reaches, subscriptions are resumed with
   * {@code since} and unconfirmed writes are sent again with their ids, as after a single node's
   * reconnect: nodes that share a store answer the resume from the shared change log and apply each
   * id once. Nodes with separate stores are not a cluster: their versions do not match, so a copy
   * may mix their data (see docs/client.md, "What it needs from the node").
   *
   * @param urls e.g. {@code List.of("ws://10.0.0.1:12000/socket", "ws://10.0.0.2:12000/socket")}
   * @return this
   * @throws IllegalArgumentException at once, the options unchanged, for an empty list, a null
   *     element, a URL that is not {@code ws://host[:port][/path]} or {@code wss://...}, a URL
   *     listed twice, or {@code ws://} and {@code wss://} mixed ({@link NodeUrls#check})
   */
  public KoraClientOptions setUrls(List<String> urls) {
    this.urls = NodeUrls.check(urls);
    return this;
  }

  /** @return the local store; a new {@link MemoryLocalStore} when none was set */
  public LocalStore getLocalStore() {
    if (localStore == null) {
      localStore = new MemoryLocalStore();
    }
    return localStore;
  }

  /**
   * @param localStore where the cache and the outbox live, e.g. a
   *     {@link dev.kora.client.local.SqliteLocalStore} to keep them across restarts; the client
   *     closes it when it closes
   * @return this
   */
  public KoraClientOptions setLocalStore(LocalStore localStore) {
    this.localStore = Objects.requireNonNull(localStore, "localStore");
    return this;
  }

  /** @return the first reconnect delay (ms) */
  public long getReconnectInitialDelayMs() {
    return reconnectInitialDelayMs;
  }

  /**
   * Reconnect delays double from this one up to {@link #setReconnectMaxDelayMs}; each is drawn at
   * random between half and all of it ("equal jitter"), so clients a node dropped together do not
   * return together.
   *
   * @param ms the first delay, default 100 ms; at least 1
   * @return this
   */
  public KoraClientOptions setReconnectInitialDelayMs(long ms) {
    this.reconnectInitialDelayMs = positive(ms, "reconnectInitialDelayMs");
    return this;
  }

  /** @return the longest reconnect delay (ms) */
  public long getReconnectMaxDelayMs() {
    return reconnectMaxDelayMs;
  }

  /**
   * @param ms the longest reconnect delay, default 10,000 ms; at least 1
   * @return this
   */
  public KoraClientOptions setReconnectMaxDelayMs(long ms) {
    this.reconnectMaxDelayMs = positive(ms, "reconnectMaxDelayMs");
    return this;
  }

  /** @return the most writes sent and not yet answered */
  public int getMaxWritesInFlight() {
    return maxWritesInFlight;
  }

  /**
   * @param count the most writes sent and not yet answered, default 64; 1 sends one at a time.
   *     Writes that touch overlapping paths are never in flight together, whatever this is.
   * @return this
   */
  public KoraClientOptions setMaxWritesInFlight(int count) {
    this.maxWritesInFlight = (int) positive(count, "maxWritesInFlight");
    return this;
  }

  /** @return the time between two keep-alive pings (ms) */
  public long getPingIntervalMs() {
    return pingIntervalMs;
  }

  /**
   * @param ms time between two pings on a quiet connection, default 15,000 ms; a ping unanswered
   *     for as long again closes the connection and the client reconnects (a half-open TCP
   *     connection is found this way). 0 turns pings off.
   * @return this
   */
  public KoraClientOptions setPingIntervalMs(long ms) {
    if (ms < 0) {
      throw new IllegalArgumentException("pingIntervalMs must be 0 (off) or more, got " + ms);
    }
    this.pingIntervalMs = ms;
    return this;
  }

  /** @return how long a query or action call may wait for its answer (ms) */
  public long getCallTimeoutMs() {
    return callTimeoutMs;
  }

  /**
   * @param ms how long {@link KoraClient#query} and {@link KoraClient#call} wait for the node's
   *     answer before failing with {@code timeout}, default 30,000 ms
   * @return this
   */
  public KoraClientOptions setCallTimeoutMs(long ms) {
    this.callTimeoutMs = positive(ms, "callTimeoutMs");
    return this;
  }

  /** @return the WebSocket client options */
  public WebSocketClientOptions getWebSocketOptions() {
    return webSocketOptions;
  }

  /**
   * @param options WebSocket client options (TLS trust, proxies); by default frames up to 16 MiB
   * @return this
   */
  public KoraClientOptions setWebSocketOptions(WebSocketClientOptions options) {
    this.webSocketOptions = Objects.requireNonNull(options, "options");
    return this;
  }

  /** @return the handshake hook */
  public Function<WebSocketConnectOptions, Future<WebSocketConnectOptions>> getHandshake() {
    return handshake;
  }

  /**
   * @param handshake called before every connection attempt with the target (host, port, path);
   *     may add headers, e.g. {@code target.addHeader("Authorization", "Bearer " + token)}, after
   *     fetching a fresh token; a failed future counts as a failed attempt
   * @return this
   */
  public KoraClientOptions setHandshake(
      Function<WebSocketConnectOptions, Future<WebSocketConnectOptions>> handshake) {
    this.handshake = Objects.requireNonNull(handshake, "handshake");
    return this;
  }

  private static long positive(long value, String name) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be at least 1, got " + value);
    }
    return value;
  }
}
