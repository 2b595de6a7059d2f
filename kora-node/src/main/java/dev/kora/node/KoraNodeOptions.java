package dev.kora.node;

import dev.kora.auth.JwtOptions;
import dev.kora.interceptors.KoraPlugin;
import dev.kora.storage.StoreOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * How a {@link KoraNode} runs: where it listens, which store it uses and its limits.
 *
 * <pre>{@code
 * new KoraNodeOptions().setPort(12000).setStore(new StoreOptions().setUrl("sqlite:/var/kora/kora.db"))
 * }</pre>
 */
public class KoraNodeOptions {

  /** Default interface to listen on: {@code 127.0.0.1} (loopback only, safe by default). */
  public static final String DEFAULT_HOST = "127.0.0.1";
  /** {@link #setLogFormat log format}: java.util.logging's text lines, as configured. */
  public static final String LOG_FORMAT_TEXT = "text";
  /** {@link #setLogFormat log format}: one JSON object per line. */
  public static final String LOG_FORMAT_JSON = "json";
  /** Default port: 12000. */
  public static final int DEFAULT_PORT = 12000;
  /** Default largest WebSocket message or HTTP body accepted: 16 MiB. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
  /** Default most bytes waiting to be sent to one WebSocket connection: 64 MiB. */
  public static final long DEFAULT_MAX_BACKLOG_BYTES = 64L * 1024 * 1024;
  /** Default time a client has to send a whole HTTP request head (or upgrade request): 10 s. */
  public static final long DEFAULT_REQUEST_HEADER_TIMEOUT_MS = 10_000;
  /** Default time a WebSocket connection without subscriptions may send nothing: 5 minutes. */
  public static final long DEFAULT_WEB_SOCKET_IDLE_TIMEOUT_MS = 5 * 60_000;
  /** Default time a client has to finish a message it began in fragments: 30 s. */
  public static final long DEFAULT_FRAGMENTED_MESSAGE_TIMEOUT_MS = 30_000;
  /** Default most open connections from one client IP address: 20,000. */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 20_000;
  /** Default most reads (queries, subscribes) one client connection may have in progress: 4. */
  public static final int DEFAULT_MAX_READS_PER_CONNECTION = 4;
  /** Default most paths one query or subscribe may name: 1,000. */
  public static final int DEFAULT_MAX_QUERY_PATHS = 1_000;
  /** Default most bytes one client's query answer may read: 64 MiB. */
  public static final long DEFAULT_MAX_ANSWER_BYTES = 64L * 1024 * 1024;
  /** Default most mutations committed in one store transaction (group commit): 2,048. */
  public static final int DEFAULT_MAX_BATCH_MUTATIONS = 2_048;
  /** How long a member waits for the cluster's leader by default, ms. */
  public static final long DEFAULT_CLUSTER_TIMEOUT_MS = 5_000;
  /** Default most mutations waiting for the store before new ones are refused: 100,000. */
  public static final int DEFAULT_MAX_PENDING_MUTATIONS = 100_000;
  /** Default most leaves and deleted paths in one mutation from a client: 100,000. */
  public static final int DEFAULT_MAX_LEAVES_PER_MUTATION = 100_000;
  /** Default most mutations of one client connection waiting for their commit: 1,000. */
  public static final int DEFAULT_MAX_PENDING_WRITES_PER_CONNECTION = 1_000;
  /** Default size from which a frame or request body is parsed on a worker thread: 64 KiB. */
  public static final int DEFAULT_WORKER_PARSE_BYTES = 64 * 1024;

  /**
   * Default origins allowed besides the node's own: none (browsers may use the node only from pages
   * it serves itself; clients that send no {@code Origin} are not affected).
   */
  public static final List<String> DEFAULT_ALLOWED_ORIGINS = List.of();
  /**
   * Default host names allowed besides the loopback names: none (a node on a loopback address takes
   * only loopback names, a node on another address every name).
   */
  public static final List<String> DEFAULT_ALLOWED_HOSTS = List.of();

  /**
   * Default most entries the change log keeps: 1,000,000 (a day of 11 commits/s; each entry holds
   * its mutation, so the log's size is about the data written in that time).
   */
  public static final long DEFAULT_CHANGE_LOG_MAX_ENTRIES = 1_000_000;
  /** Default longest time the change log keeps an entry: 24 hours. */
  public static final long DEFAULT_CHANGE_LOG_MAX_AGE_MS = 24 * 60 * 60_000L;
  /** Default time between two trims of the change log: 10 s. */
  public static final long DEFAULT_CHANGE_LOG_TRIM_INTERVAL_MS = 10_000;

  /** Default most tries of an effect job before it is kept as failed: 8. */
  public static final int DEFAULT_JOB_MAX_ATTEMPTS = 8;
  /** Default wait before the first retry of a failed job, doubled each time: 1,000 ms. */
  public static final long DEFAULT_JOB_BACKOFF_MS = 1_000;

  private String host = DEFAULT_HOST;
  private int port = DEFAULT_PORT;
  private boolean listen = true;
  private StoreOptions store = new StoreOptions();
  private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  private long maxBacklogBytes = DEFAULT_MAX_BACKLOG_BYTES;
  private long requestHeaderTimeoutMs = DEFAULT_REQUEST_HEADER_TIMEOUT_MS;
  private long webSocketIdleTimeoutMs = DEFAULT_WEB_SOCKET_IDLE_TIMEOUT_MS;
  private long fragmentedMessageTimeoutMs = DEFAULT_FRAGMENTED_MESSAGE_TIMEOUT_MS;
  private int maxConnectionsPerAddress = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
  private int maxReadsPerConnection = DEFAULT_MAX_READS_PER_CONNECTION;
  private int maxQueryPaths = DEFAULT_MAX_QUERY_PATHS;
  private long maxAnswerBytes = DEFAULT_MAX_ANSWER_BYTES;
  private int maxBatchMutations = DEFAULT_MAX_BATCH_MUTATIONS;
  private int maxPendingMutations = DEFAULT_MAX_PENDING_MUTATIONS;
  private int maxLeavesPerMutation = DEFAULT_MAX_LEAVES_PER_MUTATION;
  private int maxPendingWritesPerConnection = DEFAULT_MAX_PENDING_WRITES_PER_CONNECTION;
  private int workerParseBytes = DEFAULT_WORKER_PARSE_BYTES;
  private boolean changeLog = true;
  private String logFormat = LOG_FORMAT_TEXT;
  private boolean logRequests;
  private long changeLogMaxEntries = DEFAULT_CHANGE_LOG_MAX_ENTRIES;
  private long changeLogMaxAgeMs = DEFAULT_CHANGE_LOG_MAX_AGE_MS;
  private long changeLogTrimIntervalMs = DEFAULT_CHANGE_LOG_TRIM_INTERVAL_MS;
  private int jobMaxAttempts = DEFAULT_JOB_MAX_ATTEMPTS;
  private long jobBackoffMs = DEFAULT_JOB_BACKOFF_MS;
  private List<String> allowedOrigins = DEFAULT_ALLOWED_ORIGINS;
  private List<String> allowedHosts = DEFAULT_ALLOWED_HOSTS;
  private double maxMutationsPerSecond;
  private double maxBytesPerSecond;
  private double maxMutationsPerSecondPerAddress;
  private double maxBytesPerSecondPerAddress;
  private JwtOptions auth;
  private boolean allowAnonymous;
  private boolean insecure;
  private String tlsCertPath;
  private String tlsKeyPath;
  private String rulesPath;
  private long rulesCheckIntervalMs = dev.kora.rules.RulesFile.DEFAULT_CHECK_INTERVAL_MS;
  private int clusterSize;
  private long clusterTimeoutMs = DEFAULT_CLUSTER_TIMEOUT_MS;
  private final List<KoraPlugin> plugins = new ArrayList<>();

  /** Options with every default. */
  public KoraNodeOptions() {
  }

  /** @param other options to copy */
  public KoraNodeOptions(KoraNodeOptions other) {
    this.host = other.host;
    this.port = other.port;
    this.listen = other.listen;
    this.store = new StoreOptions(other.store);
    this.maxFrameBytes = other.maxFrameBytes;
    this.maxBacklogBytes = other.maxBacklogBytes;
    this.requestHeaderTimeoutMs = other.requestHeaderTimeoutMs;
    this.webSocketIdleTimeoutMs = other.webSocketIdleTimeoutMs;
    this.fragmentedMessageTimeoutMs = other.fragmentedMessageTimeoutMs;
    this.maxConnectionsPerAddress = other.maxConnectionsPerAddress;
    this.maxReadsPerConnection = other.maxReadsPerConnection;
    this.maxQueryPaths = other.maxQueryPaths;
    this.maxAnswerBytes = other.maxAnswerBytes;
    this.maxBatchMutations = other.maxBatchMutations;
    this.maxPendingMutations = other.maxPendingMutations;
    this.maxLeavesPerMutation = other.maxLeavesPerMutation;
    this.maxPendingWritesPerConnection = other.maxPendingWritesPerConnection;
    this.workerParseBytes = other.workerParseBytes;
    this.changeLog = other.changeLog;
    this.logFormat = other.logFormat;
    this.logRequests = other.logRequests;
    this.changeLogMaxEntries = other.changeLogMaxEntries;
    this.changeLogMaxAgeMs = other.changeLogMaxAgeMs;
    this.changeLogTrimIntervalMs = other.changeLogTrimIntervalMs;
    this.jobMaxAttempts = other.jobMaxAttempts;
    this.jobBackoffMs = other.jobBackoffMs;
    this.allowedOrigins = other.allowedOrigins;
    this.allowedHosts = other.allowedHosts;
    this.maxMutationsPerSecond = other.maxMutationsPerSecond;
    this.maxBytesPerSecond = other.maxBytesPerSecond;
    this.maxMutationsPerSecondPerAddress = other.maxMutationsPerSecondPerAddress;
    this.maxBytesPerSecondPerAddress = other.maxBytesPerSecondPerAddress;
    this.auth = other.auth == null ? null : new JwtOptions(other.auth.toJson());
    this.allowAnonymous = other.allowAnonymous;
    this.insecure = other.insecure;
    this.tlsCertPath = other.tlsCertPath;
    this.tlsKeyPath = other.tlsKeyPath;
    this.rulesPath = other.rulesPath;
    this.rulesCheckIntervalMs = other.rulesCheckIntervalMs;
    this.clusterSize = other.clusterSize;
    this.clusterTimeoutMs = other.clusterTimeoutMs;
    this.plugins.addAll(other.plugins);
  }

  /**
   * @param json the form of {@link #toJson()}; missing fields keep their defaults
   */
  public KoraNodeOptions(JsonObject json) {
    this.host = json.getString("host", DEFAULT_HOST);
    this.port = json.getInteger("port", DEFAULT_PORT);
    this.listen = json.getBoolean("listen", true);
    JsonObject storeJson = json.getJsonObject("store");
    this.store = storeJson == null ? new StoreOptions() : new StoreOptions(storeJson);
    this.maxFrameBytes = json.getInteger("maxFrameBytes", DEFAULT_MAX_FRAME_BYTES);
    this.maxBacklogBytes = json.getLong("maxBacklogBytes", DEFAULT_MAX_BACKLOG_BYTES);
    this.requestHeaderTimeoutMs = json.getLong("requestHeaderTimeoutMs",
        DEFAULT_REQUEST_HEADER_TIMEOUT_MS);
    this.webSocketIdleTimeoutMs = json.getLong("webSocketIdleTimeoutMs",
        DEFAULT_WEB_SOCKET_IDLE_TIMEOUT_MS);
    this.fragmentedMessageTimeoutMs = json.getLong("fragmentedMessageTimeoutMs",
        DEFAULT_FRAGMENTED_MESSAGE_TIMEOUT_MS);
    this.maxConnectionsPerAddress = json.getInteger("maxConnectionsPerAddress",
        DEFAULT_MAX_CONNECTIONS_PER_ADDRESS);
    this.maxReadsPerConnection = json.getInteger("maxReadsPerConnection",
        DEFAULT_MAX_READS_PER_CONNECTION);
    this.maxQueryPaths = json.getInteger("maxQueryPaths", DEFAULT_MAX_QUERY_PATHS);
    this.maxAnswerBytes = json.getLong("maxAnswerBytes", DEFAULT_MAX_ANSWER_BYTES);
    this.maxBatchMutations = json.getInteger("maxBatchMutations", DEFAULT_MAX_BATCH_MUTATIONS);
    this.maxPendingMutations = json.getInteger("maxPendingMutations",
        DEFAULT_MAX_PENDING_MUTATIONS);
    this.maxLeavesPerMutation = json.getInteger("maxLeavesPerMutation",
        DEFAULT_MAX_LEAVES_PER_MUTATION);
    this.maxPendingWritesPerConnection = json.getInteger("maxPendingWritesPerConnection",
        DEFAULT_MAX_PENDING_WRITES_PER_CONNECTION);
    this.workerParseBytes = json.getInteger("workerParseBytes", DEFAULT_WORKER_PARSE_BYTES);
    this.changeLog = json.getBoolean("changeLog", true);
    setLogFormat(json.getString("logFormat", LOG_FORMAT_TEXT));
    this.logRequests = json.getBoolean("logRequests", false);
    this.changeLogMaxEntries = json.getLong("changeLogMaxEntries", DEFAULT_CHANGE_LOG_MAX_ENTRIES);
    this.changeLogMaxAgeMs = json.getLong("changeLogMaxAgeMs", DEFAULT_CHANGE_LOG_MAX_AGE_MS);
    this.changeLogTrimIntervalMs = json.getLong("changeLogTrimIntervalMs",
        DEFAULT_CHANGE_LOG_TRIM_INTERVAL_MS);
    this.jobMaxAttempts = json.getInteger("jobMaxAttempts", DEFAULT_JOB_MAX_ATTEMPTS);
    this.jobBackoffMs = json.getLong("jobBackoffMs", DEFAULT_JOB_BACKOFF_MS);
    this.allowedOrigins = strings(json.getJsonArray("allowedOrigins"), "allowedOrigins");
    this.allowedHosts = strings(json.getJsonArray("allowedHosts"), "allowedHosts");
    this.maxMutationsPerSecond = rate(json, "maxMutationsPerSecond");
    this.maxBytesPerSecond = rate(json, "maxBytesPerSecond");
    this.maxMutationsPerSecondPerAddress = rate(json, "maxMutationsPerSecondPerAddress");
    this.maxBytesPerSecondPerAddress = rate(json, "maxBytesPerSecondPerAddress");
    JsonObject authJson = json.getJsonObject("auth");
    this.auth = authJson == null ? null : new JwtOptions(authJson);
    this.allowAnonymous = json.getBoolean("allowAnonymous", false);
    this.insecure = json.getBoolean("insecure", false);
    this.tlsCertPath = json.getString("tlsCertPath");
    this.tlsKeyPath = json.getString("tlsKeyPath");
    this.rulesPath = json.getString("rules");
    setRulesCheckIntervalMs(json.getLong("rulesCheckIntervalMs",
        dev.kora.rules.RulesFile.DEFAULT_CHECK_INTERVAL_MS));
    setClusterSize(json.getInteger("clusterSize", clusterSize));
    setClusterTimeoutMs(json.getLong("clusterTimeoutMs", clusterTimeoutMs));
  }

  private static double rate(JsonObject json, String name) {
    Object value = json.getValue(name, 0);
    if (!(value instanceof Number number) || number.doubleValue() < 0) {
      throw new IllegalArgumentException(name + " must be a number of at least 0 (0: no limit), got "
          + value);
    }
    return number.doubleValue();
  }

  private static List<String> strings(JsonArray array, String name) {
    List<String> values = new ArrayList<>();
    if (array != null) {
      for (Object value : array) {
        if (!(value instanceof String text)) {
          throw new IllegalArgumentException(name + " must be a list of strings, got " + array);
        }
        values.add(text);
      }
    }
    return List.copyOf(values);
  }

  /** @return the interface to listen on */
  public String getHost() {
    return host;
  }

  /**
   * @param host interface address; default {@value #DEFAULT_HOST}; {@code 0.0.0.0} for all
   * @return these options
   */
  public KoraNodeOptions setHost(String host) {
    this.host = Objects.requireNonNull(host, "host");
    return this;
  }

  /** @return the port for WebSocket and HTTP */
  public int getPort() {
    return port;
  }

  /**
   * @param port 0 to 65535; 0 picks a free port (see {@link KoraNode#actualPort()}); default
   *     {@value #DEFAULT_PORT}
   * @return these options
   */
  public KoraNodeOptions setPort(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0 to 65535, got " + port);
    }
    this.port = port;
    return this;
  }

  /** @return whether the node opens its WebSocket/HTTP port (false: embedded API only) */
  public boolean isListen() {
    return listen;
  }

  /**
   * @param listen false to serve only the embedded Java API and the event bus (e.g. for imports);
   *     default true
   * @return these options
   */
  public KoraNodeOptions setListen(boolean listen) {
    this.listen = listen;
    return this;
  }

  /** @return the store options */
  public StoreOptions getStore() {
    return store;
  }

  /**
   * @param store which store to use; default the in-memory store (the CLI defaults to SQLite)
   * @return these options
   */
  public KoraNodeOptions setStore(StoreOptions store) {
    this.store = Objects.requireNonNull(store, "store");
    return this;
  }

  /** @return the largest WebSocket message or HTTP body accepted, in bytes */
  public int getMaxFrameBytes() {
    return maxFrameBytes;
  }

  /**
   * @param maxFrameBytes bytes, at least 1,024; default 16 MiB. Larger messages are refused with
   *     {@code too_large}.
   * @return these options
   */
  public KoraNodeOptions setMaxFrameBytes(int maxFrameBytes) {
    if (maxFrameBytes < 1024) {
      throw new IllegalArgumentException("maxFrameBytes must be at least 1024");
    }
    this.maxFrameBytes = maxFrameBytes;
    return this;
  }

  /** @return the most bytes of answers and pushes waiting to be sent to one connection */
  public long getMaxBacklogBytes() {
    return maxBacklogBytes;
  }

  /**
   * Bounds what a client that reads slower than it is sent to can cost the node, on every transport.
   * Counted are the bytes that wait to be sent to one connection in the node, beyond what the
   * operating system's socket buffer took.
   *
   * <ul>
   *   <li>WebSocket: when a reply, push or control frame (a pong) is due and more than this many bytes
   *       wait, its subscriptions are dropped, a close frame with status 1008 is queued behind what
   *       waits, and the connection is closed once that frame is written or a few seconds later (then
   *       the client sees 1006). Well before the limit, the node stops reading the connection's
   *       requests while its output is not writable (more than the smaller of 1 MiB and half this
   *       limit waits) and reads again once it has drained, so a client that sends without reading
   *       slows itself down instead of filling the node's memory.</li>
   *   <li>Server-sent events: when a push is due and more than this many bytes wait, the stream's
   *       HTTP connection is closed and its subscription dropped.</li>
   *   <li>HTTP requests: while more than this many bytes of earlier answers wait, the node answers no
   *       further request of that connection and reads none (pipelined requests wait in the
   *       operating system's buffers); it goes on once the client has read down to half the limit.</li>
   * </ul>
   *
   * <p>Nothing stored is lost, and a client that connects and subscribes again gets the current data.
   * A single answer larger than the limit is still sent.
   *
   * @param maxBacklogBytes bytes, at least 65,536; default 64 MiB
   * @return these options
   */
  public KoraNodeOptions setMaxBacklogBytes(long maxBacklogBytes) {
    if (maxBacklogBytes < 65_536) {
      throw new IllegalArgumentException("maxBacklogBytes must be at least 65536");
    }
    this.maxBacklogBytes = maxBacklogBytes;
    return this;
  }

  /** @return ms a client has to send a whole HTTP request head, upgrade requests included */
  public long getRequestHeaderTimeoutMs() {
    return requestHeaderTimeoutMs;
  }

  /**
   * Bounds how long a connection may hold the node's resources (a socket, a file descriptor) without
   * saying what it wants: an HTTP connection that has not sent the whole head (request line and
   * headers) of its request within this many ms of being accepted, or of the previous response's
   * end on a kept-alive connection, is closed. A request's body and its answer are not timed by it;
   * a WebSocket or an event stream, once accepted, no longer is.
   *
   * @param requestHeaderTimeoutMs ms, at least 1; default {@value #DEFAULT_REQUEST_HEADER_TIMEOUT_MS}
   * @return these options
   */
  public KoraNodeOptions setRequestHeaderTimeoutMs(long requestHeaderTimeoutMs) {
    if (requestHeaderTimeoutMs < 1) {
      throw new IllegalArgumentException("requestHeaderTimeoutMs must be at least 1");
    }
    this.requestHeaderTimeoutMs = requestHeaderTimeoutMs;
    return this;
  }

  /** @return ms a WebSocket connection without subscriptions may send nothing; 0: no limit */
  public long getWebSocketIdleTimeoutMs() {
    return webSocketIdleTimeoutMs;
  }

  /**
   * A WebSocket connection that holds no subscription and from which nothing (no frame, not even a
   * ping) has been read for this many ms is closed with status 1001. A connection that holds a
   * subscription is never closed for being idle: waiting for pushes is what it is for.
   *
   * @param webSocketIdleTimeoutMs ms, 0 to keep idle connections forever; default 5 minutes
   * @return these options
   */
  public KoraNodeOptions setWebSocketIdleTimeoutMs(long webSocketIdleTimeoutMs) {
    if (webSocketIdleTimeoutMs < 0) {
      throw new IllegalArgumentException("webSocketIdleTimeoutMs must be 0 (off) or more");
    }
    this.webSocketIdleTimeoutMs = webSocketIdleTimeoutMs;
    return this;
  }

  /** @return ms a client has to send the last fragment of a WebSocket message it began */
  public long getFragmentedMessageTimeoutMs() {
    return fragmentedMessageTimeoutMs;
  }

  /**
   * A WebSocket message sent in fragments (a first frame without FIN, then continuation frames) must
   * be finished within this many ms of its first fragment; otherwise the part received is released
   * and the connection is closed with status 1008 (policy violation: the message is within the size
   * limit, the client broke the time limit).
   *
   * @param fragmentedMessageTimeoutMs ms, at least 1; default
   *     {@value #DEFAULT_FRAGMENTED_MESSAGE_TIMEOUT_MS}
   * @return these options
   */
  public KoraNodeOptions setFragmentedMessageTimeoutMs(long fragmentedMessageTimeoutMs) {
    if (fragmentedMessageTimeoutMs < 1) {
      throw new IllegalArgumentException("fragmentedMessageTimeoutMs must be at least 1");
    }
    this.fragmentedMessageTimeoutMs = fragmentedMessageTimeoutMs;
    return this;
  }

  /** @return the most open HTTP and WebSocket connections from one client IP address */
  public int getMaxConnectionsPerAddress() {
    return maxConnectionsPerAddress;
  }

  /**
   * Bounds the connections (HTTP, event streams and WebSockets together) one client IP address may
   * hold open, so that one client cannot take every file descriptor of the node. A connection beyond
   * the cap is answered at once with HTTP 503 and {@code {"code": "too_many_connections", ...}}, then
   * closed, and the node logs the first refusal of each episode. Clients behind one proxy or NAT
   * share one address: raise the cap for them.
   *
   * @param maxConnectionsPerAddress at least 1; default {@value #DEFAULT_MAX_CONNECTIONS_PER_ADDRESS}
   * @return these options
   */
  public KoraNodeOptions setMaxConnectionsPerAddress(int maxConnectionsPerAddress) {
    if (maxConnectionsPerAddress < 1) {
      throw new IllegalArgumentException("maxConnectionsPerAddress must be at least 1");
    }
    this.maxConnectionsPerAddress = maxConnectionsPerAddress;
    return this;
  }

  /** @return the most reads one client connection may have in progress at once */
  public int getMaxReadsPerConnection() {
    return maxReadsPerConnection;
  }

  /**
   * Bounds the store work one client connection (a WebSocket, an SSE stream, a REST request) can
   * hold at once: a further query or subscribe waits, in order, until one of them has answered; only
   * beyond {@value dev.kora.node.core.Connection#MAX_WAITING_READS} waiting ones is it refused with
   * {@code too_many_reads} (HTTP 429), nothing of it run. Each read holds a store cursor (a read connection of the database
   * stores) while its rows are pulled.
   *
   * @param maxReadsPerConnection reads, at least 1; default {@value #DEFAULT_MAX_READS_PER_CONNECTION}
   * @return these options
   */
  public KoraNodeOptions setMaxReadsPerConnection(int maxReadsPerConnection) {
    if (maxReadsPerConnection < 1) {
      throw new IllegalArgumentException("maxReadsPerConnection must be at least 1");
    }
    this.maxReadsPerConnection = maxReadsPerConnection;
    return this;
  }

  /** @return the most paths one query or subscribe may name */
  public int getMaxQueryPaths() {
    return maxQueryPaths;
  }

  /**
   * Bounds the work of one query or subscribe: one naming more paths is refused with
   * {@code too_large} (HTTP 413) and nothing of it runs. A subscribe registers its paths while
   * writes wait, so this also bounds that pause.
   *
   * @param maxQueryPaths paths, at least 1; default {@value #DEFAULT_MAX_QUERY_PATHS}
   * @return these options
   */
  public KoraNodeOptions setMaxQueryPaths(int maxQueryPaths) {
    if (maxQueryPaths < 1) {
      throw new IllegalArgumentException("maxQueryPaths must be at least 1");
    }
    this.maxQueryPaths = maxQueryPaths;
    return this;
  }

  /** @return whether committed mutations are kept in the change log */
  public boolean isChangeLog() {
    return changeLog;
  }

  /**
   * Turns the change log on or off. On (the default), every committed mutation is kept, with its
   * version, in the store, in the same transaction as the data: a query with {@code since} then
   * answers only what changed, and mutation ids make resends exactly-once. Off, versions still
   * last (the counter is still written with every commit), every {@code since} older than the
   * current version is answered with the full data and {@code "reset": true}, and a mutation that
   * carries an {@code id} is refused with {@code invalid_mutation} (exactly-once needs the log).
   * Off is meant for measuring the log's cost; entries left from a run with the log on are trimmed.
   *
   * @param changeLog whether to keep the log
   * @return these options
   */
  public KoraNodeOptions setChangeLog(boolean changeLog) {
    this.changeLog = changeLog;
    return this;
  }

  /** @return {@value #LOG_FORMAT_TEXT} or {@value #LOG_FORMAT_JSON} */
  public String getLogFormat() {
    return logFormat;
  }

  /**
   * How log lines look. {@value #LOG_FORMAT_TEXT} (the default) leaves java.util.logging as it is
   * configured; {@value #LOG_FORMAT_JSON} makes every handler of its root logger write one JSON
   * object per line ({@link dev.kora.node.logging.JsonLogFormatter}: {@code time}, {@code level},
   * {@code logger}, {@code message}, the fields of request lines such as {@code requestId}, and
   * {@code error}) when the node starts. That is JVM-wide: other libraries' java.util.logging lines
   * become JSON too; an application that routes {@link System.Logger} to another backend configures
   * that backend instead.
   *
   * @param logFormat {@value #LOG_FORMAT_TEXT} or {@value #LOG_FORMAT_JSON}
   * @return these options
   * @throws IllegalArgumentException for another value
   */
  public KoraNodeOptions setLogFormat(String logFormat) {
    if (!LOG_FORMAT_TEXT.equals(logFormat) && !LOG_FORMAT_JSON.equals(logFormat)) {
      throw new IllegalArgumentException("logFormat must be \"" + LOG_FORMAT_TEXT + "\" or \""
          + LOG_FORMAT_JSON + "\", got '" + logFormat + "'");
    }
    this.logFormat = logFormat;
    return this;
  }

  /** @return whether every answered request is logged */
  public boolean isLogRequests() {
    return logRequests;
  }

  /**
   * Logs every answered client request (WebSocket call, REST request) at {@code INFO}, with its
   * request id, what was asked, its outcome and its duration ({@link
   * dev.kora.node.logging.RequestLog}). Off (the default), only requests that failed on the node's
   * side ({@code internal}, {@code store_unavailable}, ...) are logged, at {@code WARNING}.
   *
   * @param logRequests whether to log every request
   * @return these options
   */
  public KoraNodeOptions setLogRequests(boolean logRequests) {
    this.logRequests = logRequests;
    return this;
  }

  /** @return the most entries the change log keeps */
  public long getChangeLogMaxEntries() {
    return changeLogMaxEntries;
  }

  /**
   * Bounds the change log by count: older entries (and the ids they carry) are trimmed in the
   * background, and a {@code since} older than the log is answered in full ({@code "reset": true}).
   *
   * @param changeLogMaxEntries entries, at least 1; default
   *     {@value #DEFAULT_CHANGE_LOG_MAX_ENTRIES}
   * @return these options
   */
  public KoraNodeOptions setChangeLogMaxEntries(long changeLogMaxEntries) {
    if (changeLogMaxEntries < 1) {
      throw new IllegalArgumentException("changeLogMaxEntries must be at least 1;"
          + " use setChangeLog(false) to turn the log off");
    }
    this.changeLogMaxEntries = changeLogMaxEntries;
    return this;
  }

  /** @return the longest time the change log keeps an entry, ms */
  public long getChangeLogMaxAgeMs() {
    return changeLogMaxAgeMs;
  }

  /**
   * Bounds the change log by age: entries committed longer ago are trimmed in the background.
   *
   * @param changeLogMaxAgeMs ms, at least 1; default {@value #DEFAULT_CHANGE_LOG_MAX_AGE_MS}
   * @return these options
   */
  public KoraNodeOptions setChangeLogMaxAgeMs(long changeLogMaxAgeMs) {
    if (changeLogMaxAgeMs < 1) {
      throw new IllegalArgumentException("changeLogMaxAgeMs must be at least 1");
    }
    this.changeLogMaxAgeMs = changeLogMaxAgeMs;
    return this;
  }

  /** @return the time between two trims of the change log, ms */
  public long getChangeLogTrimIntervalMs() {
    return changeLogTrimIntervalMs;
  }

  /**
   * @param changeLogTrimIntervalMs ms between two trims, at least 1; default
   *     {@value #DEFAULT_CHANGE_LOG_TRIM_INTERVAL_MS}
   * @return these options
   */
  public KoraNodeOptions setChangeLogTrimIntervalMs(long changeLogTrimIntervalMs) {
    if (changeLogTrimIntervalMs < 1) {
      throw new IllegalArgumentException("changeLogTrimIntervalMs must be at least 1");
    }
    this.changeLogTrimIntervalMs = changeLogTrimIntervalMs;
    return this;
  }

  /** @return the most bytes one client's query answer may read */
  public long getMaxAnswerBytes() {
    return maxAnswerBytes;
  }

  /**
   * Bounds the memory one client's read takes: a query, subscribe, REST {@code GET} or SSE answer
   * whose leaves (their stored JSON text and keys, about the answer's JSON size) come to more is
   * refused with {@code too_large} (HTTP 413) as soon as the read passes the limit, and what was read
   * is dropped; the client reads such a subtree in pages ({@code min}, {@code max}, {@code limit}).
   * Reads by the server itself (the embedded API, the event bus, interceptors) are not bounded.
   *
   * @param maxAnswerBytes bytes, at least 1; default 64 MiB ({@value #DEFAULT_MAX_ANSWER_BYTES})
   * @return these options
   */
  public KoraNodeOptions setMaxAnswerBytes(long maxAnswerBytes) {
    if (maxAnswerBytes < 1) {
      throw new IllegalArgumentException("maxAnswerBytes must be at least 1");
    }
    this.maxAnswerBytes = maxAnswerBytes;
    return this;
  }

  /** @return the most mutations committed in one store transaction */
  public int getMaxBatchMutations() {
    return maxBatchMutations;
  }

  /**
   * @param maxBatchMutations at least 1 (1 turns group commit off); default
   *     {@value #DEFAULT_MAX_BATCH_MUTATIONS}
   * @return these options
   */
  public KoraNodeOptions setMaxBatchMutations(int maxBatchMutations) {
    if (maxBatchMutations < 1) {
      throw new IllegalArgumentException("maxBatchMutations must be at least 1");
    }
    this.maxBatchMutations = maxBatchMutations;
    return this;
  }

  /** @return the most mutations that may wait for the store */
  public int getMaxPendingMutations() {
    return maxPendingMutations;
  }

  /**
   * @param maxPendingMutations at least 1; past it new mutations fail with {@code store_unavailable};
   *     default {@value #DEFAULT_MAX_PENDING_MUTATIONS}
   * @return these options
   */
  public KoraNodeOptions setMaxPendingMutations(int maxPendingMutations) {
    if (maxPendingMutations < 1) {
      throw new IllegalArgumentException("maxPendingMutations must be at least 1");
    }
    this.maxPendingMutations = maxPendingMutations;
    return this;
  }

  /** @return the most leaves and deleted paths in one mutation from a client */
  public int getMaxLeavesPerMutation() {
    return maxLeavesPerMutation;
  }

  /**
   * Bounds the work and memory one client mutation can cost: a mutation from a client (WebSocket,
   * REST) that writes more leaves plus deletes more paths than this is refused with
   * {@code too_large} and nothing of it is written. An array counts as one leaf. Writes of the
   * embedded API, the event bus and {@code kora import} (which batches) are not bounded.
   *
   * @param maxLeavesPerMutation at least 1; default {@value #DEFAULT_MAX_LEAVES_PER_MUTATION}
   * @return these options
   */
  public KoraNodeOptions setMaxLeavesPerMutation(int maxLeavesPerMutation) {
    if (maxLeavesPerMutation < 1) {
      throw new IllegalArgumentException("maxLeavesPerMutation must be at least 1");
    }
    this.maxLeavesPerMutation = maxLeavesPerMutation;
    return this;
  }

  /** @return the most mutations of one client connection waiting for their commit */
  public int getMaxPendingWritesPerConnection() {
    return maxPendingWritesPerConnection;
  }

  /**
   * Bounds one connection's share of the node's write queue ({@link #getMaxPendingMutations()}), so
   * that a client sending mutations faster than the store commits them (casts need no answer) cannot
   * fill it and make other clients' writes fail: once this many of its mutations wait for their
   * commit, the node stops reading the connection's WebSocket until some of them are committed.
   * Nothing is refused; the client's sends slow down to the store's pace (TCP flow control).
   *
   * @param maxPendingWritesPerConnection mutations, at least 1; default
   *     {@value #DEFAULT_MAX_PENDING_WRITES_PER_CONNECTION}
   * @return these options
   */
  public KoraNodeOptions setMaxPendingWritesPerConnection(int maxPendingWritesPerConnection) {
    if (maxPendingWritesPerConnection < 1) {
      throw new IllegalArgumentException("maxPendingWritesPerConnection must be at least 1");
    }
    this.maxPendingWritesPerConnection = maxPendingWritesPerConnection;
    return this;
  }

  /** @return the size from which a frame or request body is parsed on a worker thread */
  public int getWorkerParseBytes() {
    return workerParseBytes;
  }

  /**
   * Keeps large requests from stalling the node's event loop, which serves every connection: a
   * WebSocket frame of more characters than this (and a REST body of more bytes) is parsed and its
   * mutation or query checked on a worker thread. Meanwhile the connection's later frames wait, so
   * they are still handled in the order sent. Smaller ones are parsed on the event loop, where that
   * costs less than the hand-off.
   *
   * @param workerParseBytes at least 1,024; default {@value #DEFAULT_WORKER_PARSE_BYTES}
   * @return these options
   */
  public KoraNodeOptions setWorkerParseBytes(int workerParseBytes) {
    if (workerParseBytes < 1024) {
      throw new IllegalArgumentException("workerParseBytes must be at least 1024");
    }
    this.workerParseBytes = workerParseBytes;
    return this;
  }

  /** @return the most tries of an effect job */
  public int getJobMaxAttempts() {
    return jobMaxAttempts;
  }

  /**
   * @param jobMaxAttempts at least 1; default {@value #DEFAULT_JOB_MAX_ATTEMPTS}
   * @return these options
   */
  public KoraNodeOptions setJobMaxAttempts(int jobMaxAttempts) {
    if (jobMaxAttempts < 1) {
      throw new IllegalArgumentException("jobMaxAttempts must be at least 1");
    }
    this.jobMaxAttempts = jobMaxAttempts;
    return this;
  }

  /** @return ms before the first retry of a failed job; doubled for each further retry */
  public long getJobBackoffMs() {
    return jobBackoffMs;
  }

  /**
   * @param jobBackoffMs ms, at least 1; default {@value #DEFAULT_JOB_BACKOFF_MS}
   * @return these options
   */
  public KoraNodeOptions setJobBackoffMs(long jobBackoffMs) {
    if (jobBackoffMs < 1) {
      throw new IllegalArgumentException("jobBackoffMs must be at least 1");
    }
    this.jobBackoffMs = jobBackoffMs;
    return this;
  }

  /** @return the origins, besides the node's own, from which browsers may use the node */
  public List<String> getAllowedOrigins() {
    return allowedOrigins;
  }

  /**
   * Which web pages may use the node. A browser names the page that makes a request in its
   * {@code Origin} header; requests without one (the CLI, the npm client under Node.js, curl) and
   * requests whose origin is the node itself (its {@code Host}) are always allowed. A request from
   * any other origin — a WebSocket handshake, an SSE stream or a REST call — is refused with status
   * 403 and the error code {@code denied}, so that a page a developer happens to visit cannot read
   * or change the tree.
   *
   * @param allowedOrigins origins as browsers send them, scheme, host and port, e.g.
   *     {@code http://localhost:3000} (compared ignoring case); {@code *} allows every origin;
   *     default none
   * @return these options
   */
  public KoraNodeOptions setAllowedOrigins(List<String> allowedOrigins) {
    this.allowedOrigins = List.copyOf(allowedOrigins);
    return this;
  }

  /** @return the host names, besides the loopback names, that requests may address */
  public List<String> getAllowedHosts() {
    return allowedHosts;
  }

  /**
   * Which host names requests may address in their {@code Host} header, against DNS rebinding (a
   * page whose own host name has been made to resolve to the node's address). The loopback names
   * {@code localhost}, {@code 127.0.0.1} and {@code [::1]} are always allowed. With the default
   * empty list, a node listening on a loopback address takes only those, and a node listening on
   * any other address takes every host name; with a list, every node takes only the loopback names
   * and the listed ones. A request naming another host is refused with status 403 and the error code
   * {@code denied}. Requests without a {@code Host} header (HTTP/1.0) are allowed: browsers always
   * send one.
   *
   * @param allowedHosts host names without port, e.g. {@code kora.example.com} (compared ignoring
   *     case; an IPv6 address in brackets); {@code *} allows every host; default none
   * @return these options
   */
  public KoraNodeOptions setAllowedHosts(List<String> allowedHosts) {
    this.allowedHosts = List.copyOf(allowedHosts);
    return this;
  }

  /** @return most mutations per second of one connection; 0 for no limit */
  public double getMaxMutationsPerSecond() {
    return maxMutationsPerSecond;
  }

  /** @return most bytes per second from one connection; 0 for no limit */
  public double getMaxBytesPerSecond() {
    return maxBytesPerSecond;
  }

  /** @return most mutations per second of all connections of one client address; 0 for no limit */
  public double getMaxMutationsPerSecondPerAddress() {
    return maxMutationsPerSecondPerAddress;
  }

  /** @return most bytes per second from all connections of one client address; 0 for no limit */
  public double getMaxBytesPerSecondPerAddress() {
    return maxBytesPerSecondPerAddress;
  }

  /**
   * Rate limits of clients, with token buckets that hold one second's worth: beyond them a request
   * is refused with {@code rate_limited} (HTTP 429) and nothing of it runs; a WebSocket connection
   * refused 1,000 times in a row is closed (status 1008). Bytes are those of WebSocket messages
   * (counted in characters) and REST bodies. A REST request counts against its address's rates
   * only. Default: no rate limits (the node's other limits bound sizes and pending work).
   *
   * @param perConnection most mutation calls per second of one connection, e.g. {@code 1000}; 0 for
   *     no limit
   * @param bytesPerConnection most bytes per second from one connection, e.g. {@code 1048576}; 0
   *     for no limit
   * @param perAddress most mutation calls per second of all connections of one client IP address
   *     (clients behind one NAT share it); 0 for no limit
   * @param bytesPerAddress most bytes per second from one client IP address; 0 for no limit
   * @return these options
   * @throws IllegalArgumentException when a rate is negative
   */
  public KoraNodeOptions setRateLimits(double perConnection, double bytesPerConnection,
      double perAddress, double bytesPerAddress) {
    if (perConnection < 0 || bytesPerConnection < 0 || perAddress < 0 || bytesPerAddress < 0) {
      throw new IllegalArgumentException("rate limits must be at least 0 (0: no limit)");
    }
    this.maxMutationsPerSecond = perConnection;
    this.maxBytesPerSecond = bytesPerConnection;
    this.maxMutationsPerSecondPerAddress = perAddress;
    this.maxBytesPerSecondPerAddress = bytesPerAddress;
    return this;
  }

  /** @return how clients' JSON Web Tokens are verified, or null when the node has no JWT auth */
  public JwtOptions getAuth() {
    return auth;
  }

  /**
   * Turns on authentication with JSON Web Tokens (docs/security.md). Clients give their token in the
   * WebSocket handshake ({@code Authorization: Bearer <token>}, or {@code ?access_token=<token>} for
   * browsers and the npm Riptide client), in a {@code kora.auth} call, or in each REST and SSE
   * request's {@code Authorization} header. A token that does not verify is refused with
   * {@code unauthenticated} (HTTP 401), an expired one with {@code token_expired}; a connection
   * whose token expires is closed (WebSocket status 4001). Without {@link #setAllowAnonymous}, a
   * client without a token may only call {@code kora.auth} and {@code kora.ping}.
   *
   * @param auth the keys and required claims; null (the default) for none, unless a plugin
   *     supplies an authenticator
   * @return these options
   */
  public KoraNodeOptions setAuth(JwtOptions auth) {
    this.auth = auth;
    return this;
  }

  /** @return whether clients without a token may use the node when it authenticates */
  public boolean isAllowAnonymous() {
    return allowAnonymous;
  }

  /**
   * @param allowAnonymous with authentication on, whether a client without a token may use the
   *     node like any other (its session then has no identity; interceptors and rules decide what
   *     it may do); default false: it may only call {@code kora.auth} and {@code kora.ping}, and
   *     REST requests without a token are refused with {@code unauthenticated}. A token that is
   *     given must verify either way.
   * @return these options
   */
  public KoraNodeOptions setAllowAnonymous(boolean allowAnonymous) {
    this.allowAnonymous = allowAnonymous;
    return this;
  }

  /** @return whether the node may listen beyond loopback without authentication */
  public boolean isInsecure() {
    return insecure;
  }

  /**
   * A node without authentication serves anyone who reaches its port, so it refuses to listen on
   * an address other than a loopback one unless this is set ({@code kora serve --insecure}); the log
   * then warns at every start.
   *
   * @param insecure true to allow listening beyond loopback without authentication; default false
   * @return these options
   */
  public KoraNodeOptions setInsecure(boolean insecure) {
    this.insecure = insecure;
    return this;
  }

  /** @return the rules file in force, or null for none (no rules: every client may do everything) */
  public String getRules() {
    return rulesPath;
  }

  /**
   * Enforces a rules file of read, write and validate expressions over path patterns
   * ({@code kora serve --rules FILE}; its shape and meaning: {@code dev.kora.rules.RuleSet} and
   * docs/security.md). The node refuses to start when the file does not compile; it reloads the file
   * when it changes, and keeps the rules in force when the new file does not compile (the log says
   * why). A node with rules may listen beyond loopback without authentication: the rules decide what
   * anonymous clients ({@code auth == null}) may do.
   *
   * @param path the rules file, e.g. {@code rules.json}; null for none (the default)
   * @return these options
   */
  public KoraNodeOptions setRules(String path) {
    this.rulesPath = path;
    return this;
  }

  /** @return how often the rules file is looked at for changes, ms */
  public long getRulesCheckIntervalMs() {
    return rulesCheckIntervalMs;
  }

  /**
   * @param ms how often the rules file is looked at for changes, ms; default 1,000
   * @return these options
   * @throws IllegalArgumentException when below 10
   */
  public KoraNodeOptions setRulesCheckIntervalMs(long ms) {
    if (ms < 10) {
      throw new IllegalArgumentException("rulesCheckIntervalMs must be at least 10, got " + ms);
    }
    this.rulesCheckIntervalMs = ms;
    return this;
  }

  /** @return how many nodes the cluster is configured with; 0 for a node alone on its store */
  public int getClusterSize() {
    return clusterSize;
  }

  /**
   * Makes the node one member of a cluster of {@code size} nodes sharing one store (docs/cluster.md).
   * The node must then be deployed on a clustered Vert.x instance (its cluster manager, e.g.
   * Hazelcast's, tells who the members are) and its store must support fenced writes (PostgreSQL,
   * MySQL/MariaDB); it refuses to start otherwise. The size sets the quorum: writes are ordered only
   * by a member that sees a majority ({@code size / 2 + 1}) of the members, so that a node cut off
   * from the others acknowledges nothing it cannot order.
   *
   * @param size the number of nodes of the cluster, 1 to 64; 0 (the default) for a node alone
   * @return these options
   * @throws IllegalArgumentException when negative or above 64
   */
  public KoraNodeOptions setClusterSize(int size) {
    if (size < 0 || size > 64) {
      throw new IllegalArgumentException("clusterSize must be 0 (no cluster) to 64, got " + size);
    }
    this.clusterSize = size;
    return this;
  }

  /** @return how long a write or subscribe waits for the cluster's leader, ms */
  public long getClusterTimeoutMs() {
    return clusterTimeoutMs;
  }

  /**
   * @param ms how long a member waits for the leader's answer to a forwarded write or a subscribe's
   *     barrier before it fails with {@code cluster_unavailable}, ms; default 5,000
   * @return these options
   * @throws IllegalArgumentException when below 100
   */
  public KoraNodeOptions setClusterTimeoutMs(long ms) {
    if (ms < 100) {
      throw new IllegalArgumentException("clusterTimeoutMs must be at least 100, got " + ms);
    }
    this.clusterTimeoutMs = ms;
    return this;
  }

  /** @return the PEM certificate chain file of TLS, or null for none */
  public String getTlsCertPath() {
    return tlsCertPath;
  }

  /** @return the PEM private key file of TLS, or null for none */
  public String getTlsKeyPath() {
    return tlsKeyPath;
  }

  /**
   * Serves {@code wss://} and {@code https://} on the node's port instead of {@code ws://} and
   * {@code http://}: both files or neither.
   *
   * @param certPath a PEM file with the certificate chain, the node's own certificate first, e.g.
   *     {@code /etc/kora/tls/cert.pem}; null for no TLS
   * @param keyPath a PEM file with its private key (PKCS#8 {@code BEGIN PRIVATE KEY} or PKCS#1
   *     {@code BEGIN RSA PRIVATE KEY}); null for no TLS
   * @return these options
   * @throws IllegalArgumentException when only one of them is given
   */
  public KoraNodeOptions setTls(String certPath, String keyPath) {
    if ((certPath == null) != (keyPath == null)) {
      throw new IllegalArgumentException("TLS needs both a certificate and a key file");
    }
    this.tlsCertPath = certPath;
    this.tlsKeyPath = keyPath;
    return this;
  }

  /**
   * Adds an application plugin: interceptors, action handlers and effect handlers. Plugins are objects,
   * so they are not part of {@link #toJson()}.
   *
   * @param plugin the plugin; its interceptors run after those of plugins added before it
   * @return these options
   */
  public KoraNodeOptions addPlugin(KoraPlugin plugin) {
    plugins.add(Objects.requireNonNull(plugin, "plugin"));
    return this;
  }

  /** @return the plugins, in the order they were added */
  public List<KoraPlugin> getPlugins() {
    return Collections.unmodifiableList(plugins);
  }

  /** @return the JSON form accepted by {@link #KoraNodeOptions(JsonObject)} */
  public JsonObject toJson() {
    return new JsonObject().put("host", host).put("port", port).put("listen", listen)
        .put("store", store.toJson()).put("maxFrameBytes", maxFrameBytes)
        .put("maxBacklogBytes", maxBacklogBytes)
        .put("requestHeaderTimeoutMs", requestHeaderTimeoutMs)
        .put("webSocketIdleTimeoutMs", webSocketIdleTimeoutMs)
        .put("fragmentedMessageTimeoutMs", fragmentedMessageTimeoutMs)
        .put("maxConnectionsPerAddress", maxConnectionsPerAddress)
        .put("maxReadsPerConnection", maxReadsPerConnection).put("maxQueryPaths", maxQueryPaths)
        .put("maxAnswerBytes", maxAnswerBytes)
        .put("maxBatchMutations", maxBatchMutations)
        .put("maxPendingMutations", maxPendingMutations)
        .put("maxLeavesPerMutation", maxLeavesPerMutation)
        .put("maxPendingWritesPerConnection", maxPendingWritesPerConnection)
        .put("workerParseBytes", workerParseBytes)
        .put("changeLog", changeLog).put("changeLogMaxEntries", changeLogMaxEntries)
        .put("logFormat", logFormat).put("logRequests", logRequests)
        .put("changeLogMaxAgeMs", changeLogMaxAgeMs)
        .put("changeLogTrimIntervalMs", changeLogTrimIntervalMs)
        .put("jobMaxAttempts", jobMaxAttempts).put("jobBackoffMs", jobBackoffMs)
        .put("allowedOrigins", new JsonArray(allowedOrigins))
        .put("allowedHosts", new JsonArray(allowedHosts))
        .put("maxMutationsPerSecond", maxMutationsPerSecond)
        .put("maxBytesPerSecond", maxBytesPerSecond)
        .put("maxMutationsPerSecondPerAddress", maxMutationsPerSecondPerAddress)
        .put("maxBytesPerSecondPerAddress", maxBytesPerSecondPerAddress)
        .put("auth", auth == null ? null : auth.toJson()).put("allowAnonymous", allowAnonymous)
        .put("insecure", insecure).put("tlsCertPath", tlsCertPath).put("tlsKeyPath", tlsKeyPath)
        .put("rules", rulesPath).put("rulesCheckIntervalMs", rulesCheckIntervalMs)
        .put("clusterSize", clusterSize).put("clusterTimeoutMs", clusterTimeoutMs);
  }
}
